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

import json
import logging
from typing import Any, cast

from ask_sdk_core.exceptions import AskSdkException, SerializationException
from ask_sdk_model import RequestEnvelope

from skill.alexa.replays import replay_key
from skill.alexa.sdk_skill import SKILL_ID_MISMATCH, Skill
from skill.alexa.serializer import EventSerializer

logger = logging.getLogger(__name__)

# Real envelopes nest about 8 levels deep (slot resolutions are the deepest); session
# attributes the skill writes add a few. Anything far deeper is not from Alexa.
MAX_NESTING = 64
# Where Alexa lets a skill answer with speech, among the requests this skill can get;
# every other request (events, AudioPlayer, PlaybackController...) gets an empty response.
SPEAKING_REQUESTS = frozenset({"LaunchRequest", "IntentRequest", "Connections.Response"})
RESPONSE_VERSION = "1.0"
# Alexa refuses a response over 120 KB; a little under it, counted in UTF-8 bytes.
MAX_RESPONSE_BYTES = 120_000


class UnreadableRequest(Exception):
    """The envelope cannot be read as an Alexa request; the message says why."""


class RequestRefused(UnreadableRequest):
    """The envelope is for another skill, or cannot show which skill it is for."""


class EventNotAcknowledged(Exception):
    """A skill event was not acted on: fail the invocation, so Alexa delivers it again."""


_SERIALIZER = EventSerializer()


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``value`` nests dicts and lists more than ``limit`` levels deep. Level by
    level, so a hostile depth cannot exhaust the stack here, and with the per-child work
    in comprehensions: it runs on every request (bench/README.md)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        children: list[Any] = []
        for item in level:
            children.extend(item.values() if isinstance(item, dict) else item)
        level = [child for child in children if isinstance(child, dict | list)]
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


def invoke(skill: Skill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one Alexa request (the JSON envelope as a dict) through a skill.

    Raises ``UnreadableRequest`` (``RequestRefused`` for another skill's request) and
    ``EventNotAcknowledged``; anything else a handler raises becomes the skill's apology.
    """
    envelope = read_envelope(event)
    if skill.skill_id is not None and not _names_application(envelope):
        # The SDK would fail reading context.System.application with an AttributeError.
        raise RequestRefused("no context.System.application to check the skill ID against")

    def run() -> dict[str, Any]:
        try:
            response = skill.invoke(request_envelope=envelope, context=context)
        except AskSdkException as exc:
            if SKILL_ID_MISMATCH in str(exc):
                raise RequestRefused("the request is for another skill") from exc
            raise
        return within_limits(cast(dict[str, Any], _SERIALIZER.serialize(response)), event)

    recent = getattr(skill, "recent", None)
    if recent is None:
        return run()
    # A repeat of a request answered lately (a replay, or Alexa's own) runs no turn.
    return cast(dict[str, Any], recent.answer(replay_key(event), run))


def _size(response: dict[str, Any]) -> int | None:
    """The response's size as JSON in bytes; None when it is not valid JSON (NaN)."""
    try:
        text = json.dumps(response, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return len(text.encode("utf-8", "surrogatepass"))


def within_limits(response: dict[str, Any], event: Any) -> dict[str, Any]:
    """The response, if it is valid JSON within Alexa's 120 KB; else cut down safely.

    The session attributes go first (the progress is read again from the store on the
    next turn; the conversation is kept if it alone fits), then, if the speech itself is
    the problem, the apology is said instead. A response over the limit is never sent."""
    size = _size(response)
    if size is not None and size <= MAX_RESPONSE_BYTES:
        return response
    logger.warning(
        "response %s; cutting it down",
        "is not valid JSON" if size is None else f"of {size} bytes is over the limit",
    )
    attributes = response.get("sessionAttributes")
    if isinstance(attributes, dict) and attributes:
        kept = {k: v for k, v in attributes.items() if k == "conversation"}
        for cut in (kept, {}):
            smaller = {**response, "sessionAttributes": cut}
            size = _size(smaller)
            if size is not None and size <= MAX_RESPONSE_BYTES:
                return smaller
    return safe_response(event)


def answer(skill: Skill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """``invoke`` for the Lambda: every request gets an answer Alexa accepts. Only an
    ``EventNotAcknowledged`` still fails the invocation, on purpose."""
    try:
        return invoke(skill, event, context)
    except UnreadableRequest as exc:
        kind = request_type(event)
        logger.warning("request type=%.80r not answered: %.300r", kind, str(exc))
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
