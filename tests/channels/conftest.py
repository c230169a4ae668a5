"""Shared by the channel tests: no developer's Twilio settings leak in, and the skill
handler the phone line calls is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_phone_support import Recorder

from skill.config import ENV_PUBLIC_BASE_URL, ENV_TWILIO_AUTH_TOKEN, get_settings


@pytest.fixture(autouse=True)
def _no_twilio_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's own token in the environment must not make these tests pass or fail.
    monkeypatch.delenv(ENV_TWILIO_AUTH_TOKEN, raising=False)
    monkeypatch.delenv(ENV_PUBLIC_BASE_URL, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def skill_handler(handler: Any) -> Recorder:
    return Recorder(handler)
