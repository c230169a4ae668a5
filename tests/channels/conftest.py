"""Shared by the channel tests: no developer's Twilio settings leak in, and the turn service
the phone line calls is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from skill.config import (
    ENV_PHONE_CALLER_PEPPER,
    ENV_PHONE_CALLER_PEPPER_PARAMETER,
    ENV_PHONE_CARRY_PROGRESS,
    ENV_PUBLIC_BASE_URL,
    ENV_TWILIO_AUTH_TOKEN,
    get_settings,
)
from skill.service.turns import TurnService
from skill.speech.programs import get_catalog
from skill.store.sqlite import SqliteProgressStore

from phone_support import PEPPER, Recorder


@pytest.fixture(autouse=True)
def _no_twilio_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's own token in the environment must not make these tests pass or fail.
    monkeypatch.delenv(ENV_TWILIO_AUTH_TOKEN, raising=False)
    monkeypatch.delenv(ENV_PUBLIC_BASE_URL, raising=False)
    monkeypatch.delenv(ENV_PHONE_CALLER_PEPPER_PARAMETER, raising=False)
    monkeypatch.delenv(ENV_PHONE_CARRY_PROGRESS, raising=False)
    # Where the line runs it has its pepper, as every deployment must (docs/phone.md).
    monkeypatch.setenv(ENV_PHONE_CALLER_PEPPER, PEPPER)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def turns(sqlite_store: SqliteProgressStore) -> Recorder:
    """The phone line's turn service, on the test's own store, recording every command."""
    return Recorder(TurnService(sqlite_store, get_catalog()))
