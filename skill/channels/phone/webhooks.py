"""The phone line: the same coaching over a Twilio Programmable Voice call.

Another adapter around the one dialog core, built like the terminal chat: what the caller
says (Twilio's ``SpeechResult``) is resolved with the same offline resolver, sent as a real
Alexa request envelope (``SessionDriver``) through the same skill handler as ``POST /alexa``,
and the skill's SSML answer is spoken back as TwiML with a Polly voice. So the walkthroughs,
the safety answer and the caller's progress (in the skill's own store) are the skill's; only
the keypad, silences and hanging up are the phone's.

Routes (Blueprint ``blueprint``, registered by ``skill.channels.web.app.create_app`` and by
``skill.channels.phone.aws_lambda`` on Lambda):

* ``POST /phone/voice``: Twilio's "a call comes in" webhook. Greets the caller.
* ``POST /phone/gather``: where every ``<Gather>`` posts what was said or pressed, and where
  the ``<Redirect>`` after it lands when the caller said nothing.
* ``POST /phone/status``: optional call-status callback; a finished call ends its session.

Every request must carry a valid ``X-Twilio-Signature`` (403 otherwise). A call is bound to
the caller who placed it, and a gather for a call that is unknown, ended or someone else's
is refused with a polite hang-up, so captured webhooks replayed later drive nothing. Each turn
claims its call in the call store (``skill.channels.phone.calls``) first, so webhooks of one
call on several processes take turns. Once signed, Twilio always gets TwiML: an HTTP error
would make it play its own "application error" message to the caller. See docs/phone.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import random
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

from skill.alexa.envelopes import LOCAL_SKILL_ID, SessionDriver
from skill.channels.phone.calls import (
    CallState,
    CallStore,
    CallStoreUnavailable,
    Claim,
    ClaimStatus,
    LeaseLost,
    MemoryCallStore,
    new_lease,
)
from skill.channels.phone.twiml import DEFAULT_LOCALE, Answer, build_twiml, voice_for
from skill.channels.web.app import CONFIG_SKILL_HANDLER, CONFIG_SKILL_ID, SkillHandler
from skill.speech.render import get_speech
from skill.store.base import short_hash
from skill.understanding.resolver import Resolution, get_resolver

logger = logging.getLogger(__name__)

blueprint = Blueprint("phone", __name__, url_prefix="/phone")

# Keys of create_app's config that the phone line reads. The first three fall back to the
# environment (skill.config: TWILIO_AUTH_TOKEN or TWILIO_AUTH_TOKEN_PARAMETER,
# PUBLIC_BASE_URL, PHONE_CALLS_TABLE_NAME); the rest are config only.
CONFIG_TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
CONFIG_PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
CONFIG_CALLS_TABLE_NAME = "PHONE_CALLS_TABLE_NAME"
CONFIG_ALLOW_UNSIGNED = "PHONE_ALLOW_UNSIGNED"  # development only, and only without a token
CONFIG_LOCALE = "PHONE_LOCALE"  # force one locale; default: from the number that was called
CONFIG_VOICE = "PHONE_VOICE"  # force one Polly voice, e.g. "Polly.Joanna"
CONFIG_CALL_STORE = "PHONE_CALL_STORE"  # a skill.channels.phone.calls.CallStore
CONFIG_CALLER_PEPPER = "PHONE_CALLER_PEPPER"  # secret mixed into the caller hash
CONFIG_BUSY_WAIT = "PHONE_BUSY_WAIT_SECONDS"  # how long a turn waits for a busy call

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_FORM_BYTES = 64 * 1024  # Twilio's webhook forms are around 1 KiB
GATHER_TIMEOUT_SECONDS = 8  # after the prompt ends; exercises ask the caller to think first
MAX_SILENCES = 3  # 1: the skill's reprompt, 2: the options, 3: goodbye
USER_PREFIX = "phone:"
# A turn takes well under a second, so a call busy for longer is stuck; within Twilio's 15 s
# this leaves the skill and the store their own time budgets.
BUSY_WAIT_SECONDS = 3.0
MAX_HOLDS = 3  # "one moment"s in a row before the caller is asked to say it again
MAX_TROUBLES = 3  # store failures in a row before the line gives up politely
MAX_UNSAVED = 1000  # turns whose state waits in this process for the store to come back

# One key per option, so <Gather numDigits="1"> acts on the press at once. The spoken list is
# templates/en/phone/_keypad.ssml.j2; a test keeps the two in step.
KEYPAD: dict[str, str] = {
    "1": "AMAZON.NextIntent",
    "2": "AMAZON.RepeatIntent",
    "3": "AMAZON.PreviousIntent",
    "7": "AMAZON.YesIntent",
    "8": "AMAZON.NoIntent",
    "9": "AMAZON.HelpIntent",
    "0": "AMAZON.StopIntent",
}

# The number that was called decides the line's English: a UK number gets a UK voice.
COUNTRY_LOCALES: dict[str, str] = {
    "US": "en-US",
    "CA": "en-CA",
    "GB": "en-GB",
    "AU": "en-AU",
    "IN": "en-IN",
}

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_CALL_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")  # Twilio's are "CA" + 32 hex digits
_TOKEN = re.compile(r"^[0-9a-f]{8,64}$")
# What Twilio puts in From when the caller ID is withheld: keypad spellings of ANONYMOUS,
# RESTRICTED, BLOCKED, UNKNOWN and UNAVAILABLE. Such callers must not share one progress.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})
_FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
_store_lock = threading.Lock()
_EXTENSION = "ally_coach_phone_calls"
_UNSAVED_EXTENSION = "ally_coach_phone_unsaved"


# --- who is calling -----------------------------------------------------------------------


def caller_user_id(number: str | None, call_sid: str, pepper: str | None = None) -> str:
    """The skill user ID of a caller: ``phone:`` + a SHA-256 of their number.

    The number itself is never stored or logged. With a pepper (a secret), the hash is an
    HMAC, so a leaked store cannot be reversed by hashing every possible number. A caller
    without caller ID gets an ID for this call only: they cannot resume, but nor can a
    stranger who also withholds their number pick up their progress.
    """
    cleaned = re.sub(r"[\s().-]", "", number or "")
    if not _E164.match(cleaned) or cleaned in WITHHELD_NUMBERS:
        call = hashlib.sha256(call_sid.encode("utf-8")).hexdigest()
        return f"{USER_PREFIX}call:{call}"
    if pepper:
        digest = hmac.new(pepper.encode("utf-8"), cleaned.encode("utf-8"), hashlib.sha256)
        return USER_PREFIX + digest.hexdigest()
    return USER_PREFIX + hashlib.sha256(cleaned.encode("utf-8")).hexdigest()


def caller_binding(form: Mapping[str, str], pepper: str | None = None) -> str:
    """A hash of who called whom (``From`` and ``To``), which every webhook of a call must
    repeat: a signed webhook that names this call with another caller drives nothing."""
    who = f"{(form.get('From') or '').strip()}|{(form.get('To') or '').strip()}"
    key = (pepper or "ally-coach-phone-caller").encode("utf-8")
    return hmac.new(key, who.encode("utf-8"), hashlib.sha256).hexdigest()


# Intents whose very name says something about the caller's safety: never logged with them.
PRIVATE_INTENTS = frozenset(
    {
        "SafetyIntent",
        "SelfHarmIntent",
        "MisunderstoodIntent",
        "ConcernIntent",
        "SelfHarmConcernIntent",
        "FeelingsIntent",
    }
)


# --- one call -------------------------------------------------------------------------------


class PhoneCall:
    """Drives the skill for one call, as the chat does for one terminal."""

    def __init__(
        self,
        state: CallState,
        handler: SkillHandler,
        application_id: str = LOCAL_SKILL_ID,
        tag: str = "",
    ) -> None:
        self.state = state
        self.handler = handler
        self.tag = tag  # a short hash of the CallSid, for logs
        self.driver = SessionDriver(
            user_id=state.user_id,
            locale=state.locale,
            application_id=application_id,
            session_id=state.session_id,
            attributes=dict(state.attributes),
        )
        self.resolver = get_resolver(state.locale)

    # What the caller did -> what they hear.

    def start(self) -> Answer:
        """The call was answered: the skill's welcome, as when the skill is opened."""
        if self.driver.active:
            # Twilio asked for the greeting again (a retry): that session is over.
            self._send(self.driver.session_ended("USER_INITIATED"))
        self._log("call", "LaunchRequest")
        return self._answer(self._send(self.driver.launch()))

    def hear(self, words: str) -> Answer:
        resolution = self.resolver.resolve(words)
        if resolution.intent is None and not resolution.launch:
            return self.silence()  # only noise or punctuation: nothing to act on
        self.state.silences = 0
        held = self._held()
        try:
            return self._hear(resolution)
        finally:
            # Logged once the skill has answered: a disclosure, and everything said while
            # coaching is held after one, is never logged with the caller beside it.
            private = held or self._held() or resolution.intent in PRIVATE_INTENTS
            self._log("speech", resolution.intent or "LaunchRequest", private=private)

    def _hear(self, resolution: Resolution) -> Answer:
        if resolution.launch:
            # "Open ally coach" mid-call starts over, as opening a skill again does on Alexa.
            if self.driver.active:
                self._send(self.driver.session_ended("USER_INITIATED"))
            if resolution.intent is None:
                return self._answer(self._send(self.driver.launch()))
            return self._answer(self._send(self.driver.intent(resolution.intent, resolution.slots)))
        if not self.driver.active and resolution.intent == "AMAZON.FallbackIntent":
            return self.start()
        intent = resolution.intent or "AMAZON.FallbackIntent"
        return self._answer(self._send(self.driver.intent(intent, resolution.slots)))

    def press(self, digits: str) -> Answer:
        self.state.silences = 0
        intent = KEYPAD.get(digits.strip()[:1])
        self._log("dtmf", intent or "unknown key", private=self._held())
        if intent is None:
            # Nothing for the skill: say what the keys do, then what the skill last asked.
            return Answer([self.render("phone_keypad", unknown=True), self.state.reprompt or ""])
        return self._answer(self._send(self.driver.intent(intent)))

    def silence(self) -> Answer:
        if not self.driver.active:
            return self.start()
        self.state.silences += 1
        self._log("silence", str(self.state.silences), private=self._held())
        if self.state.silences >= MAX_SILENCES:
            # Alexa's own reason when reprompts run out; lets the skill save what is unsaved.
            self.end("EXCEEDED_MAX_REPROMPTS")
            return Answer([self.render("phone_silence", attempt=MAX_SILENCES)], hang_up=True)
        if self.state.silences == 1 and self.state.reprompt:
            return Answer([self.state.reprompt])
        return Answer([self.render("phone_silence", attempt=2), self.state.reprompt or ""])

    def again(self) -> Answer:
        """Back after "one moment" with nothing left to do: the open question again."""
        if not self.driver.active:
            return self.start()
        return Answer([self.state.reprompt or ""])

    def end(self, reason: str = "USER_INITIATED") -> None:
        """The call is over while the session is open: tell the skill, as Alexa would."""
        if self.driver.active:
            self._send(self.driver.session_ended(reason))

    def snapshot(self) -> CallState:
        self.state.session_id = self.driver.session_id
        self.state.attributes = dict(self.driver.attributes)
        return self.state

    # Plumbing.

    def _send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.handler(envelope, None)
        if not isinstance(response, dict):
            raise TypeError(f"skill handler returned {type(response).__name__}, not a dict")
        self.driver.update(response)
        return response

    def _answer(self, response: Mapping[str, Any]) -> Answer:
        body = response.get("response") or {}
        speech = (body.get("outputSpeech") or {}).get("ssml") or ""
        reprompt = ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        if not self.driver.active:
            # Goodbye, the safety answer, "forget me": the skill closed, so the line does.
            return Answer([speech], hang_up=True)
        self.state.reprompt = reprompt
        parts = [speech]
        if not self.state.keypad_announced:
            # Once per call, after the first answer; then the question again, since the
            # keypad list came between it and the caller.
            self.state.keypad_announced = True
            parts += [self.render("phone_keypad", unknown=False), reprompt or ""]
        return Answer(parts)

    def render(self, view: str, **data: Any) -> str:
        return get_speech().render(self.state.locale, view, data).speech or ""

    def _held(self) -> bool:
        """The skill holds coaching after a safety answer (skill.core.dialog.Conversation)."""
        conversation = self.driver.attributes.get("conversation") or {}
        return bool(isinstance(conversation, dict) and conversation.get("hold"))

    def _log(self, kind: str, what: str, private: bool = False) -> None:
        # Never the words said: they may be a disclosure. Never the number: it is not here.
        if private:
            logger.info("phone turn private")
            return
        logger.info(
            "phone turn call=%s user=%s input=%s -> %s",
            self.tag,
            short_hash(self.state.user_id),
            kind,
            what,
        )


# --- Flask glue -----------------------------------------------------------------------------


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


def _setting(key: str) -> str | None:
    """A config key of the app, else its environment variable via skill.config."""
    if key in current_app.config:
        return str(current_app.config[key] or "") or None
    from skill.config import get_settings

    settings = get_settings()
    value = {
        CONFIG_TWILIO_AUTH_TOKEN: settings.twilio_auth_token,
        CONFIG_PUBLIC_BASE_URL: settings.public_base_url,
        CONFIG_CALLS_TABLE_NAME: settings.phone_calls_table_name,
    }.get(key)
    return value or None


class TokenUnavailable(Exception):
    """A token is configured (as an SSM parameter) but could not be read just now."""


def _auth_token(recheck: bool = False) -> tuple[str | None, bool]:
    """The token, and whether it came from the parameter store (and so may have rotated).
    ``recheck``: read the parameter again unless it was read just now."""
    token = _setting(CONFIG_TWILIO_AUTH_TOKEN)
    if token or CONFIG_TWILIO_AUTH_TOKEN in current_app.config:
        return token, False
    from skill.config import get_settings

    settings = get_settings()
    if not settings.twilio_auth_token_parameter:
        return None, False
    from skill.channels.phone import parameters

    age = parameters.RECHECK_AFTER_SECONDS if recheck else parameters.MAX_AGE_SECONDS
    try:
        name, region = settings.twilio_auth_token_parameter, settings.aws_region
        return parameters.ssm_parameter(name, region, max_age=age), True
    except parameters.ParameterUnavailable as exc:
        raise TokenUnavailable(str(exc)) from exc


def _public_base() -> str | None:
    base = _setting(CONFIG_PUBLIC_BASE_URL)
    return base.rstrip("/") if base else None


def _signed_url() -> str:
    """The URL Twilio requested, as it signed it. Behind a proxy or tunnel Flask sees an
    inner URL (http, another host), so the configured public base URL is used instead."""
    base = _public_base()
    if not base:
        return str(request.url)
    query = request.query_string.decode("utf-8", "replace")
    return f"{base}{request.script_root}{request.path}" + (f"?{query}" if query else "")


def _forbidden(reason: str) -> Response:
    logger.warning("phone request rejected: %s (%s %s)", reason, request.method, request.path)
    response = jsonify(error="forbidden")
    response.status_code = 403
    return response


def _check_request() -> Response | None:
    """None when the request is Twilio's; else the response to send."""
    declared = request.content_length
    if declared is not None and declared > MAX_FORM_BYTES:
        logger.warning("phone request rejected: body of %d bytes is too large", declared)
        response = jsonify(error="request body too large")
        response.status_code = 413
        return response
    try:
        token, stored = _auth_token()
    except TokenUnavailable as exc:
        # Configured, but the parameter store did not answer: nothing can be verified, so
        # nothing is touched; the caller hears an apology rather than Twilio's error.
        logger.error("phone request not served: the Twilio token is unavailable (%s)", exc)
        return _twiml(Answer([_render(_locale(request.form), "phone_error")], hang_up=True))
    if not token:
        if _flag(current_app.config.get(CONFIG_ALLOW_UNSIGNED, False)):
            logger.warning(
                "!!! PHONE REQUEST NOT VERIFIED: no TWILIO_AUTH_TOKEN and "
                "PHONE_ALLOW_UNSIGNED is on. Development only. !!!"
            )
            return None
        # Fail closed: without a token nobody can prove to be Twilio.
        return _forbidden("no TWILIO_AUTH_TOKEN configured")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return _forbidden("missing X-Twilio-Signature")
    if _signed_by(token, signature):
        return None
    if stored:
        # Perhaps the token was rotated since it was read: read it again (rate-limited).
        try:
            fresh, _ = _auth_token(recheck=True)
        except TokenUnavailable:
            fresh = token
        if fresh and fresh != token and _signed_by(fresh, signature):
            return None
    return _forbidden("invalid X-Twilio-Signature")


def _signed_by(tokens: str, signature: str) -> bool:
    """Whether one of the tokens signed the request. Several (separated by spaces or commas)
    let a rotation overlap: the new one beside the old while Twilio's secondary token is
    promoted, then the old one removed."""
    url = _signed_url()
    return any(
        RequestValidator(token).validate(url, request.form, signature)
        for token in re.split(r"[\s,]+", tokens.strip())
        if token
    )


def _store() -> CallStore:
    configured = current_app.config.get(CONFIG_CALL_STORE)
    if configured is not None:
        return configured
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        with _store_lock:
            store = current_app.extensions.get(_EXTENSION)
            if store is None:
                store = _configured_store()
                current_app.extensions[_EXTENSION] = store
    return store


def _configured_store() -> CallStore:
    """DynamoDB when a calls table is configured (several processes or hosts), else memory."""
    table = _setting(CONFIG_CALLS_TABLE_NAME)
    if not table:
        return MemoryCallStore()
    from skill.channels.phone.dynamodb_calls import DynamoDbCallStore
    from skill.config import get_settings

    return DynamoDbCallStore(table, region=get_settings().aws_region)


def _handler() -> SkillHandler:
    handler = current_app.config.get(CONFIG_SKILL_HANDLER)
    if handler is None:
        # The very handler POST /alexa and Lambda use; imported on first call only.
        from skill.lambda_function import lambda_handler

        handler = lambda_handler
    return handler


def _locale(form: Mapping[str, str]) -> str:
    configured = current_app.config.get(CONFIG_LOCALE)
    if configured:
        return str(configured)
    return COUNTRY_LOCALES.get((form.get("ToCountry") or "").upper(), DEFAULT_LOCALE)


def _pepper() -> str | None:
    return current_app.config.get(CONFIG_CALLER_PEPPER) or None


def _new_call(call_sid: str, state: CallState) -> PhoneCall:
    application_id = current_app.config.get(CONFIG_SKILL_ID) or LOCAL_SKILL_ID
    return PhoneCall(state, _handler(), application_id=application_id, tag=short_hash(call_sid))


def _new_state(call_sid: str, form: Mapping[str, str]) -> CallState:
    return CallState(
        user_id=caller_user_id(form.get("From"), call_sid, _pepper()),
        locale=_locale(form),
        caller=caller_binding(form, _pepper()),
    )


def _render(locale: str, view: str, **data: Any) -> str:
    return get_speech().render(locale, view, data).speech or ""


def _twiml(
    answer: Answer, locale: str | None = None, query: Mapping[str, Any] | None = None
) -> Response:
    locale = locale or _locale(request.form)
    base = _public_base()
    action = url_for("phone.gather")
    if base:
        action = f"{base}{action}"
    if query:
        # Twilio posts to this URL as given and signs it whole, query included.
        action += "?" + urlencode(dict(query))
    xml = build_twiml(
        answer,
        voice_for(locale, current_app.config.get(CONFIG_VOICE) or None),
        action=action,
        language=locale,
        hints=get_resolver(locale).hints(),
        timeout=GATHER_TIMEOUT_SECONDS,
    )
    return Response(xml, status=200, mimetype="text/xml")


# --- turns: claim the call, run the skill, keep the state ----------------------------------


@dataclass
class _Unsaved:
    """A turn's end that the store did not take: written before this call's next turn."""

    lease: str
    state: CallState | None  # None: the call was to end
    consumed: list[str] = field(default_factory=list)


def _unsaved() -> OrderedDict[str, _Unsaved]:
    with _store_lock:
        pending = current_app.extensions.get(_UNSAVED_EXTENSION)
        if pending is None:
            pending = current_app.extensions[_UNSAVED_EXTENSION] = OrderedDict()
    return pending


def _remember(call_sid: str, unsaved: _Unsaved) -> None:
    pending = _unsaved()
    with _store_lock:
        pending[call_sid] = unsaved
        while len(pending) > MAX_UNSAVED:
            pending.popitem(last=False)


def _flush(store: CallStore, call_sid: str) -> None:
    """Write what an earlier turn of this call could not; CallStoreUnavailable if still down.

    The lease of that turn was never released, so nobody else has run a turn since, unless it
    expired and another process claimed the call: then that process's turn stands."""
    pending = _unsaved()
    with _store_lock:
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
    with _store_lock:
        pending.pop(call_sid, None)


def _busy_wait() -> float:
    return float(current_app.config.get(CONFIG_BUSY_WAIT, BUSY_WAIT_SECONDS))


def _claim(attempt: Callable[[], Claim]) -> Claim:
    """Claim the call, waiting a little while another webhook of it runs its turn."""
    deadline = time.monotonic() + _busy_wait()
    pause = 0.02
    while True:
        claim = attempt()
        if claim.status is not ClaimStatus.BUSY:
            return claim
        if time.monotonic() + pause > deadline:
            return claim
        time.sleep(pause * (0.5 + random.random() / 2))
        pause = min(pause * 2, 0.25)


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
        _remember(call_sid, _Unsaved(lease, state, consumed))


def _run(
    store: CallStore,
    call_sid: str,
    lease: str,
    call: PhoneCall,
    step: Callable[[], Answer],
    consumed: list[str] | None = None,
    words: str = "",
) -> Response:
    """Run one step of a claimed call and keep (or end) its state."""
    try:
        answer = step()
    except Exception:
        logger.exception("phone turn failed call=%s", call.tag)
        answer = _safety(words, call.state.locale) or Answer(
            [call.render("phone_error")], hang_up=True
        )
    _finish(store, call_sid, lease, call, answer, consumed or [])
    return _twiml(answer, call.state.locale)


def _safety(words: str, locale: str) -> Answer | None:
    """The safety answer, if the words are a disclosure of danger.

    Wherever the line cannot run the skill (a refused call, a store outage, a failed turn),
    someone saying they are in danger still hears where to get help. It needs no state and
    changes none, so a replayed webhook gains nothing from it."""
    if not words:
        return None
    heard = get_resolver(locale).resolve(words)
    view = _SAFETY_VIEWS.get(heard.intent or "")
    if view is None:
        return None
    # Who the partner is picks the helpline, as in the skill's own answer.
    partner = heard.slots.get("partner") if view == "safety" else None
    data = {"partner": partner} if partner else {}
    return Answer([_render(locale, view, closing=True, **data)], hang_up=True)


_SAFETY_VIEWS = {"SafetyIntent": "safety", "SelfHarmIntent": "self_harm"}


def _refuse(call_sid: str, status: ClaimStatus, words: str = "") -> Response:
    """A webhook for a call this line will not drive: unknown (never seen, expired, lost),
    ended (a replay) or someone else's. It ends politely, touching nothing."""
    logger.warning("phone webhook refused call=%s: %s call", short_hash(call_sid), status.value)
    locale = _locale(request.form)
    answer = _safety(words, locale) or Answer([_render(locale, "phone_refused")], hang_up=True)
    return _twiml(answer, locale)


def _trouble(troubles: int, words: str = "") -> Response:
    """The call store failed: say sorry and ask again, or after a few times, say goodbye."""
    attempt = troubles + 1
    locale = _locale(request.form)
    safety = _safety(words, locale)
    if safety is not None:
        return _twiml(safety, locale)
    speech = _render(locale, "phone_trouble", attempt=attempt, last=attempt >= MAX_TROUBLES)
    if attempt >= MAX_TROUBLES:
        return _twiml(Answer([speech], hang_up=True), locale)
    return _twiml(Answer([speech]), locale, {"trouble": attempt})


def _count(name: str) -> int:
    value = request.args.get(name, "")
    return min(int(value), 99) if value.isdigit() else 0


def _call_sid() -> str | None:
    sid = (request.form.get("CallSid") or "").strip()
    return sid or None


def _bad_request(message: str) -> Response:
    logger.warning("phone request rejected: %s", message)
    response = jsonify(error=message)
    response.status_code = 400
    return response


def _webhook(view: Callable[[str], Response]) -> Callable[[], Response]:
    """Every webhook: Twilio's signature first, then the call it is about."""

    @functools.wraps(view)
    def checked() -> Response:
        denied = _check_request()
        if denied is not None:
            return denied
        call_sid = _call_sid()
        if call_sid is None:
            return _bad_request("missing CallSid")
        if not _CALL_SID.match(call_sid):
            return _bad_request("malformed CallSid")
        return view(call_sid)

    return checked


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response | tuple[Response, int]:
    """The last resort: whatever went wrong, a signed webhook still gets TwiML."""
    if isinstance(exc, HTTPException):
        return jsonify(error=exc.name.lower()), exc.code or 500
    logger.exception("phone webhook failed on %s", request.path)
    return _twiml(Answer([_render(_locale(request.form), "phone_error")], hang_up=True))


@blueprint.post("/voice")
@_webhook
def voice(call_sid: str) -> Response:
    store = _store()
    state = _new_state(call_sid, request.form)
    lease = new_lease()
    try:
        _flush(store, call_sid)
        claim = _claim(lambda: store.open(call_sid, state, lease))
    except CallStoreUnavailable:
        return _trouble(MAX_TROUBLES - 1)  # nothing to go on from: goodbye, call again
    if claim.status is ClaimStatus.BUSY:
        return _trouble(MAX_TROUBLES - 1)
    if claim.status is not ClaimStatus.CLAIMED or claim.state is None:
        return _refuse(call_sid, claim.status)
    if not claim.created:
        # The same call asking to be greeted again: close the old session, keep the identity.
        old = claim.state
        state = CallState(
            user_id=old.user_id,
            locale=old.locale,
            session_id=old.session_id,
            attributes=old.attributes,
            caller=old.caller,
            version=old.version,
        )
    call = _new_call(call_sid, state)
    return _run(store, call_sid, lease, call, call.start)


@blueprint.post("/gather")
@_webhook
def gather(call_sid: str) -> Response:
    store = _store()
    caller = caller_binding(request.form, _pepper())
    resume = request.args.get("resume", "")
    resume = resume if _TOKEN.match(resume) else ""
    entry = {
        "digits": (request.form.get("Digits") or "").strip(),
        "words": (request.form.get("SpeechResult") or "").strip(),
    }
    lease = new_lease()
    try:
        _flush(store, call_sid)
        claim = _claim(lambda: store.claim(call_sid, caller, lease))
    except CallStoreUnavailable:
        return _trouble(_count("trouble"), entry["words"])
    if claim.status is ClaimStatus.BUSY:
        return _hold(store, call_sid, caller, resume, entry)
    if claim.status is not ClaimStatus.CLAIMED or claim.state is None:
        return _refuse(call_sid, claim.status, entry["words"])

    call = _new_call(call_sid, claim.state)
    consumed: list[str] = []
    if resume:
        # Back after "one moment": the input left with the call is this turn's.
        left = claim.state.deferred.get(resume)
        if left is None:
            return _run(store, call_sid, lease, call, call.again)
        consumed.append(resume)
        entry = {"digits": left.get("digits", ""), "words": left.get("words", "")}
    digits, words = entry["digits"], entry["words"]
    if digits:
        return _run(store, call_sid, lease, call, lambda: call.press(digits), consumed)
    if words:
        return _run(store, call_sid, lease, call, lambda: call.hear(words), consumed, words)
    return _run(store, call_sid, lease, call, call.silence, consumed)


def _hold(
    store: CallStore, call_sid: str, caller: str, resume: str, entry: Mapping[str, str]
) -> Response:
    """The call stayed busy: leave the input with it, say "one moment" and come back for it."""
    holds = _count("hold")
    words = entry.get("words", "")
    if holds >= MAX_HOLDS:
        return _trouble(_count("trouble"), words)
    key = resume or secrets.token_hex(8)
    if not resume:
        try:
            kept = store.defer(call_sid, caller, key, entry)
        except CallStoreUnavailable:
            return _trouble(_count("trouble"), words)
        if not kept:
            return _refuse(call_sid, ClaimStatus.UNKNOWN, words)
    logger.info("phone call busy call=%s: holding (%d)", short_hash(call_sid), holds + 1)
    locale = _locale(request.form)
    answer = Answer([_render(locale, "phone_busy")], hold=True)
    return _twiml(answer, locale, {"resume": key, "hold": holds + 1})


@blueprint.post("/status")
@_webhook
def status(call_sid: str) -> Response:
    if (request.form.get("CallStatus") or "").lower() not in _FINAL_CALL_STATUSES:
        return Response(status=204)
    store = _store()
    caller = caller_binding(request.form, _pepper())
    lease = new_lease()
    try:
        _flush(store, call_sid)
        claim = _claim(lambda: store.claim(call_sid, caller, lease))
        if claim.status is ClaimStatus.BUSY:
            # Its turn is still running: the holder ends the call when it is done.
            store.hang_up(call_sid, caller)
        elif claim.status is ClaimStatus.CLAIMED and claim.state is not None:
            call = _new_call(call_sid, claim.state)
            try:
                call.end("USER_INITIATED")
            except Exception:
                logger.exception("phone session end failed call=%s", call.tag)
            store.end(call_sid, lease)
    except (CallStoreUnavailable, LeaseLost):
        # Nothing for Twilio to do about it; the call's state expires on its own.
        logger.warning("phone call end not recorded call=%s", short_hash(call_sid))
    return Response(status=204)
