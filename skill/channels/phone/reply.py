"""What the line sends back to Twilio: an ``Answer`` as a TwiML response, and the phone's
own lines (keypad, silences, trouble) rendered from the templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request, url_for

from skill.channels.phone.settings import CONFIG_VOICE, locale_of, public_base, turn_service
from skill.channels.phone.twiml import Answer, build_twiml, voice_for
from skill.understanding.resolver import get_resolver

GATHER_TIMEOUT_SECONDS = 8  # after the prompt ends; exercises ask the caller to think first


def render(locale: str, view: str, **data: Any) -> str:
    return turn_service().speech.render(locale, view, data).speech or ""


def twiml(
    answer: Answer, locale: str | None = None, query: Mapping[str, Any] | None = None
) -> Response:
    locale = locale or locale_of(request.form)
    base = public_base()
    action = url_for("phone.gather")
    if base:
        action = f"{base}{action}"
    if query:
        # Twilio posts to this URL as given and signs it whole, query included.
        action += "?" + urlencode(dict(query))
    xml = build_twiml(
        answer,
        voice_for(locale, current_app.config.get(CONFIG_VOICE) or None),
        action=action,
        language=locale,
        hints=get_resolver(locale).hints(),
        timeout=GATHER_TIMEOUT_SECONDS,
    )
    return Response(xml, status=200, mimetype="text/xml")


def error(locale: str | None = None) -> Response:
    """The line's apology, and goodbye: something went wrong on its side."""
    locale = locale or locale_of(request.form)
    return twiml(Answer([render(locale, "phone_error")], hang_up=True), locale)
