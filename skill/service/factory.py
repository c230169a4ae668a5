"""The process's store and turn service, made from the settings on first use.

DynamoDB when a table is named (``SKILL_TABLE_NAME``), SQLite otherwise; the content of
``SKILL_TEMPLATES_DIR`` when set. Every channel of one process (the Alexa handler, the
phone line, the simulator) serves its turns from the same service, so all see one store.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from skill.config import Settings, get_settings
from skill.service.turns import TurnService

if TYPE_CHECKING:
    from skill.store.base import ProgressStore


def store_from_settings(settings: Settings) -> ProgressStore:
    if settings.uses_dynamodb:
        # Imported only here: botocore is slow to import and unused on the embedded store.
        from skill.store.dynamodb import DynamoDbProgressStore

        assert settings.table_name is not None
        return DynamoDbProgressStore(settings.table_name, region=settings.aws_region)
    from skill.store.sqlite import SqliteProgressStore

    return SqliteProgressStore(settings.db_path)


@lru_cache(maxsize=1)
def get_store() -> ProgressStore:
    """The store of this process, made on first use (it touches nothing until then)."""
    return store_from_settings(get_settings())


@lru_cache(maxsize=1)
def get_service() -> TurnService:
    """The turn service of this process, on ``get_store()`` and the configured content."""
    from skill.speech.programs import get_catalog
    from skill.speech.render import PRERENDERED, Speech

    settings = get_settings()
    if settings.templates_dir:
        # Content from another folder: a writer trying a program before it ships.
        root = Path(settings.templates_dir).expanduser().resolve()
        speech = Speech(root=root, prerendered_dir=root / PRERENDERED)
        return TurnService(get_store(), get_catalog(root), speech)
    return TurnService(get_store(), get_catalog())


def reset() -> None:
    """Forget the process's store and service (tests, after changing the settings)."""
    get_store.cache_clear()
    get_service.cache_clear()
