"""Per-call state of the phone line, behind a small interface, and the rules every store keeps.

A phone call is one Alexa-style session: its session ID and attributes (the dialog core's
conversation and the caller's progress), plus what only the phone needs (how many silences
in a row, whether the keypad was announced, the last reprompt). Progress itself lives in the
skill's persistence store, keyed by the hashed caller; this is only the conversation.

Every store keeps the same contract (tests/channels/test_phone_calls.py runs it against each):

* **One turn at a time.** A webhook *claims* a call (a lease with a random token and an expiry)
  before the skill hears anything, and *releases* it with the new state. While one webhook
  holds a call, another webhook of the same call is told ``BUSY`` and may wait, or leave its
  input with the call (``defer``) to be taken up by a later turn. So two webhooks racing on two
  instances cannot both run a turn on the same state, and neither turn is lost. A lease that
  was never released (a crashed instance) expires, and the call can be claimed again.
* **A call belongs to its caller.** The state carries ``caller``, a hash of who called whom
  (``From`` and ``To``). A claim that names another caller is ``STRANGER`` and changes nothing.
* **Ended calls stay ended.** Ending a call leaves a *tombstone* (no conversation, only the
  caller hash) for ``tombstone_seconds``, so replayed webhooks of a finished call are refused
  (``ENDED``) rather than starting it again. A call the store never saw is ``UNKNOWN``.
* **Idle calls expire** ``ttl_seconds`` after their last turn.
* **Each turn is taken once.** Every answer names the next turn with a nonce (``turn``, in
  the TwiML's action URL, which Twilio signs), kept in the state. A claim that names
  another turn is ``STALE`` (a captured gather posted again, during the call or after) and
  changes nothing; it says which turn the call is on (``Claim.turn``).
* **Inputs left with a busy call are the next turn's only.** The turn that claims the call
  takes them up (or drops them, ``consumed``), a webhook that gives up waiting takes its own
  back (``withdraw``), and an ended call keeps none.
* **PIN tries are counted per number** (``count_pin_try``, the number's HMAC), over a
  window, so a number's PINs cannot be guessed call after call.

States go in and come out as plain data, so any store can hold them: this module's
``MemoryCallStore`` for one process (the default), ``skill.channels.phone.dynamodb_calls`` for
several processes or hosts (chosen by ``PHONE_CALLS_TABLE_NAME``).
"""

from __future__ import annotations

import enum
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

DEFAULT_MAX_CALLS = 500
DEFAULT_TTL_SECONDS = 3600  # idle time; a turn every few minutes is the slowest real call
# Long past any call (Twilio ends calls after 4 hours unless told otherwise): a captured
# signed webhook replayed within this time finds the tombstone and is refused.
DEFAULT_TOMBSTONE_SECONDS = 30 * 24 * 3600
DEFAULT_MAX_TOMBSTONES = 20_000  # in memory: about 200 bytes each
# A turn takes well under a second; a lease this old belongs to an instance that died
# mid-turn. Shorter than Twilio's 15 s deadline, so a waiting webhook can still get the call.
DEFAULT_LEASE_SECONDS = 8.0
PIN_TRY_WINDOW_SECONDS = 24 * 3600
MAX_COUNTED_LINES = 20_000  # in memory


class CallStoreUnavailable(Exception):
    """The store could not be reached in time (timeouts, throttling, an outage)."""


class LeaseLost(Exception):
    """The lease expired and another webhook claimed the call: this turn's state is dropped."""


class ClaimStatus(enum.Enum):
    CLAIMED = "claimed"  # the call is yours until you release or end it
    BUSY = "busy"  # another webhook holds it right now
    UNKNOWN = "unknown"  # never seen, or expired
    ENDED = "ended"  # a tombstone: the call is over
    STRANGER = "stranger"  # the call is someone else's
    STALE = "stale"  # a turn the call has taken already (a replay, or a retry)


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
    caller: str = ""  # hash of From and To: only that caller may drive this call
    turn: str = ""  # the nonce the next webhook must name (in its URL); "": any
    line: str = ""  # HMAC of the caller's number; "" without caller ID (identity.line_key)
    verified: bool = False  # a PIN was given: ``user_id`` is the number's vault
    pin_stage: str = ""  # "enter" or "confirm" while the caller keys a PIN; else ""
    pin_first: str = ""  # a new PIN's first entry (identity.pin_digest), until confirmed
    pin_tries: int = 0  # PINs entered in this call
    # Kept by the store, not by the turn:
    version: int = 0  # how many times the state was written
    deferred: dict[str, dict[str, str]] = field(default_factory=dict)  # inputs left while busy

    def to_dict(self) -> dict[str, Any]:
        """The conversation as plain data; the store-kept fields are the store's to write."""
        data = asdict(self)
        del data["version"], data["deferred"]
        return data

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
            caller=str(data.get("caller") or ""),
            turn=str(data.get("turn") or ""),
            line=str(data.get("line") or ""),
            verified=bool(data.get("verified")),
            pin_stage=str(data.get("pin_stage") or ""),
            pin_first=str(data.get("pin_first") or ""),
            pin_tries=int(data.get("pin_tries") or 0),
        )


@dataclass(frozen=True)
class Claim:
    """What a claim found. ``state`` is set when CLAIMED: the state to run the turn on."""

    status: ClaimStatus
    state: CallState | None = None
    created: bool = False  # ``open`` made a new call rather than claiming an existing one
    turn: str = ""  # STALE: the turn the call is on


@dataclass(frozen=True)
class Released:
    """``hung_up``: the caller hung up during the turn; nothing was written, the lease is still
    yours, and the call should be ended."""

    hung_up: bool = False


class CallStore(Protocol):
    def open(self, call_sid: str, state: CallState, lease: str) -> Claim:
        """A call comes in: store ``state`` claimed by ``lease``. If the call exists, claim it
        as ``claim`` would (CLAIMED with its state, else BUSY, ENDED or STRANGER)."""
        ...

    def claim(self, call_sid: str, caller: str, lease: str, turn: str | None = None) -> Claim:
        """Claim the call for a turn; ``turn``: the nonce the webhook names (None: a status
        callback, which names none). STALE when the call is on another turn."""
        ...

    def release(
        self, call_sid: str, state: CallState, lease: str, consumed: Collection[str] = ()
    ) -> Released:
        """Write the turn's state and give the call up. ``consumed``: deferred inputs the turn
        took up, to drop. Raises ``LeaseLost`` if another webhook has claimed the call."""
        ...

    def end(self, call_sid: str, lease: str) -> None:
        """Replace the claimed call with its tombstone. Raises ``LeaseLost`` as release does."""
        ...

    def defer(self, call_sid: str, caller: str, key: str, entry: Mapping[str, str]) -> bool:
        """Leave an input with a busy call; False if the call is not this caller's live call."""
        ...

    def withdraw(self, call_sid: str, caller: str, key: str) -> bool:
        """Take back an input left with ``defer`` (the webhook gave up waiting)."""
        ...

    def hang_up(self, call_sid: str, caller: str) -> bool:
        """Mark a busy call as hung up, for its holder to end; False as for ``defer``."""
        ...

    def count_pin_try(self, line: str) -> int:
        """Count a PIN entered for the number ``line``; the tries in its window so far."""
        ...


def new_lease() -> str:
    return secrets.token_hex(16)


@dataclass
class _Entry:
    state: dict[str, Any]
    caller: str
    expires: float
    version: int = 1
    ended: bool = False
    lease: str | None = None
    lease_until: float = 0.0
    hung_up: bool = False
    deferred: dict[str, dict[str, str]] = field(default_factory=dict)


class MemoryCallStore:
    """Calls in this process: least recently used first out, and idle ones expire.

    Bounded in both directions: at most ``max_calls`` live calls, each forgotten
    ``ttl_seconds`` after its last turn, and at most ``max_tombstones`` ended ones. That
    suits one server process (waitress's threads, or one gunicorn worker); several processes
    need a shared store (``skill.channels.phone.dynamodb_calls``).
    """

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        tombstone_seconds: float = DEFAULT_TOMBSTONE_SECONDS,
        max_tombstones: int = DEFAULT_MAX_TOMBSTONES,
    ) -> None:
        if max_calls < 1 or max_tombstones < 1:
            raise ValueError("max_calls and max_tombstones must be at least 1")
        self.max_calls = max_calls
        self.ttl_seconds = ttl_seconds
        self.lease_seconds = lease_seconds
        self.tombstone_seconds = tombstone_seconds
        self.max_tombstones = max_tombstones
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: OrderedDict[str, _Entry] = OrderedDict()
        self._tombstones: OrderedDict[str, _Entry] = OrderedDict()
        self._pin_tries: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def __len__(self) -> int:
        """Live calls (tombstones not counted)."""
        with self._lock:
            self._expire(self._clock())
            return len(self._calls)

    # --- the contract -------------------------------------------------------------------

    def open(self, call_sid: str, state: CallState, lease: str) -> Claim:
        with self._lock:
            now = self._clock()
            self._expire(now)
            if call_sid in self._calls or call_sid in self._tombstones:
                return self._claim(call_sid, state.caller, lease, now)
            entry = _Entry(
                state=state.to_dict(),
                caller=state.caller,
                expires=now + self.ttl_seconds,
                lease=lease,
                lease_until=now + self.lease_seconds,
            )
            self._calls[call_sid] = entry
            while len(self._calls) > self.max_calls:
                # The least recently active call goes; its next webhook is refused, and the
                # caller's progress is still in the skill's store.
                self._calls.popitem(last=False)
            return Claim(ClaimStatus.CLAIMED, self._state(entry), created=True)

    def claim(self, call_sid: str, caller: str, lease: str, turn: str | None = None) -> Claim:
        with self._lock:
            now = self._clock()
            self._expire(now)
            return self._claim(call_sid, caller, lease, now, turn)

    def release(
        self, call_sid: str, state: CallState, lease: str, consumed: Collection[str] = ()
    ) -> Released:
        with self._lock:
            now = self._clock()
            entry = self._held(call_sid, lease)
            if entry.hung_up:
                return Released(hung_up=True)
            entry.state = state.to_dict()
            entry.version += 1
            entry.expires = now + self.ttl_seconds
            entry.lease, entry.lease_until = None, 0.0
            for key in consumed:
                entry.deferred.pop(key, None)
            self._calls.move_to_end(call_sid)
            return Released()

    def end(self, call_sid: str, lease: str) -> None:
        with self._lock:
            entry = self._held(call_sid, lease)
            del self._calls[call_sid]
            self._bury(call_sid, entry.caller, self._clock())

    def defer(self, call_sid: str, caller: str, key: str, entry: Mapping[str, str]) -> bool:
        with self._lock:
            live = self._live(call_sid, caller)
            if live is None:
                return False
            live.deferred[key] = dict(entry)
            return True

    def withdraw(self, call_sid: str, caller: str, key: str) -> bool:
        with self._lock:
            live = self._live(call_sid, caller)
            if live is None:
                return False
            live.deferred.pop(key, None)
            return True

    def hang_up(self, call_sid: str, caller: str) -> bool:
        with self._lock:
            live = self._live(call_sid, caller)
            if live is None:
                return False
            live.hung_up = True
            return True

    def count_pin_try(self, line: str) -> int:
        with self._lock:
            now = self._clock()
            until, tries = self._pin_tries.pop(line, (0.0, 0))
            if until <= now:
                until, tries = now + PIN_TRY_WINDOW_SECONDS, 0
            self._pin_tries[line] = (until, tries + 1)
            while len(self._pin_tries) > MAX_COUNTED_LINES:
                self._pin_tries.popitem(last=False)
            return tries + 1

    # --- for tests and tools --------------------------------------------------------------

    def get(self, call_sid: str) -> CallState | None:
        """The live call's state (a copy), or None."""
        with self._lock:
            self._expire(self._clock())
            entry = self._calls.get(call_sid)
            return self._state(entry) if entry else None

    def is_ended(self, call_sid: str) -> bool:
        with self._lock:
            self._expire(self._clock())
            return call_sid in self._tombstones

    def forget(self, call_sid: str) -> None:
        """Drop a call without a tombstone, as eviction or a restart would."""
        with self._lock:
            self._calls.pop(call_sid, None)

    # --- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _state(entry: _Entry) -> CallState:
        # A copy: changes count only once they are released, as with an external store.
        state = CallState.from_dict(entry.state)
        state.version = entry.version
        state.deferred = {key: dict(value) for key, value in entry.deferred.items()}
        return state

    def _claim(
        self, call_sid: str, caller: str, lease: str, now: float, turn: str | None = None
    ) -> Claim:
        if call_sid in self._tombstones:
            return Claim(ClaimStatus.ENDED)
        entry = self._calls.get(call_sid)
        if entry is None:
            return Claim(ClaimStatus.UNKNOWN)
        if entry.caller != caller:
            return Claim(ClaimStatus.STRANGER)
        current = str(entry.state.get("turn") or "")
        if turn is not None and current and turn != current:
            return Claim(ClaimStatus.STALE, turn=current)
        if entry.lease is not None and entry.lease_until > now:
            return Claim(ClaimStatus.BUSY)
        entry.lease, entry.lease_until = lease, now + self.lease_seconds
        return Claim(ClaimStatus.CLAIMED, self._state(entry))

    def _held(self, call_sid: str, lease: str) -> _Entry:
        entry = self._calls.get(call_sid)
        # An expired lease that nobody took over is still good: nothing was lost.
        if entry is None or entry.lease != lease:
            raise LeaseLost(call_sid)
        return entry

    def _live(self, call_sid: str, caller: str) -> _Entry | None:
        self._expire(self._clock())
        entry = self._calls.get(call_sid)
        return entry if entry is not None and entry.caller == caller else None

    def _bury(self, call_sid: str, caller: str, now: float) -> None:
        self._tombstones[call_sid] = _Entry(
            state={}, caller=caller, expires=now + self.tombstone_seconds, ended=True
        )
        self._tombstones.move_to_end(call_sid)
        while len(self._tombstones) > self.max_tombstones:
            self._tombstones.popitem(last=False)

    def _expire(self, now: float) -> None:
        # Entries are in order of last use, so expired ones are all at the front. A call
        # mid-turn is not expired under its holder's feet.
        for entries in (self._calls, self._tombstones):
            while entries:
                sid, entry = next(iter(entries.items()))
                if entry.expires > now or (entry.lease is not None and entry.lease_until > now):
                    break
                del entries[sid]
