"""Assembling the Alexa skill: every handler registered in one place."""

from __future__ import annotations

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
from skill.alexa.sdk_skill import Skill, SkillBuilder
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
) -> Skill:
    """The skill, wired to a store and to the programs of the content. Touches no AWS
    until a request comes.

    ``retry`` sets how store calls are retried within a turn (skill.alexa.budget).
    """
    runner = TurnRunner(adapter, speech or get_speech(), catalog or get_catalog(), retry)
    builder = SkillBuilder(persistence_adapter=adapter, skill_id=skill_id or None)
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
