"""Requests already answered: a repeat of one gets the same answer, and no second turn.

A signed Alexa request stays valid for its timestamp's tolerance (150 s either way, so a
captured one can be posted again for up to 300 s), and Alexa may itself send a request
twice. Either way the turn must not run twice ("next" twice is two tips). So each answer
is kept by a digest of its request (which names its ``requestId`` and its user, so a
forged request cannot fetch another person's answer by naming their request) for that
whole window, and a repeat gets it back as it was. A repeat that arrives while the first
is still being answered waits for that answer.

The memory is this process's (a skill instance's): bounded by entries and by bytes. On
Lambda each instance remembers its own requests, which is enough there: only Alexa can
invoke the function. The web endpoint is one process per host (docs/web-endpoint.md).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from skill.digest import sha256

# Twice Amazon's timestamp tolerance: the whole time a captured request is accepted.
WINDOW_SECONDS = 300.0
MAX_ENTRIES = 4096
MAX_BYTES = 32 * 1024 * 1024  # a response is at most 120 KB; most are a few
WAIT_SECONDS = 10.0  # for the first of two identical requests to be answered


def replay_key(event: Any) -> str | None:
    """The key of a request: a digest of the whole envelope, which names its
    ``requestId`` and its user; None when it has no ``requestId``. A replay is the same
    bytes (its signature covers them), and so the same envelope; two requests that only
    share an ID are two requests."""
    if not isinstance(event, dict):
        return None
    request = event.get("request")
    request_id = request.get("requestId") if isinstance(request, dict) else None
    if not isinstance(request_id, str) or not request_id:
        return None
    try:
        text = json.dumps(event, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _Pending:
    __slots__ = ("done", "response")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: str | None = None


class RecentRequests:
    """Answers of the last ``window`` seconds, by ``replay_key``."""

    def __init__(
        self,
        window: float = WINDOW_SECONDS,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._pending: dict[str, _Pending] = {}
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._answers)

    def answer(self, key: str | None, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``run()``'s answer, or the one it gave within the window for the same key.
        Only answers are kept: a request that raises may be sent again."""
        if key is None:
            return run()
        with self._lock:
            self._expire(self._clock())
            kept = self._answers.get(key)
            pending = None if kept else self._pending.get(key)
            owner = kept is None and pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        if kept is not None:
            return dict(json.loads(kept[1]))
        assert pending is not None
        if not owner:
            if pending.done.wait(WAIT_SECONDS) and pending.response is not None:
                return dict(json.loads(pending.response))
            return run()  # the first failed or is stuck: this one is answered on its own
        try:
            response = run()
            pending.response = json.dumps(response, separators=(",", ":"))
            return response
        finally:
            with self._lock:
                del self._pending[key]
                if pending.response is not None:
                    self._keep(key, pending.response)
            pending.done.set()

    def _keep(self, key: str, text: str) -> None:
        # Caller holds the lock.
        if len(text) > self.max_bytes:
            return
        self._answers[key] = (self._clock() + self.window, text)
        self.bytes += len(text)
        while len(self._answers) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._answers.popitem(last=False)
            self.bytes -= len(dropped)

    def _expire(self, now: float) -> None:
        # Caller holds the lock. Kept in order of arrival, so expired ones are in front.
        while self._answers:
            key, (until, text) = next(iter(self._answers.items()))
            if until > now:
                break
            del self._answers[key]
            self.bytes -= len(text)
