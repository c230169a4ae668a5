"""Store outages for tests: the next N calls fail, whatever they are, on either store.

An outage counts calls, not operations: "the next 5 calls fail" is a read, a write and a
re-read failing in a row, as a real outage would hit them. Fast failures (throttling, a
locked database) cost no time; slow ones (timeouts) move the fake clock on by the
store's slowest call, so the retry budget of a turn is spent as it would be.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from skill.service.budget import RetryPolicy
from skill.store.base import StorageError
from skill.store.sqlite import SqliteProgressStore

ENDPOINT = "https://dynamodb.eu-west-1.amazonaws.com"


@dataclass
class FakeTime:
    """The clock and sleep of a RetryPolicy: sleeping moves the clock, nothing waits."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def policy(self, **overrides: Any) -> RetryPolicy:
        # Jitter fixed at its top: every pause is the full one, so runs repeat exactly.
        return RetryPolicy(clock=self.clock, sleep=self.sleep, jitter=lambda: 1.0, **overrides)


@dataclass
class Outage:
    """How many of the next calls fail, and how."""

    time: FakeTime
    slowest: float
    left: int = 0
    slow: bool = False
    after: int = 0  # calls to let through before the outage begins
    every: int = 0  # instead: every Nth call fails, for as long as the outage lasts
    failed: int = 0  # calls failed so far
    calls: int = 0  # calls seen so far, failed or not

    def start(self, calls: int, *, slow: bool = False, after: int = 0, every: int = 0) -> None:
        self.left, self.slow, self.after, self.every = calls, slow, after, every

    def stop(self) -> None:
        self.left = 0

    def take(self) -> bool:
        """Whether this call fails (and, for a slow failure, the time it took)."""
        self.calls += 1
        if self.every and self.left > 0 and self.calls % self.every:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        if self.left <= 0:
            return False
        self.left -= 1
        self.failed += 1
        if self.slow:
            self.time.now += self.slowest
        return True


def dynamodb_outage(client: Any, time: FakeTime, slowest: float) -> Outage:
    """Fails calls of ``client`` at botocore's "before-call": they never reach moto."""
    outage = Outage(time, slowest)

    def before_call(**_: Any) -> Any:
        if not outage.take():
            return None
        if outage.slow:
            raise ReadTimeoutError(endpoint_url=ENDPOINT)
        parsed = {
            "Error": {"Code": "ThrottlingException", "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse(ENDPOINT, 400, {}, None), parsed

    client.meta.events.register_first("before-call.dynamodb", before_call)
    return outage


class _FlakyConnection:
    """An sqlite3 connection whose statements fail while an outage lasts."""

    def __init__(self, real: sqlite3.Connection, outage: Outage) -> None:
        self._real = real
        self._outage = outage

    def execute(self, *args: Any) -> sqlite3.Cursor:
        if self._outage.take():
            raise sqlite3.OperationalError("database is locked")
        return self._real.execute(*args)

    def __enter__(self) -> _FlakyConnection:
        self._real.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._real.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def sqlite_outage(adapter: SqliteProgressStore, time: FakeTime) -> Outage:
    """Fails statements of ``adapter``'s connection (opened here if it is not yet)."""
    outage = Outage(time, adapter.slowest_call_seconds)
    real: Callable[[], sqlite3.Connection] = adapter._connection
    adapter._conn = _FlakyConnection(real(), outage)  # type: ignore[assignment]
    return outage


def attempts_per_turn(slowest: float, call_seconds: float = 0.0) -> int:
    """How many times one turn tries a call that always fails, each failure taking
    ``call_seconds``, under the default retry rules on a fake clock."""
    time = FakeTime()
    deadline = time.policy().deadline()

    def fail() -> None:
        time.now += call_seconds
        raise StorageError("down")

    try:
        deadline.call(fail, slowest)
    except StorageError:
        return deadline.attempts
    raise AssertionError("a call that always fails succeeded")
