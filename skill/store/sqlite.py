"""The embedded store: one SQLite file on this machine, the default when no table is set.

Same contract as the DynamoDB store (``skill.store.base.ProgressStore``): conditional writes on
``revision``, an expiry time, per-person keys, a marker left by "forget my progress".
Rows past their expiry are purged as DynamoDB's TTL would drop them: when the file is
opened and then at most once an hour, on a write.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.store.base import (
    FORGET_MARKER_SECONDS,
    FORGOTTEN_AT,
    TTL_SECONDS,
    ConflictError,
    StorageError,
    account_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    forgotten_at INTEGER
);
CREATE INDEX IF NOT EXISTS progress_user ON progress (user_id);
CREATE INDEX IF NOT EXISTS progress_expiry ON progress (expires_at);
"""

logger = logging.getLogger(__name__)

_SELECT = "SELECT revision, attributes, expires_at, forgotten_at FROM progress WHERE id = ?"
PURGE_INTERVAL_SECONDS = 3600
BUSY_TIMEOUT_SECONDS = 2.0  # how long a write waits for another process's write


class SqliteProgressStore:
    """Progress in a local SQLite file, with the same contract as the DynamoDB store:
    conditional writes on ``revision``, an expiry time, and per-person keys."""

    slowest_call_seconds = BUSY_TIMEOUT_SECONDS + 0.5

    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._purged_at: float | None = None

    def _connection(self) -> sqlite3.Connection:
        # Opened on first use so that building the skill touches no file.
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
                )
                # In the default rollback-journal mode every save creates, fsyncs and
                # deletes a journal file: ~15 ms a turn, most of a turn's cost (bench/).
                # WAL with synchronous=NORMAL fsyncs only at checkpoints; a power cut may
                # lose the last saves but never corrupts the file, and readers in other
                # processes (several web workers) no longer wait for a writer.
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                _add_missing_columns(conn)
                self._purge(conn)
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(f"cannot open progress store: {exc}") from exc
            self._conn = conn
        return self._conn

    # --- the contract -----------------------------------------------------------------

    def read(self, key: str) -> dict[str, Any]:
        with self._lock:
            try:
                row = self._connection().execute(_SELECT, (key,)).fetchone()
            except sqlite3.Error as exc:
                raise StorageError(f"read failed: {exc}") from exc
        if row is None or row[2] < self._clock():
            return {}
        revision, body, _, forgotten_at = row
        if forgotten_at is not None:
            return {"revision": revision, FORGOTTEN_AT: forgotten_at}
        attributes: dict[str, Any] = json.loads(body)
        attributes["revision"] = revision
        return attributes

    def write(self, key: str, attributes: dict[str, Any]) -> None:
        """Write if the stored revision is still the one we read; else ``ConflictError``."""
        expected = int(attributes.get("revision") or 0)
        body = json.dumps({k: v for k, v in attributes.items() if k != "revision"})
        now = self._clock()
        expires = int(now) + TTL_SECONDS
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
                            " attributes = excluded.attributes, forgotten_at = NULL"
                            " WHERE progress.expires_at < ?",
                            (key, account_of(key), expires, body, now),
                        )
                    else:
                        cursor = conn.execute(
                            "UPDATE progress SET revision = revision + 1, expires_at = ?,"
                            " attributes = ?, forgotten_at = NULL"
                            " WHERE id = ? AND revision = ?",
                            (expires, body, key, expected),
                        )
            except sqlite3.Error as exc:
                raise StorageError(f"write failed: {exc}") from exc
            self._purge_now_and_then(conn, now)
        if cursor.rowcount != 1:
            raise ConflictError("progress changed since it was read")

    def forget(self, key: str, when: int) -> None:
        """Forget the speaker's progress, leaving the marker that later saves respect."""
        expires = int(self._clock()) + FORGET_MARKER_SECONDS
        self._write(
            "INSERT INTO progress (id, user_id, revision, expires_at, attributes, forgotten_at)"
            " VALUES (?, ?, 1, ?, '{}', ?) ON CONFLICT(id) DO UPDATE SET"
            " revision = progress.revision + 1, expires_at = excluded.expires_at,"
            " attributes = '{}', forgotten_at = excluded.forgotten_at",
            (key, account_of(key), expires, when),
            "delete",
        )

    def delete_user(self, user_id: str) -> None:
        self._write("DELETE FROM progress WHERE user_id = ?", (user_id,), "delete")

    def purge_expired(self) -> int:
        """Delete every row past its expiry now; the number deleted."""
        with self._lock:
            conn = self._connection()
            try:
                return self._purge(conn)
            except sqlite3.Error as exc:
                raise StorageError(f"purge failed: {exc}") from exc

    # --- plumbing ---------------------------------------------------------------------

    def _write(self, sql: str, values: tuple[Any, ...], what: str) -> None:
        with self._lock:
            conn = self._connection()
            try:
                with conn:
                    conn.execute(sql, values)
            except sqlite3.Error as exc:
                raise StorageError(f"{what} failed: {exc}") from exc

    def _purge(self, conn: sqlite3.Connection) -> int:
        now = self._clock()
        with conn:
            cursor = conn.execute("DELETE FROM progress WHERE expires_at < ?", (now,))
        self._purged_at = now
        return int(cursor.rowcount)

    def _purge_now_and_then(self, conn: sqlite3.Connection, now: float) -> None:
        """Housekeeping after a write: a purge that fails is tried again next time, and
        never turns the write it follows into a failure."""
        if self._purged_at is None or now - self._purged_at >= PURGE_INTERVAL_SECONDS:
            try:
                self._purge(conn)
            except sqlite3.Error as exc:
                logger.warning("purging expired progress failed: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Files written before the forget marker existed lack its column."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(progress)")}
    if "forgotten_at" not in columns:
        conn.execute("ALTER TABLE progress ADD COLUMN forgotten_at INTEGER")
