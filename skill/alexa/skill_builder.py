"""Assembling the Alexa skill: every handler registered in one place."""

from __future__ import annotations

from skill.alexa.canfulfill import CanFulfillIntentRequestHandler
from skill.alexa.handlers import (
    DialogIntentHandler,
    LaunchRequestHandler,
    ReminderConsentHandler,
    SessionEndedRequestHandler,
    SkillDisabledEventHandler,
    SystemExceptionHandler,
    UnexpectedErrorHandler,
    UnhandledRequestHandler,
    UnknownIntentHandler,
)
from skill.alexa.persistence import PersistenceAdapter
from skill.alexa.sdk_skill import Skill, SkillBuilder
from skill.alexa.turns import TurnRunner
from skill.core.program import Catalog
from skill.service.budget import RetryPolicy
from skill.service.turns import TurnService
from skill.speech.programs import get_catalog
from skill.speech.render import Speech
from skill.store.base import ProgressStore


def build_skill(
    store: ProgressStore | None = None,
    *,
    service: TurnService | None = None,
    speech: Speech | None = None,
    catalog: Catalog | None = None,
    skill_id: str | None = None,
    retry: RetryPolicy | None = None,
) -> Skill:
    """The skill, on a turn service: ``service``, or one made on ``store`` with the
    programs of the content. Touches no AWS until a request comes.

    ``retry`` sets how store calls are retried within a turn (skill.service.budget).
    """
    if service is None:
        if store is None:
            raise TypeError("build_skill needs a store or a turn service")
        service = TurnService(store, catalog or get_catalog(), speech, retry)
    runner = TurnRunner(service)
    adapter = PersistenceAdapter(service.store)
    builder = SkillBuilder(persistence_adapter=adapter, skill_id=skill_id or None)
    for handler in (
        LaunchRequestHandler(runner),
        DialogIntentHandler(runner),
        UnknownIntentHandler(runner),
        ReminderConsentHandler(runner),
        SessionEndedRequestHandler(runner),
        CanFulfillIntentRequestHandler(runner.catalog),
        SkillDisabledEventHandler(runner),
        SystemExceptionHandler(),
        UnhandledRequestHandler(),  # last: whatever no handler above takes
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(UnexpectedErrorHandler(runner))
    return builder.create()
