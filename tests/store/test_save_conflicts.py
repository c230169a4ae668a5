"""A save that conflicts again and again (another device saving the same person's progress
each time) gives up for this turn: never silently, and never with a promise."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from skill.alexa.skill_builder import build_skill
from skill.core.progress import Progress
from skill.lambda_function import invoke
from skill.service.keeping import SAVE_ATTEMPTS
from skill.store.sqlite import SqliteProgressStore

from support import Talk

USER = "amzn1.ask.account.RACED"


class Racing:
    """A store where another device saves just before each of this turn's writes."""

    def __init__(self, inner: SqliteProgressStore) -> None:
        self.inner = inner
        self.racing = False
        self.raced = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, key: str, attributes: dict[str, Any]) -> None:
        if self.racing:
            stored = self.inner.read(key)
            self.inner.write(key, {**stored, "revision": stored.get("revision", 0)})
            self.raced += 1
        self.inner.write(key, attributes)


def test_a_save_that_gives_up_after_conflicts_logs_a_warning_and_promises_nothing(
    sqlite_store: SqliteProgressStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = Racing(sqlite_store)
    skill = build_skill(store)  # type: ignore[arg-type]
    talk = Talk(lambda event, context=None: invoke(skill, event, context), user_id=USER)
    talk.launch()
    talk.say("MotivatePartnerIntent")
    store.racing = True
    caplog.clear()

    assert talk.say("AMAZON.NextIntent").step == 2  # the answer, all the same
    said = talk.say("AMAZON.PauseIntent")
    goodbye = talk.say("AMAZON.StopIntent")

    assert store.raced >= SAVE_ATTEMPTS
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert gave_up and all(r.levelno == logging.WARNING for r in gave_up)
    assert "I'll remember" not in said.text + goodbye.text
    store.racing = False
    talk.launch()
    talk.say("AMAZON.StopIntent")
    assert Progress.from_dict(sqlite_store.read(USER)).of("motivate").position == 1
