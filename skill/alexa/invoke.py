"""One Alexa request through a skill: the event dict in, the response dict out.

``invoke`` is strict: an envelope it cannot read (a request type ask-sdk does not know, a
field of the wrong shape, nesting no real envelope has, no ``context`` to check the skill
ID against) raises ``UnreadableRequest``, which the web endpoint answers with a 400.
``answer`` is what the Lambda runs: it turns that into a safe response (an apology where
Alexa lets a skill speak, an empty response elsewhere) and one log line. A skill event the
skill could not act on raises ``EventNotAcknowledged`` from both: failing the invocation
is how a skill tells Alexa to deliver the event again (skill.alexa.handlers).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any, cast

from ask_sdk_core.exceptions import AskSdkException, SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

logger = logging.getLogger(__name__)

# Real envelopes nest about 8 levels deep (slot resolutions are the deepest); session
# attributes the skill writes add a few. Anything far deeper is not from Alexa.
MAX_NESTING = 64
# Where Alexa lets a skill answer with speech, among the requests this skill can get;
# every other request (events, AudioPlayer, PlaybackController...) gets an empty response.
SPEAKING_REQUESTS = frozenset({"LaunchRequest", "IntentRequest"})
RESPONSE_VERSION = "1.0"
# Epoch numbers above this are milliseconds (Alexa's timestamps are ISO 8601 strings, but
# some clients send epoch milliseconds).
_EPOCH_MILLIS = 10**11


class UnreadableRequest(Exception):
    """The envelope cannot be read as an Alexa request; the message says why."""


class RequestRefused(UnreadableRequest):
    """The envelope is for another skill, or cannot show which skill it is for."""


class EventNotAcknowledged(Exception):
    """A skill event was not acted on: fail the invocation, so Alexa delivers it again."""


class EventSerializer(DefaultSerializer):
    """ask-sdk's serializer without two costs it puts on every request (bench/README.md).

    It reads the event as the dict Lambda has already parsed, instead of dumping it to
    JSON and parsing it again, and it reads Alexa's ISO 8601 timestamps with
    ``datetime.fromisoformat`` (under a microsecond) instead of dateutil's guessing
    parser (about 90 us), falling back to dateutil for anything else. Epoch numbers are
    read as such instead of failing.
    """

    def deserialize_event(self, event: dict[str, Any]) -> RequestEnvelope:
        deserialize = self._DefaultSerializer__deserialize  # type: ignore[attr-defined]
        return cast(RequestEnvelope, deserialize(event, RequestEnvelope))

    # Overrides DefaultSerializer.__deserialize_datetime (a name-mangled private method).
    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        if isinstance(payload, int | float) and not isinstance(payload, bool):
            seconds = payload / 1000 if abs(payload) >= _EPOCH_MILLIS else payload
            try:
                parsed = datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError) as exc:
                raise SerializationException(f"timestamp out of range: {payload}") from exc
        else:
            try:
                parsed = datetime.fromisoformat(payload)
            except (TypeError, ValueError):
                return super()._DefaultSerializer__deserialize_datetime(  # type: ignore[misc]
                    payload, obj_type
                )
        return parsed.date() if obj_type is date else parsed


_SERIALIZER = EventSerializer()


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``value`` nests dicts and lists more than ``limit`` levels deep. Iterative,
    so a hostile depth cannot exhaust the stack here."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def request_type(event: Any) -> str | None:
    """``request.type`` of a raw event, if it has one."""
    request = event.get("request") if isinstance(event, dict) else None
    kind = request.get("type") if isinstance(request, dict) else None
    return kind if isinstance(kind, str) else None


def read_envelope(event: Any) -> RequestEnvelope:
    """The event as ask-sdk's model; ``UnreadableRequest`` if it is not a readable one."""
    if not isinstance(event, dict) or not request_type(event):
        raise UnreadableRequest("not an Alexa request envelope")
    if too_deep(event):
        raise UnreadableRequest(f"nested deeper than {MAX_NESTING} levels")
    try:
        return _SERIALIZER.deserialize_event(event)
    except (
        SerializationException,
        AttributeError,
        KeyError,
        TypeError,
        ValueError,
        RecursionError,
    ) as exc:
        # The SDK's messages name the field and the expected type, never the user.
        raise UnreadableRequest(f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def _names_application(envelope: RequestEnvelope) -> bool:
    system = envelope.context.system if envelope.context is not None else None
    application = system.application if system is not None else None
    return application is not None and bool(application.application_id)


def invoke(skill: CustomSkill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one Alexa request (the JSON envelope as a dict) through a skill.

    Raises ``UnreadableRequest`` (``RequestRefused`` for another skill's request) and
    ``EventNotAcknowledged``; anything else a handler raises becomes the skill's apology.
    """
    envelope = read_envelope(event)
    if skill.skill_id is not None and not _names_application(envelope):
        # The SDK would fail reading context.System.application with an AttributeError.
        raise RequestRefused("no context.System.application to check the skill ID against")
    try:
        response = skill.invoke(request_envelope=envelope, context=context)
    except AskSdkException as exc:
        if "Skill ID Verification" in str(exc):
            raise RequestRefused("the request is for another skill") from exc
        raise
    return cast(dict[str, Any], _SERIALIZER.serialize(response))


def answer(skill: CustomSkill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """``invoke`` for the Lambda: every request gets an answer Alexa accepts. Only an
    ``EventNotAcknowledged`` still fails the invocation, on purpose."""
    try:
        return invoke(skill, event, context)
    except UnreadableRequest as exc:
        kind = request_type(event)
        logger.warning("request type=%.80s not answered: %s", kind, exc)
        return safe_response(event, speak=not isinstance(exc, RequestRefused))


def safe_response(event: Any, *, speak: bool = True) -> dict[str, Any]:
    """The answer to a request the skill could not read: the apology, ending the session,
    where Alexa allows speech; an empty response everywhere else."""
    body: dict[str, Any] = {}
    if speak and request_type(event) in SPEAKING_REQUESTS:
        ssml = _apology(event)
        if ssml:
            body = {"outputSpeech": {"type": "SSML", "ssml": f"<speak>{ssml}</speak>"}}
            body["shouldEndSession"] = True
    return {"version": RESPONSE_VERSION, "response": body}


def _apology(event: Any) -> str | None:
    request = event.get("request") if isinstance(event, dict) else None
    locale = request.get("locale") if isinstance(request, dict) else None
    try:
        from skill.speech.render import get_speech

        return get_speech().render(locale if isinstance(locale, str) else None, "error", {}).speech
    except Exception:  # the last resort must not fail: silence is still an answer
        logger.exception("the apology could not be rendered")
        return None
