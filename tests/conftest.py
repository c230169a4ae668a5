from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.skill_builder import build_skill
from skill.lambda_function import invoke
from skill.store.sqlite import SqliteProgressStore

from support import Talk

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _children_share_their_bytecode() -> Iterator[None]:
    """Python processes the tests start (the chat, the build, servers) keep their compiled
    bytecode in one folder under build/, kept from run to run: without it, each would
    compile every module it imports again (as it does where PYTHONDONTWRITEBYTECODE is
    set). Tests that measure a cold start set their own prefix."""
    saved = {name: os.environ.get(name) for name in PYCACHE_ENV}
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(ROOT / "build" / "test-pycache")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


PYCACHE_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[SqliteProgressStore]:
    store = SqliteProgressStore(db_path)
    yield store
    store.close()


@pytest.fixture
def handler(sqlite_store: SqliteProgressStore) -> Any:
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
    lambda_function.reset()
    yield
    config.get_settings.cache_clear()
    lambda_function.reset()
