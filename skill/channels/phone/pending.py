"""The call store's write-behind: a turn's end that the store did not take waits here, in
this process, and is written before the call's next turn (docs/phone.md)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import NamedTuple

from flask import current_app

from skill.channels.phone.calls import CallState, CallStore, LeaseLost
from skill.digest import short_hash

logger = logging.getLogger(__name__)

MAX_UNSAVED = 1000  # turns whose state waits in this process for the store to come back
_EXTENSION = "ally_coach_phone_unsaved"
_lock = threading.Lock()


class Unsaved(NamedTuple):  # not a dataclass: cheaper to define on a cold start
    """A turn's end that the store did not take: written before this call's next turn."""

    lease: str
    state: CallState | None  # None: the call was to end
    consumed: list[str]


def _pending() -> OrderedDict[str, Unsaved]:
    with _lock:
        pending = current_app.extensions.get(_EXTENSION)
        if pending is None:
            pending = current_app.extensions[_EXTENSION] = OrderedDict()
    return pending


def remember(call_sid: str, unsaved: Unsaved) -> None:
    pending = _pending()
    with _lock:
        pending[call_sid] = unsaved
        while len(pending) > MAX_UNSAVED:
            pending.popitem(last=False)


def flush(store: CallStore, call_sid: str) -> None:
    """Write what an earlier turn of this call could not; CallStoreUnavailable if still down.

    The lease of that turn was never released, so nobody else has run a turn since, unless it
    expired and another process claimed the call: then that process's turn stands."""
    pending = _pending()
    with _lock:
        unsaved = pending.get(call_sid)
    if unsaved is None:
        return
    try:
        state = unsaved.state
        if state is None or store.release(call_sid, state, unsaved.lease, unsaved.consumed).hung_up:
            store.end(call_sid, unsaved.lease)
        logger.info("phone call state saved late call=%s", short_hash(call_sid))
    except LeaseLost:
        logger.warning("phone call state dropped: claimed elsewhere call=%s", short_hash(call_sid))
    with _lock:
        pending.pop(call_sid, None)
