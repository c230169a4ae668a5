"""AWS Lambda entry point: ``skill.lambda_function.lambda_handler``.

``lambda_handler`` answers every request with something Alexa accepts; the one thing it
lets fail is a skill event the skill could not act on, so that Alexa delivers it again
(``skill.alexa.invoke``). ``handle`` is the strict form the web endpoint uses: it raises
``UnreadableRequest`` for an envelope it cannot read, which becomes a 400 there.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from skill.alexa.invoke import answer, invoke
from skill.alexa.sdk_skill import Skill
from skill.alexa.skill_builder import build_skill
from skill.config import get_settings
from skill.service import factory
from skill.service.factory import get_service

logging.getLogger().setLevel(get_settings().log_level)


@lru_cache(maxsize=1)
def get_skill() -> Skill:
    """The skill of this process, built on the first request and reused while warm, on
    the process's turn service (``skill.service.factory``: its store and content)."""
    return build_skill(service=get_service(), skill_id=get_settings().skill_id)


def reset() -> None:
    """Build the skill, its store and its service anew on the next request (tests and the
    bench, after changing the settings)."""
    get_skill.cache_clear()
    factory.reset()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return answer(get_skill(), event, context)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One request, strictly: raises ``UnreadableRequest`` instead of answering it."""
    return invoke(get_skill(), event, context)


__all__ = ["answer", "get_skill", "handle", "invoke", "lambda_handler", "reset"]
