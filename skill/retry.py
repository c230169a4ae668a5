"""Trying again after a pause that grows: the one backoff every retry loop of the skill uses.

A store or service that fails fast (throttling, a locked database, a busy call) is usually
back a moment later. So a failed try is followed by a short pause, doubled each time up to
a ceiling, and jittered: half to all of it ("equal jitter"), so that processes that failed
together do not all come back at the same instant. Whether there is time for one more try
is the caller's to say (a turn's deadline, a webhook's budget): ``retry`` asks it before
every pause.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Backoff:
    """Pauses of ``first`` seconds, doubling up to ``most``; ``jitter`` gives 0..1.

    A plain class: every Lambda cold start defines it, and a NamedTuple costs several times
    more to define (skill.core.values)."""

    __slots__ = ("first", "jitter", "most")

    def __init__(
        self, first: float, most: float, jitter: Callable[[], float] = random.random
    ) -> None:
        self.first = first
        self.most = most
        self.jitter = jitter

    def pauses(self) -> Iterator[float]:
        """The pauses to sleep, one per failed try, each already jittered."""
        pause = self.first
        while True:
            yield pause * (0.5 + self.jitter() / 2)
            pause = min(pause * 2, self.most)


def retry(
    operation: Callable[[], T],
    *,
    again: Callable[[Exception], bool],
    backoff: Backoff,
    room: Callable[[float], bool],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``; while it raises an error that ``again`` calls worth another try and
    ``room(pause)`` says there is time for that pause and one more try, sleep and run it
    again. The last error is raised."""
    pauses = backoff.pauses()
    while True:
        try:
            return operation()
        except Exception as exc:
            if not again(exc):
                raise
            pause = next(pauses)
            if not room(pause):
                raise
            sleep(pause)
