"""Assembling the Alexa skill: every handler registered in one place."""

from __future__ import annotations

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.alexa.budget import RetryPolicy
from skill.alexa.canfulfill import CanFulfillIntentRequestHandler
from skill.alexa.handlers import (
    DialogIntentHandler,
    LaunchRequestHandler,
    SessionEndedRequestHandler,
    SkillDisabledEventHandler,
    SystemExceptionHandler,
    UnexpectedErrorHandler,
    UnhandledRequestHandler,
    UnknownIntentHandler,
)
from skill.alexa.turns import TurnRunner
from skill.core.program import Catalog
from skill.speech.programs import get_catalog
from skill.speech.render import Speech, get_speech
from skill.store.base import ProgressAdapter


def build_skill(
    adapter: ProgressAdapter,
    *,
    speech: Speech | None = None,
    catalog: Catalog | None = None,
    skill_id: str | None = None,
    retry: RetryPolicy | None = None,
) -> CustomSkill:
    """The skill, wired to a store and to the programs of the content. Touches no AWS
    until a request comes.

    ``retry`` sets how store calls are retried within a turn (skill.alexa.budget).
    """
    runner = TurnRunner(adapter, speech or get_speech(), catalog or get_catalog(), retry)
    builder = CustomSkillBuilder(persistence_adapter=adapter)
    if skill_id:
        builder.skill_id = skill_id  # type: ignore[assignment]  # the SDK types it as None
    for handler in (
        LaunchRequestHandler(runner),
        DialogIntentHandler(runner),
        UnknownIntentHandler(runner),
        SessionEndedRequestHandler(runner),
        CanFulfillIntentRequestHandler(runner.catalog),
        SkillDisabledEventHandler(runner),
        SystemExceptionHandler(),
        UnhandledRequestHandler(),  # last: whatever no handler above takes
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(UnexpectedErrorHandler(runner))
    return builder.create()
