from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.skill_builder import build_skill
from skill.lambda_function import invoke
from skill.store.sqlite import SqliteProgressAdapter

from support import Talk


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[SqliteProgressAdapter]:
    store = SqliteProgressAdapter(db_path)
    yield store
    store.close()


@pytest.fixture
def handler(sqlite_store: SqliteProgressAdapter) -> Any:
    skill = build_skill(sqlite_store)
    return lambda event, context=None: invoke(skill, event, context)


@pytest.fixture
def talk(handler: Any) -> Talk:
    return Talk(handler)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test gets its own embedded store and no AWS table unless it sets one."""
    from skill import config, lambda_function

    monkeypatch.delenv(config.ENV_TABLE_NAME, raising=False)
    monkeypatch.delenv(config.ENV_SKILL_ID, raising=False)
    monkeypatch.setenv(config.ENV_DB_PATH, str(tmp_path / "default.sqlite3"))
    config.get_settings.cache_clear()
    lambda_function.get_skill.cache_clear()
    yield
    config.get_settings.cache_clear()
    lambda_function.get_skill.cache_clear()
