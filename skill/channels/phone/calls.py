"""Per-call state of the phone line, behind a small interface.

A phone call is one Alexa-style session: its session ID and attributes (the dialog core's
conversation and the caller's progress), plus what only the phone needs (how many silences
in a row, whether the keypad was announced, the last reprompt). Progress itself lives in the
skill's persistence store, keyed by the hashed caller; this is only the conversation.

The default store is in this process's memory, bounded in both directions: at most
``max_calls`` calls, each forgotten ``ttl_seconds`` after its last turn. That suits one
server process (waitress's threads, or one gunicorn worker); several processes behind a load
balancer need a shared ``CallStore`` (say, Redis with the same TTL) given as the app's
``PHONE_CALL_STORE``. States go in and come out as plain dicts so any such store can hold them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

DEFAULT_MAX_CALLS = 500
DEFAULT_TTL_SECONDS = 3600  # idle time; a turn every few minutes is the slowest real call


@dataclass
class CallState:
    """One call. ``user_id`` is already the hashed caller, never the number."""

    user_id: str
    locale: str
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    reprompt: str | None = None  # the skill's last reprompt (SSML), said on a first silence
    silences: int = 0  # silent turns in a row
    keypad_announced: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallState:
        return cls(
            user_id=str(data["user_id"]),
            locale=str(data["locale"]),
            session_id=data.get("session_id"),
            attributes=dict(data.get("attributes") or {}),
            reprompt=data.get("reprompt"),
            silences=int(data.get("silences") or 0),
            keypad_announced=bool(data.get("keypad_announced")),
        )


class CallStore(Protocol):
    def get(self, call_sid: str) -> CallState | None: ...

    def put(self, call_sid: str, state: CallState) -> None: ...

    def pop(self, call_sid: str) -> CallState | None: ...


class MemoryCallStore:
    """Calls in this process: least recently used first out, and idle ones expire."""

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_calls < 1:
            raise ValueError("max_calls must be at least 1")
        self.max_calls = max_calls
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._calls)

    def get(self, call_sid: str) -> CallState | None:
        with self._lock:
            self._expire(self._clock())
            entry = self._calls.get(call_sid)
        # A copy: changes count only once they are put back, as with an external store.
        return CallState.from_dict(entry[1]) if entry else None

    def put(self, call_sid: str, state: CallState) -> None:
        with self._lock:
            now = self._clock()
            self._calls[call_sid] = (now + self.ttl_seconds, state.to_dict())
            self._calls.move_to_end(call_sid)
            self._expire(now)
            while len(self._calls) > self.max_calls:
                # The least recently active call goes; if it rings on, its next turn starts a
                # fresh session, and the caller's progress is still in the skill's store.
                self._calls.popitem(last=False)

    def pop(self, call_sid: str) -> CallState | None:
        with self._lock:
            entry = self._calls.pop(call_sid, None)
        return CallState.from_dict(entry[1]) if entry else None

    def _expire(self, now: float) -> None:
        # Entries are in order of last use, so expired ones are all at the front.
        while self._calls:
            sid, (expires, _) = next(iter(self._calls.items()))
            if expires > now:
                break
            del self._calls[sid]
