"""AWS Lambda entry point: ``skill.lambda_function.lambda_handler``.

``lambda_handler`` answers every request with something Alexa accepts; the one thing it
lets fail is a skill event the skill could not act on, so that Alexa delivers it again
(``skill.alexa.invoke``). ``handle`` is the strict form the web endpoint uses: it raises
``UnreadableRequest`` for an envelope it cannot read, which becomes a 400 there.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from skill.alexa.invoke import answer, invoke
from skill.alexa.sdk_skill import Skill
from skill.alexa.skill_builder import build_skill
from skill.config import get_settings
from skill.speech.programs import get_catalog
from skill.speech.render import PRERENDERED, Speech
from skill.store.factory import adapter_from_settings

logging.getLogger().setLevel(get_settings().log_level)


@lru_cache(maxsize=1)
def get_skill() -> Skill:
    """The skill of this process, built on the first request and reused while warm."""
    settings = get_settings()
    speech = catalog = None
    if settings.templates_dir:
        # Content from another folder: a writer trying a program before it ships.
        root = Path(settings.templates_dir).expanduser().resolve()
        speech = Speech(root=root, prerendered_dir=root / PRERENDERED)
        catalog = get_catalog(root)
    return build_skill(
        adapter_from_settings(settings), speech=speech, catalog=catalog, skill_id=settings.skill_id
    )


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return answer(get_skill(), event, context)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One request, strictly: raises ``UnreadableRequest`` instead of answering it."""
    return invoke(get_skill(), event, context)


__all__ = ["answer", "get_skill", "handle", "invoke", "lambda_handler"]
