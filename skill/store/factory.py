"""Choosing the store from settings: DynamoDB when a table is named, SQLite otherwise."""

from __future__ import annotations

from skill.config import Settings
from skill.store.base import ProgressAdapter


def adapter_from_settings(settings: Settings) -> ProgressAdapter:
    if settings.uses_dynamodb:
        # Imported only here: botocore is slow to import and unused on the embedded store.
        from skill.store.dynamodb import DynamoDbProgressAdapter

        assert settings.table_name is not None
        return DynamoDbProgressAdapter(settings.table_name, region=settings.aws_region)
    from skill.store.sqlite import SqliteProgressAdapter

    return SqliteProgressAdapter(settings.db_path)
