"""AWS Lambda entry point: ``skill.lambda_function.lambda_handler``."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, cast

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from skill.config import get_settings
from skill.persistence.factory import adapter_from_settings
from skill.skill_builder import build_skill

logging.getLogger().setLevel(get_settings().log_level)


@lru_cache(maxsize=1)
def get_skill() -> CustomSkill:
    """The skill of this process, built on the first request and reused while warm."""
    settings = get_settings()
    return build_skill(adapter_from_settings(settings), skill_id=settings.skill_id)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoke(get_skill(), event, context)


def invoke(skill: CustomSkill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one Alexa request (the JSON envelope as a dict) through a skill."""
    envelope = skill.serializer.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
    response = skill.invoke(request_envelope=envelope, context=context)
    return cast(dict[str, Any], skill.serializer.serialize(response))
