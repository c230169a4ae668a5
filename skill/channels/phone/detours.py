"""What the line says when it cannot run a turn: the call is someone else's, over, busy,
on another turn, or the store failed. Safety first on every one of these paths: someone
saying they are in danger hears where to get help, whatever else is wrong.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from flask import Response, request

from skill.channels.phone.calls import CallStore, CallStoreUnavailable, ClaimStatus
from skill.channels.phone.reply import render, twiml
from skill.channels.phone.settings import locale_of
from skill.channels.phone.twiml import Answer
from skill.digest import short_hash
from skill.nlu import get_resolver

logger = logging.getLogger("skill.channels.phone.webhooks")

MAX_HOLDS = 3  # "one moment"s in a row before the caller is asked to say it again
MAX_TROUBLES = 3  # store failures in a row before the line gives up politely
# The ear's own intents for a disclosure (skill.nlu's public API, whatever ear is behind it).
SAFETY_VIEWS = {"SafetyIntent": "safety", "SelfHarmIntent": "self_harm"}


def count(name: str) -> int:
    """One of the line's own counters, from the action URL it wrote (and Twilio signed)."""
    value = request.args.get(name, "")
    return min(int(value), 99) if value.isdigit() and len(value) <= 2 else 0


def safety(words: str, locale: str) -> Answer | None:
    """The safety answer, if the words are a disclosure of danger.

    Wherever the line cannot run the skill (a refused call, a busy one, a store outage, a
    failed turn), someone saying they are in danger still hears where to get help. It needs
    no state and changes none, so a replayed webhook gains nothing from it."""
    if not words:
        return None
    heard = get_resolver(locale).resolve(words)
    view = SAFETY_VIEWS.get(heard.intent or "")
    if view is None:
        return None
    # Who the partner is picks the helpline, as in the skill's own answer.
    partner = heard.slots.get("partner") if view == "safety" else None
    data = {"partner": partner} if partner else {}
    return Answer([render(locale, view, closing=True, **data)], hang_up=True)


def refuse(call_sid: str, status: ClaimStatus, words: str = "") -> Response:
    """A webhook for a call this line will not drive: unknown (never seen, expired, lost),
    ended (a replay) or someone else's. It ends politely, touching nothing."""
    logger.warning("phone webhook refused call=%s: %s call", short_hash(call_sid), status.value)
    locale = locale_of(request.form)
    answer = safety(words, locale) or Answer([render(locale, "phone_refused")], hang_up=True)
    return twiml(answer, locale)


def trouble(troubles: int, words: str = "", turn: str = "") -> Response:
    """The call store failed: say sorry and ask again, or after a few times, say goodbye."""
    attempt = troubles + 1
    locale = locale_of(request.form)
    answer = safety(words, locale)
    if answer is not None:
        return twiml(answer, locale)
    speech = render(locale, "phone_trouble", attempt=attempt, last=attempt >= MAX_TROUBLES)
    if attempt >= MAX_TROUBLES:
        return twiml(Answer([speech], hang_up=True), locale)
    return twiml(Answer([speech]), locale, {"trouble": attempt, "turn": turn})


def stale(
    store: CallStore, call_sid: str, caller: str, resume: str, current: str, words: str
) -> Response:
    """A gather for a turn the call has taken already: a captured webhook posted again (or
    a retry). It drives nothing, takes back any input it left with the call, and the line
    asks again, naming the turn the call is on."""
    logger.warning("phone webhook for a turn already taken call=%s", short_hash(call_sid))
    if resume:
        _withdraw(store, call_sid, caller, resume)
    locale = locale_of(request.form)
    answer = safety(words, locale) or Answer([render(locale, "phone_trouble", last=False)])
    return twiml(answer, locale, None if answer.hang_up else {"turn": current})


def hold(
    store: CallStore,
    call_sid: str,
    caller: str,
    resume: str,
    entry: Mapping[str, str],
    turn: str,
) -> Response:
    """The call stayed busy: leave the input with it, say "one moment" and come back for it.
    A disclosure is answered at once instead, and never left with the call."""
    words = entry.get("words", "")
    locale = locale_of(request.form)
    answer = safety(words, locale)
    if answer is not None:
        return twiml(answer, locale)
    holds = count("hold")
    if holds >= MAX_HOLDS:
        if resume:
            _withdraw(store, call_sid, caller, resume)  # giving up: its input goes with it
        return trouble(count("trouble"), words, turn)
    key = resume or secrets.token_hex(8)
    if not resume:
        try:
            kept = store.defer(call_sid, caller, key, entry)
        except CallStoreUnavailable:
            return trouble(count("trouble"), words, turn)
        if not kept:
            return refuse(call_sid, ClaimStatus.UNKNOWN, words)
    logger.info("phone call busy call=%s: holding (%d)", short_hash(call_sid), holds + 1)
    answer = Answer([render(locale, "phone_busy")], hold=True)
    return twiml(answer, locale, {"resume": key, "hold": holds + 1, "turn": turn})


def _withdraw(store: CallStore, call_sid: str, caller: str, key: str) -> None:
    try:
        store.withdraw(call_sid, caller, key)
    except CallStoreUnavailable:
        # The next turn that claims the call drops it (webhooks.gather).
        logger.warning("phone held input not withdrawn call=%s", short_hash(call_sid))
