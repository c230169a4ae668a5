from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.skill_builder import build_skill
from skill.core.dialog import Reply
from skill.lambda_function import invoke
from skill.store.sqlite import SqliteProgressStore

from support import Step, Talk

ROOT = Path(__file__).resolve().parents[1]

# Test modules of the full tier only, besides those marked ``slow`` in place: the ear's
# measurements over its labelled data sets (tests/understanding is issue 21's to rewrite).
FULL_TIER = frozenset({"tests/understanding/test_floors.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``-m "not slow"`` is the quick tier: unit, contract and conversation tests."""
    for item in items:
        if item.path.relative_to(ROOT).as_posix() in FULL_TIER:
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="session")
def walk_steps() -> list[Step]:
    """Every turn of one walk of the shipped dialog, made once per test run; the replies it
    reaches are kept for every test that asks for them (``replies``, the content check)."""
    from skill.speech.prerender import reachable_replies, walk
    from skill.speech.programs import get_catalog

    catalog = get_catalog()
    steps = [
        Step(before, command, turn.reply, label)
        for before, command, turn, label in walk(catalog)
        if turn.reply.view is not None
    ]
    reachable_replies(catalog, found=((step.reply, step.path) for step in steps))
    return steps


@pytest.fixture(scope="session")
def replies(walk_steps: list[Step]) -> list[tuple[Reply, str]]:
    """The distinct replies of the shipped dialog, each with a path that reaches it."""
    from skill.speech.prerender import reachable_replies

    return reachable_replies()
