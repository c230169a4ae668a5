"""Keeping a person's progress in the store: read, conditional write with merge, forget.

A store that fails never costs the user an answer: each call is retried within the turn's
time (``skill.service.budget``), and what still fails is reported to the turn, which keeps
the progress in the session and saves it later. A conditional write that conflicts (another
device saved since this session read) re-reads and merges, so nothing either did is lost.

"Forget my progress" wins over sessions that began before it, on any device: the store
keeps a marker with the time of the forget, and a session that conflicts with it drops
what it held instead of merging it back in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from skill.core.progress import Progress
from skill.digest import short_hash
from skill.store.base import FORGOTTEN_AT, ConflictError, StorageError

if TYPE_CHECKING:
    from skill.service.budget import Deadline
    from skill.store.base import ProgressStore

logger = logging.getLogger(__name__)

SAVE_ATTEMPTS = 3  # a conflict re-reads and merges; more than this and we try next turn


class Keeper:
    """The store's side of a turn: every call within the turn's deadline."""

    def __init__(
        self,
        store: ProgressStore,
        reader: Callable[[dict[str, Any]], Progress] = Progress.from_dict,
    ) -> None:
        self.store = store
        self.reader = reader  # stored dict -> Progress (the turn service bounds it)

    def load(self, key: str, deadline: Deadline) -> Progress | None:
        """The stored progress, or None when the store failed for the whole of the time."""
        store = self.store
        try:
            stored = deadline.call(lambda: store.read(key), store.slowest_call_seconds)
        except StorageError as exc:
            # Start fresh for this session. The conditional write later cannot overwrite
            # what is stored: it conflicts, and the conflict merges the stored progress in.
            logger.warning("progress read failed, starting fresh this session: %s", exc)
            return None
        stored = dict(stored)
        stored.pop(FORGOTTEN_AT, None)  # forgotten before this session: a fresh start
        return self.reader(stored)

    def save(
        self, key: str, progress: Progress, started: int, deadline: Deadline
    ) -> tuple[Progress, bool]:
        """Store progress; returns it as stored (with its new revision), and whether the
        store failed (then it is the session's progress, still to be saved). ``started``:
        when the session began (epoch seconds), to tell a forget that came after it."""
        store = self.store
        slowest = store.slowest_call_seconds

        def read() -> dict[str, Any]:
            return dict(store.read(key))

        for _ in range(SAVE_ATTEMPTS):
            attributes = progress.to_dict()

            def write(attributes: dict[str, Any] = attributes) -> None:
                store.write(key, attributes)

            try:
                deadline.call(write, slowest)
                return progress.with_revision(progress.revision + 1), False
            except ConflictError:
                try:
                    raw = deadline.call(read, slowest)
                except StorageError as exc:
                    logger.warning("progress re-read after conflict failed: %s", exc)
                    return progress, True
                forgotten_at = raw.pop(FORGOTTEN_AT, None)
                stored = self.reader(raw)
                if forgotten_at is not None and forgotten_at >= started:
                    # Forgotten (on another device) since this session began: what this
                    # session holds is what the user asked to delete. Nothing to write.
                    logger.info(
                        "user=%s forgot their progress elsewhere; this session drops its copy",
                        short_hash(key),
                    )
                    return stored, False
                progress = progress.merge(stored).with_revision(stored.revision)
            except StorageError as exc:
                logger.warning("progress save failed, keeping it in the session: %s", exc)
                return progress, True
        # Conflict after conflict: others keep saving this person's progress. Said, so a
        # save that gives up is never silent; the session keeps it and tries again.
        logger.warning(
            "progress save of user=%s gave up after %d conflicts; kept in the session",
            short_hash(key),
            SAVE_ATTEMPTS,
        )
        return progress, True

    def forget(self, key: str, when: int, deadline: Deadline) -> bool:
        """Delete the speaker's stored progress (leaving the marker); False if the store
        failed."""
        store = self.store
        try:
            deadline.call(lambda: store.forget(key, when), store.slowest_call_seconds)
        except StorageError as exc:
            logger.error("progress delete failed: %s", exc)
            return False
        return True

    def delete_user(self, user_id: str, deadline: Deadline) -> None:
        """Delete everything stored for the account; ``StorageError`` if it failed."""
        store = self.store
        deadline.call(lambda: store.delete_user(user_id), store.slowest_call_seconds)
