"""The web endpoint under the name the docs and WSGI servers use: ``skill.web:create_app``,
and ``python -m skill serve``.

It puts two channels in one app: the Alexa endpoint (``skill.channels.web.app``) and, when
its dependencies are installed, the phone line's routes (``skill.channels.phone.webhooks``).
Neither channel imports the other; this module is where they meet.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from skill.channels.web import app as alexa_endpoint

if TYPE_CHECKING:
    from flask import Blueprint, Flask

PHONE_MODULE = "skill.channels.phone.webhooks"


def default_blueprints() -> list[Blueprint]:
    """The phone line's routes, if that module can be imported."""
    try:
        module = importlib.import_module(PHONE_MODULE)
    except ModuleNotFoundError as exc:
        # Only "the phone module does not exist" is fine; a missing dependency *inside* it
        # (say, twilio not installed) is a real error and must not silently drop the phone routes.
        if exc.name == PHONE_MODULE:
            return []
        raise
    return [module.blueprint]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Alexa endpoint with the phone routes (``BLUEPRINTS`` in ``config`` replaces
    them); the keys are ``skill.channels.web.app.create_app``'s."""
    settings = dict(config or {})
    if alexa_endpoint.CONFIG_BLUEPRINTS not in settings:
        settings[alexa_endpoint.CONFIG_BLUEPRINTS] = default_blueprints()
    return alexa_endpoint.create_app(settings)


def main(argv: list[str]) -> int:
    """``python -m skill serve``: the endpoint, phone routes included, for development."""
    return alexa_endpoint.main(argv, create=create_app)


__all__ = ["create_app", "default_blueprints", "main"]
