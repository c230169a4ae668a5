"""How long a turn may spend on the store, and retrying within that time.

Alexa waits about 8 seconds for an answer and the Lambda is stopped at 7
(infra/template.yaml). A store that fails fast (throttling, a locked database) is usually
back a moment later, so a failed call is tried again after a short, growing, jittered
pause (``skill.retry``), as long as the turn still has time to wait for one more call at
its slowest. A store that fails slowly (timeouts) uses up the time by itself: then the
turn answers without it, and the save is tried again on a later turn.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from skill.retry import Backoff, retry
from skill.store.base import ConflictError, StorageError

T = TypeVar("T")

# Time a turn may spend on store calls, from the moment it starts. The rest of Alexa's
# 8 seconds goes to the cold start, rendering and the network.
TURN_BUDGET_SECONDS = 5.0
# Kept back from the Lambda's own remaining time (its context says how much is left).
LAMBDA_RESERVE_SECONDS = 1.0
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 0.8


class RetryPolicy(NamedTuple):
    """The retry rules; the clock, sleep and jitter are swappable for tests."""

    budget_seconds: float = TURN_BUDGET_SECONDS
    first_backoff: float = FIRST_BACKOFF_SECONDS
    max_backoff: float = MAX_BACKOFF_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def deadline(self, context: Any = None) -> Deadline:
        """The deadline of a turn starting now; ``context`` is Lambda's, when there is one."""
        now = self.clock()
        limit = now + self.budget_seconds
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining):
            try:
                left = float(remaining()) / 1000 - LAMBDA_RESERVE_SECONDS
            except (TypeError, ValueError):
                left = self.budget_seconds
            limit = min(limit, now + left)
        return Deadline(self, limit)


class Deadline:
    """One turn's time for the store."""

    def __init__(self, policy: RetryPolicy, limit: float) -> None:
        self.policy = policy
        self.limit = limit
        self.attempts = 0  # calls started, for logs and tests

    def left(self) -> float:
        return self.limit - self.policy.clock()

    def call(self, operation: Callable[[], T], slowest: float) -> T:
        """Run ``operation``, again after a pause each time it fails with a StorageError,
        while one more try at its ``slowest`` still fits. Conflicts are not retried: the
        caller has to re-read and merge first. The last error is raised."""
        if self.left() < slowest:
            raise StorageError("no time left in this turn for the store")

        def attempt() -> T:
            self.attempts += 1
            return operation()

        policy = self.policy
        return retry(
            attempt,
            again=lambda exc: isinstance(exc, StorageError) and not isinstance(exc, ConflictError),
            backoff=Backoff(policy.first_backoff, policy.max_backoff, policy.jitter),
            room=lambda pause: self.left() >= pause + slowest,
            sleep=policy.sleep,
        )
