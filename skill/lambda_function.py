"""AWS Lambda entry point: ``skill.lambda_function.lambda_handler``."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from ask_sdk_core.skill import CustomSkill

from skill.alexa.invoke import invoke
from skill.alexa.skill_builder import build_skill
from skill.config import get_settings
from skill.speech.programs import get_catalog
from skill.speech.render import PRERENDERED, Speech
from skill.store.factory import adapter_from_settings

logging.getLogger().setLevel(get_settings().log_level)


@lru_cache(maxsize=1)
def get_skill() -> CustomSkill:
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
    return invoke(get_skill(), event, context)


__all__ = ["get_skill", "invoke", "lambda_handler"]
