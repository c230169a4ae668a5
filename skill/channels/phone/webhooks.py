"""The phone line: the same coaching over a Twilio Programmable Voice call.

Another channel of the one turn service, built like the terminal chat: what the caller says
(Twilio's ``SpeechResult``) or presses is taken through the shared text session to the turn
service (``skill.channels.phone.call``), and the skill's answer is spoken back as TwiML with
a Polly voice. So the walkthroughs, the safety answer and the caller's progress (in the
skill's own store) are the skill's; only the keypad, silences and hanging up are the phone's.
No Alexa request is made and the Alexa SDK is never loaded.

Routes (Blueprint ``blueprint``, registered by ``skill.web.create_app`` and by
``skill.channels.phone.aws_lambda`` on Lambda):

* ``POST /phone/voice``: Twilio's "a call comes in" webhook. Greets the caller.
* ``POST /phone/gather``: where every ``<Gather>`` posts what was said or pressed, and where
  the ``<Redirect>`` after it lands when the caller said nothing.
* ``POST /phone/status``: optional call-status callback; a finished call ends its session.

Every request must carry a valid ``X-Twilio-Signature`` (403 otherwise,
``skill.channels.phone.guard``). A call is bound to the caller who placed it, and a gather
for a call that is unknown, ended or someone else's is refused with a polite hang-up; each
answer names the next turn with a nonce in its action URL, so a captured gather posted
again, during the call or after, drives nothing. Each turn claims its call in the call store
(``skill.channels.phone.calls``) first, so webhooks of one call on several processes take
turns. Caller ID is not identity: progress carries between calls only with the caller's PIN
(``skill.channels.phone.pin``). Once signed, Twilio always gets TwiML: an HTTP error would
make it play its own "application error" message to the caller. See docs/phone.md.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from skill.channels.phone import pending, reply
from skill.channels.phone.call import PhoneCall
from skill.channels.phone.calls import (
    CallState,
    CallStore,
    CallStoreUnavailable,
    Claim,
    ClaimStatus,
    LeaseLost,
    new_lease,
)
from skill.channels.phone.detours import MAX_TROUBLES, count, hold, refuse, safety, stale, trouble
from skill.channels.phone.guard import check_request
from skill.channels.phone.identity import call_user_id, caller_binding, line_key
from skill.channels.phone.pin import Vaults
from skill.channels.phone.reply import twiml
from skill.channels.phone.settings import (
    SecretUnavailable,
    busy_wait,
    call_store,
    carries,
    check_configuration,
    locale_of,
    pepper,
    turn_service,
)
from skill.channels.phone.twiml import Answer
from skill.digest import short_hash
from skill.retry import Backoff

logger = logging.getLogger(__name__)

blueprint = Blueprint("phone", __name__, url_prefix="/phone")

# Waiting for a call that another webhook holds: short pauses, growing, jittered.
BUSY_BACKOFF = Backoff(0.02, 0.25)
# A real utterance is a sentence or two; Twilio's transcripts of a minute's speech are well
# under this. Past it, the ear's work per utterance would grow with the text: cut here, so
# every webhook answers well within Twilio's 15 seconds.
MAX_SPEECH_CHARS = 2000

_CALL_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")  # Twilio's are "CA" + 32 hex digits
_TOKEN = re.compile(r"^[0-9a-f]{8,64}$")
_FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@blueprint.record_once
def _refuse_to_start_without_a_pepper(state: object) -> None:
    """A line with a Twilio token and no pepper must not start (settings.check_configuration)."""
    app = getattr(state, "app", None)
    if app is not None:
        check_configuration(app.config)


def new_turn() -> str:
    return secrets.token_hex(8)


def _token(name: str) -> str:
    value = request.args.get(name, "")
    return value if _TOKEN.match(value) else ""


def _words() -> str:
    return (request.form.get("SpeechResult") or "").strip()[:MAX_SPEECH_CHARS]


def _new_call(call_sid: str, state: CallState, secret: str) -> PhoneCall:
    vaults = Vaults(secret, carries(), call_store().count_pin_try)
    return PhoneCall(state, turn_service(), tag=short_hash(call_sid), vaults=vaults)


def _new_state(call_sid: str, form: Mapping[str, str], secret: str) -> CallState:
    # Every call starts on a key of its own: the number alone opens nothing (identity).
    return CallState(
        user_id=call_user_id(call_sid, secret),
        locale=locale_of(form),
        caller=caller_binding(form, secret),
        line=line_key(form.get("From"), secret),
    )


# --- turns: claim the call, run the skill, keep the state ----------------------------------


def _claim(attempt: Callable[[], Claim]) -> Claim:
    """Claim the call, waiting a little while another webhook of it runs its turn."""
    deadline = time.monotonic() + busy_wait()
    for pause in BUSY_BACKOFF.pauses():
        claim = attempt()
        if claim.status is not ClaimStatus.BUSY or time.monotonic() + pause > deadline:
            return claim
        time.sleep(pause)
    raise AssertionError("unreachable: the pauses never end")  # pragma: no cover


def _finish(
    store: CallStore,
    call_sid: str,
    lease: str,
    call: PhoneCall,
    answer: Answer,
    consumed: list[str],
) -> None:
    """Keep the call's new state, or end the call. Never raises: the answer must go out."""
    state: CallState | None = None if answer.hang_up else call.snapshot()
    try:
        if state is None:
            store.end(call_sid, lease)
        elif store.release(call_sid, state, lease, consumed).hung_up:
            # The caller hung up while this turn ran: close the session, as the status
            # callback would have done.
            try:
                call.end("USER_INITIATED")
            except Exception:
                logger.exception("phone session end failed call=%s", call.tag)
            state = None
            store.end(call_sid, lease)
    except LeaseLost:
        # Only after a turn longer than the lease: another webhook took the call over.
        logger.error("phone turn lost its lease call=%s; its state is dropped", call.tag)
    except CallStoreUnavailable:
        # The caller hears this turn's answer all the same; the state waits in this process
        # and is written before the call's next turn (docs/phone.md).
        logger.warning("phone call state not saved yet call=%s", call.tag)
        pending.remember(call_sid, pending.Unsaved(lease, state, consumed))


def _run(
    store: CallStore,
    call_sid: str,
    lease: str,
    call: PhoneCall,
    step: Callable[[], Answer],
    consumed: list[str] | None = None,
    words: str = "",
) -> Response:
    """Run one step of a claimed call and keep (or end) its state. The answer names the
    call's next turn: the one webhook that may take it."""
    try:
        answer = step()
    except Exception:
        logger.exception("phone turn failed call=%s", call.tag)
        answer = safety(words, call.state.locale) or Answer(
            [call.render("phone_error")], hang_up=True
        )
    call.state.turn = new_turn()
    _finish(store, call_sid, lease, call, answer, consumed or [])
    query = None if answer.hang_up else {"turn": call.state.turn}
    return twiml(answer, call.state.locale, query)


def _call_sid() -> str | None:
    sid = (request.form.get("CallSid") or "").strip()
    return sid or None


def _bad_request(message: str) -> Response:
    logger.warning("phone request rejected: %s", message)
    response = jsonify(error=message)
    response.status_code = 400
    return response


def _webhook(view: Callable[[str, str], Response]) -> Callable[[], Response]:
    """Every webhook: Twilio's signature first, then the call it is about, then the line's
    secret (read from SSM on Lambda; without it nothing is touched)."""

    @functools.wraps(view)
    def checked() -> Response:
        denied = check_request()
        if denied is not None:
            return denied
        call_sid = _call_sid()
        if call_sid is None:
            return _bad_request("missing CallSid")
        if not _CALL_SID.match(call_sid):
            return _bad_request("malformed CallSid")
        try:
            secret = pepper()
        except SecretUnavailable as exc:
            logger.error("phone request not served: the caller pepper is unavailable (%s)", exc)
            locale = locale_of(request.form)
            answer = safety(_words(), locale)
            return twiml(answer, locale) if answer is not None else reply.error()
        return view(call_sid, secret)

    return checked


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response | tuple[Response, int]:
    """The last resort: whatever went wrong, a signed webhook still gets TwiML."""
    if isinstance(exc, HTTPException):
        return jsonify(error=exc.name.lower()), exc.code or 500
    logger.exception("phone webhook failed on %.80r", request.path)
    return reply.error()


@blueprint.post("/voice")
@_webhook
def voice(call_sid: str, secret: str) -> Response:
    store = call_store()
    state = _new_state(call_sid, request.form, secret)
    lease = new_lease()
    try:
        pending.flush(store, call_sid)
        claim = _claim(lambda: store.open(call_sid, state, lease))
    except CallStoreUnavailable:
        return trouble(MAX_TROUBLES - 1)  # nothing to go on from: goodbye, call again
    if claim.status is ClaimStatus.BUSY:
        return trouble(MAX_TROUBLES - 1)
    if claim.status is not ClaimStatus.CLAIMED or claim.state is None:
        return refuse(call_sid, claim.status)
    if not claim.created:
        # The same call asking to be greeted again: close the old session, keep the identity.
        old = claim.state
        state = CallState(
            user_id=old.user_id,
            locale=old.locale,
            session_id=old.session_id,
            attributes=old.attributes,
            caller=old.caller,
            line=old.line,
            verified=old.verified,
            pin_tries=old.pin_tries,
            version=old.version,
        )
    call = _new_call(call_sid, state, secret)
    return _run(store, call_sid, lease, call, call.start)


@blueprint.post("/gather")
@_webhook
def gather(call_sid: str, secret: str) -> Response:
    store = call_store()
    caller = caller_binding(request.form, secret)
    resume, turn = _token("resume"), _token("turn")
    entry = {"digits": (request.form.get("Digits") or "").strip()[:16], "words": _words()}
    lease = new_lease()
    try:
        pending.flush(store, call_sid)
        claim = _claim(lambda: store.claim(call_sid, caller, lease, turn))
    except CallStoreUnavailable:
        return trouble(count("trouble"), entry["words"], turn)
    if claim.status is ClaimStatus.BUSY:
        return hold(store, call_sid, caller, resume, entry, turn)
    if claim.status is ClaimStatus.STALE:
        return stale(store, call_sid, caller, resume, claim.turn, entry["words"])
    if claim.status is not ClaimStatus.CLAIMED or claim.state is None:
        return refuse(call_sid, claim.status, entry["words"])

    call = _new_call(call_sid, claim.state, secret)
    # Inputs left with the call are this turn's, or no one's: all of them go with it.
    consumed = list(claim.state.deferred)
    if resume:
        # Back after "one moment": the input left with the call is this turn's.
        left = claim.state.deferred.get(resume)
        if left is None:
            return _run(store, call_sid, lease, call, call.again, consumed)
        entry = {"digits": left.get("digits", ""), "words": left.get("words", "")}
    digits, words = entry["digits"], entry["words"][:MAX_SPEECH_CHARS]
    if digits:
        return _run(store, call_sid, lease, call, lambda: call.press(digits), consumed)
    if words:
        return _run(store, call_sid, lease, call, lambda: call.hear(words), consumed, words)
    return _run(store, call_sid, lease, call, call.silence, consumed)


@blueprint.post("/status")
@_webhook
def status(call_sid: str, secret: str) -> Response:
    if (request.form.get("CallStatus") or "").lower() not in _FINAL_CALL_STATUSES:
        return Response(status=204)
    store = call_store()
    caller = caller_binding(request.form, secret)
    lease = new_lease()
    try:
        pending.flush(store, call_sid)
        claim = _claim(lambda: store.claim(call_sid, caller, lease))
        if claim.status is ClaimStatus.BUSY:
            # Its turn is still running: the holder ends the call when it is done.
            store.hang_up(call_sid, caller)
        elif claim.status is ClaimStatus.CLAIMED and claim.state is not None:
            call = _new_call(call_sid, claim.state, secret)
            try:
                call.end("USER_INITIATED")
            except Exception:
                logger.exception("phone session end failed call=%s", call.tag)
            store.end(call_sid, lease)
    except (CallStoreUnavailable, LeaseLost):
        # Nothing for Twilio to do about it; the call's state expires on its own.
        logger.warning("phone call end not recorded call=%s", short_hash(call_sid))
    return Response(status=204)
