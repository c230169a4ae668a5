"""The web endpoint under the name the docs and WSGI servers use: ``skill.web:create_app``.

The app lives in ``skill.channels.web.app``; this module only keeps the entry point.
"""

from skill.channels.web.app import create_app, main

__all__ = ["create_app", "main"]
