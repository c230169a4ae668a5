"""The embedded store: one SQLite file on this machine, the default when no table is set."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.store.base import (
    TTL_SECONDS,
    ConflictError,
    ProgressAdapter,
    StorageError,
    person_key,
    user_key,
)

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

_SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS progress_user ON progress (user_id);
"""


_SELECT = "SELECT revision, attributes, expires_at FROM progress WHERE id = ?"


class SqliteProgressAdapter(ProgressAdapter):
    """Progress in a local SQLite file, with the same contract as the DynamoDB store:
    conditional writes on ``revision``, an expiry time, and per-person keys."""

    def __init__(self, path: Path | str, clock: Any = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        # Opened on first use so that building the skill touches no file.
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False)
                # In the default rollback-journal mode every save creates, fsyncs and
                # deletes a journal file: ~15 ms a turn, most of a turn's cost (bench/).
                # WAL with synchronous=NORMAL fsyncs only at checkpoints; a power cut may
                # lose the last saves but never corrupts the file, and readers in other
                # processes (several web workers) no longer wait for a writer.
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(f"cannot open progress store: {exc}") from exc
            self._conn = conn
        return self._conn

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        key = person_key(request_envelope)
        with self._lock:
            try:
                row = self._connection().execute(_SELECT, (key,)).fetchone()
            except sqlite3.Error as exc:
                raise StorageError(f"read failed: {exc}") from exc
        if row is None or row[2] < self._clock():
            return {}
        attributes: dict[str, Any] = json.loads(row[1])
        attributes["revision"] = row[0]
        return attributes

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        """Write if the stored revision is still the one we read; else ``ConflictError``."""
        key = person_key(request_envelope)
        expected = int(attributes.get("revision") or 0)
        body = json.dumps({k: v for k, v in attributes.items() if k != "revision"})
        expires = int(self._clock()) + TTL_SECONDS
        with self._lock:
            conn = self._connection()
            try:
                with conn:
                    if expected == 0:
                        # A missing or expired row counts as revision 0.
                        cursor = conn.execute(
                            "INSERT INTO progress (id, user_id, revision, expires_at, attributes)"
                            " VALUES (?, ?, 1, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                            " revision = 1, expires_at = excluded.expires_at,"
                            " attributes = excluded.attributes WHERE progress.expires_at < ?",
                            (key, user_key(request_envelope), expires, body, self._clock()),
                        )
                    else:
                        cursor = conn.execute(
                            "UPDATE progress SET revision = revision + 1, expires_at = ?,"
                            " attributes = ? WHERE id = ? AND revision = ?",
                            (expires, body, key, expected),
                        )
            except sqlite3.Error as exc:
                raise StorageError(f"write failed: {exc}") from exc
        if cursor.rowcount != 1:
            raise ConflictError("progress changed since it was read")

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._delete("DELETE FROM progress WHERE id = ?", person_key(request_envelope))

    def delete_user(self, user_id: str) -> None:
        self._delete("DELETE FROM progress WHERE user_id = ?", user_id)

    def _delete(self, sql: str, value: str) -> None:
        with self._lock:
            conn = self._connection()
            try:
                with conn:
                    conn.execute(sql, (value,))
            except sqlite3.Error as exc:
                raise StorageError(f"delete failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
