"""The phone line: the same coaching over a Twilio Programmable Voice call.

Another adapter around the one dialog core, built like the terminal chat: what the caller
says (Twilio's ``SpeechResult``) is resolved with the same offline resolver, sent as a real
Alexa request envelope (``SessionDriver``) through the same skill handler as ``POST /alexa``,
and the skill's SSML answer is spoken back as TwiML with a Polly voice. So the walkthroughs,
the safety answer and the caller's progress (in the skill's own store) are the skill's; only
the keypad, silences and hanging up are the phone's.

Routes (Blueprint ``blueprint``, registered by ``skill.channels.web.app.create_app``):

* ``POST /phone/voice``: Twilio's "a call comes in" webhook. Greets the caller.
* ``POST /phone/gather``: where every ``<Gather>`` posts what was said or pressed, and where
  the ``<Redirect>`` after it lands when the caller said nothing.
* ``POST /phone/status``: optional call-status callback; a finished call ends its session.

Every request must carry a valid ``X-Twilio-Signature`` (403 otherwise). See docs/phone.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from twilio.request_validator import RequestValidator

from skill.alexa.envelopes import LOCAL_SKILL_ID, SessionDriver
from skill.channels.phone.calls import CallState, CallStore, MemoryCallStore
from skill.channels.phone.twiml import DEFAULT_LOCALE, Answer, build_twiml, voice_for
from skill.channels.web.app import CONFIG_SKILL_HANDLER, CONFIG_SKILL_ID, SkillHandler
from skill.speech.render import get_speech
from skill.store.base import short_hash
from skill.understanding.resolver import get_resolver

logger = logging.getLogger(__name__)

blueprint = Blueprint("phone", __name__, url_prefix="/phone")

# Keys of create_app's config that the phone line reads. The first two fall back to the
# environment (skill.config: TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL); the rest are config only.
CONFIG_TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
CONFIG_PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
CONFIG_ALLOW_UNSIGNED = "PHONE_ALLOW_UNSIGNED"  # development only, and only without a token
CONFIG_LOCALE = "PHONE_LOCALE"  # force one locale; default: from the number that was called
CONFIG_VOICE = "PHONE_VOICE"  # force one Polly voice, e.g. "Polly.Joanna"
CONFIG_CALL_STORE = "PHONE_CALL_STORE"  # a skill.channels.phone.calls.CallStore
CONFIG_CALLER_PEPPER = "PHONE_CALLER_PEPPER"  # secret mixed into the caller hash

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_FORM_BYTES = 64 * 1024  # Twilio's webhook forms are around 1 KiB
GATHER_TIMEOUT_SECONDS = 8  # after the prompt ends; exercises ask the caller to think first
MAX_SILENCES = 3  # 1: the skill's reprompt, 2: the options, 3: goodbye
USER_PREFIX = "phone:"

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
# What Twilio puts in From when the caller ID is withheld: keypad spellings of ANONYMOUS,
# RESTRICTED, BLOCKED, UNKNOWN and UNAVAILABLE. Such callers must not share one progress.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})
_FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
_store_lock = threading.Lock()
_EXTENSION = "ally_coach_phone_calls"


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
        self._log("speech", resolution.intent or "LaunchRequest")
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
        self._log("dtmf", intent or "unknown key")
        if intent is None:
            # Nothing for the skill: say what the keys do, then what the skill last asked.
            return Answer([self.render("phone_keypad", unknown=True), self.state.reprompt or ""])
        return self._answer(self._send(self.driver.intent(intent)))

    def silence(self) -> Answer:
        if not self.driver.active:
            return self.start()
        self.state.silences += 1
        self._log("silence", str(self.state.silences))
        if self.state.silences >= MAX_SILENCES:
            # Alexa's own reason when reprompts run out; lets the skill save what is unsaved.
            self.end("EXCEEDED_MAX_REPROMPTS")
            return Answer([self.render("phone_silence", attempt=MAX_SILENCES)], hang_up=True)
        if self.state.silences == 1 and self.state.reprompt:
            return Answer([self.state.reprompt])
        return Answer([self.render("phone_silence", attempt=2), self.state.reprompt or ""])

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

    def _log(self, kind: str, what: str) -> None:
        # Never the words said: they may be a disclosure. Never the number: it is not here.
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
    }.get(key)
    return value or None


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
    """None when the request is Twilio's; else the error response to send."""
    declared = request.content_length
    if declared is not None and declared > MAX_FORM_BYTES:
        logger.warning("phone request rejected: body of %d bytes is too large", declared)
        response = jsonify(error="request body too large")
        response.status_code = 413
        return response
    token = _setting(CONFIG_TWILIO_AUTH_TOKEN)
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
    if not RequestValidator(token).validate(_signed_url(), request.form, signature):
        return _forbidden("invalid X-Twilio-Signature")
    return None


def _store() -> CallStore:
    configured = current_app.config.get(CONFIG_CALL_STORE)
    if configured is not None:
        return configured
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        with _store_lock:
            store = current_app.extensions.setdefault(_EXTENSION, MemoryCallStore())
    return store


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


def _new_call(call_sid: str, state: CallState) -> PhoneCall:
    application_id = current_app.config.get(CONFIG_SKILL_ID) or LOCAL_SKILL_ID
    return PhoneCall(state, _handler(), application_id=application_id, tag=short_hash(call_sid))


def _new_state(call_sid: str, form: Mapping[str, str]) -> CallState:
    pepper = current_app.config.get(CONFIG_CALLER_PEPPER) or None
    return CallState(
        user_id=caller_user_id(form.get("From"), call_sid, pepper), locale=_locale(form)
    )


def _twiml(answer: Answer, locale: str) -> Response:
    base = _public_base()
    action = url_for("phone.gather")
    if base:
        action = f"{base}{action}"
    xml = build_twiml(
        answer,
        voice_for(locale, current_app.config.get(CONFIG_VOICE) or None),
        action=action,
        language=locale,
        hints=get_resolver(locale).hints(),
        timeout=GATHER_TIMEOUT_SECONDS,
    )
    return Response(xml, status=200, mimetype="text/xml")


def _turn(call_sid: str, call: PhoneCall, step: Callable[[], Answer]) -> Response:
    """Run one step of a call and keep (or drop) its state. Twilio always gets TwiML: an
    HTTP error would make it play its own 'application error' message to the caller."""
    store = _store()
    try:
        answer = step()
    except Exception:
        logger.exception("phone turn failed call=%s", call.tag)
        store.pop(call_sid)
        answer = Answer([call.render("phone_error")], hang_up=True)
    else:
        if answer.hang_up:
            store.pop(call_sid)
        else:
            store.put(call_sid, call.snapshot())
    return _twiml(answer, call.state.locale)


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
        return view(call_sid)

    return checked


@blueprint.post("/voice")
@_webhook
def voice(call_sid: str) -> Response:
    store = _store()
    old = store.pop(call_sid)
    state = _new_state(call_sid, request.form)
    if old is not None:
        # Same call asking to be greeted again: close the old session, keep the identity.
        state = CallState(
            user_id=old.user_id,
            locale=old.locale,
            session_id=old.session_id,
            attributes=old.attributes,
        )
    call = _new_call(call_sid, state)
    return _turn(call_sid, call, call.start)


@blueprint.post("/gather")
@_webhook
def gather(call_sid: str) -> Response:
    # Lost state (expired, evicted, another process) starts a fresh session on this call;
    # the caller's progress is in the skill's store either way.
    state = _store().get(call_sid) or _new_state(call_sid, request.form)
    call = _new_call(call_sid, state)
    digits = (request.form.get("Digits") or "").strip()
    words = (request.form.get("SpeechResult") or "").strip()
    if digits:
        return _turn(call_sid, call, lambda: call.press(digits))
    if words:
        return _turn(call_sid, call, lambda: call.hear(words))
    return _turn(call_sid, call, call.silence)


@blueprint.post("/status")
@_webhook
def status(call_sid: str) -> Response:
    if (request.form.get("CallStatus") or "").lower() in _FINAL_CALL_STATUSES:
        state = _store().pop(call_sid)
        if state is not None:
            call = _new_call(call_sid, state)
            try:
                call.end("USER_INITIATED")
            except Exception:
                logger.exception("phone session end failed call=%s", call.tag)
    return Response(status=204)
