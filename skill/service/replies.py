"""A reply's words for any channel: rendered, and within the limits every channel keeps.

Alexa refuses a response whose speech (or reprompt) is longer than 8000 characters, SSML
tags and the ``<speak>`` wrapper included, or whose card's title and text together are.
The same limits keep the phone line's answers to a length a caller can sit through. A
reply over them is a bug (slot words are clipped to a few, ``skill.service.intents``), so
it is logged and the apology is said instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skill.core.dialog import Reply
    from skill.speech.render import Rendered, Speech

logger = logging.getLogger(__name__)

MAX_SPEECH_CHARS = 8000
MAX_CARD_CHARS = 8000
_SPEAK_WRAPPER = len("<speak></speak>")
ERROR_VIEW = "error"


def fits(rendered: Rendered) -> bool:
    """Whether this speech, reprompt and card are each within their limit."""
    for ssml in (rendered.speech, rendered.reprompt):
        if ssml is not None and len(ssml) + _SPEAK_WRAPPER > MAX_SPEECH_CHARS:
            return False
    card = len(rendered.card_title or "") + len(rendered.card_text or "")
    return card <= MAX_CARD_CHARS


def render(speech: Speech, locale: str | None, reply: Reply) -> Rendered:
    """The reply rendered in ``locale``; the apology when it is over the limits."""
    rendered = speech.render(locale, reply.view, reply.data, reply.card)
    if not fits(rendered):
        logger.error("reply %.80r is over the size limits; apologising instead", reply.view)
        rendered = speech.render(locale, ERROR_VIEW, {})
    return rendered
