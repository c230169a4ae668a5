"""The text channels' ear, under the name other tools use: ``skill.nlu.get_resolver``.

The resolver lives in ``skill.understanding``; this module only keeps the old entry point.
"""

from skill.understanding.resolver import Resolution, Resolver, get_resolver

__all__ = ["Resolution", "Resolver", "get_resolver"]
