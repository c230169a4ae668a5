"""ASK request handlers: thin adapters from Alexa requests to dialog core commands."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.utils import get_intent_name, is_request_type

from skill.alexa.invoke import SPEAKING_REQUESTS, EventNotAcknowledged
from skill.alexa.persistence import user_key
from skill.core.dialog import Action, Command
from skill.digest import short_hash
from skill.service.intents import clean_slot, knows, to_command
from skill.store.base import StorageError

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.alexa.turns import TurnRunner

logger = logging.getLogger(__name__)


class _RunnerHandler(AbstractRequestHandler):
    def __init__(self, runner: TurnRunner) -> None:
        self.runner = runner


class LaunchRequestHandler(_RunnerHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.runner.run(handler_input, Command(Action.LAUNCH))


class DialogIntentHandler(_RunnerHandler):
    """Every intent of the interaction model goes to the dialog core."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input)) and (
            knows(str(get_intent_name(handler_input)), self.runner.catalog)
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = _request(handler_input).intent
        command = to_command(intent.name, slot_values(intent.slots), self.runner.catalog)
        return self.runner.run(handler_input, command)


class UnknownIntentHandler(_RunnerHandler):
    """An intent this code does not know (a newer model, a typo): a helpful reprompt."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        name = getattr(getattr(_request(handler_input), "intent", None), "name", None)
        logger.warning("unknown intent %.80r", name)
        return self.runner.run(handler_input, Command(Action.FALLBACK))


class ReminderConsentHandler(_RunnerHandler):
    """Alexa's answer after asking for the reminders permission by voice (a
    ``Connections.Response`` named AskFor): the reminder asked for (the token) is set when
    the person accepted; else the dialog says plainly what happened. A request that could
    not ask by voice (a status code other than 200) gets the permission card instead."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("Connections.Response")(handler_input)) and (
            getattr(_request(handler_input), "name", None) == "AskFor"
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        from skill.alexa.reminders import TOKEN_PREFIX

        request = _request(handler_input)
        payload = request.payload if isinstance(request.payload, dict) else {}
        status = str(payload.get("status") or "NOT_ANSWERED")
        code = str(getattr(getattr(request, "status", None), "code", "200") or "200")
        if code != "200":
            status = "UNSUPPORTED"
        elif status not in ("ACCEPTED", "DENIED", "NOT_ANSWERED"):
            status = "NOT_ANSWERED"
        token = str(getattr(request, "token", None) or "")
        when = token.removeprefix(TOKEN_PREFIX) if token.startswith(TOKEN_PREFIX) else None
        command = Command(Action.REMIND_CONSENT, when=when, heard=status)
        return self.runner.run(handler_input, command)


class SessionEndedRequestHandler(_RunnerHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        request = _request(handler_input)
        if getattr(request, "error", None) is not None:
            logger.warning("session ended with error: %.80r", request.error.object_type)
        return self.runner.end_session(handler_input)


class SkillDisabledEventHandler(_RunnerHandler):
    """The user disabled the skill: if Alexa says their data is not kept, delete it all.

    Alexa redelivers a skill event that the skill does not acknowledge, for up to an hour
    ("Delivery of events to the skill" in Amazon's skill and list events docs); a
    successful invocation is the acknowledgement. So a delete that fails fails the
    invocation (EventNotAcknowledged), and a later delivery finishes the job. Deleting is
    idempotent: a redelivery after a partial delete deletes the rest.
    """

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        envelope = handler_input.request_envelope
        forget_reminders(envelope)
        if self.persistence_status(envelope.request) == "NOT_PERSISTED":
            user_id = user_key(envelope)
            service = self.runner.service
            try:
                service.delete_user(user_id, service.deadline(handler_input.context))
            except StorageError as exc:
                logger.error(
                    "skill disabled: delete failed for user=%s, asking Alexa to deliver the "
                    "event again: %s",
                    short_hash(user_id),
                    exc,
                )
                raise EventNotAcknowledged("the user's data could not be deleted yet") from exc
            logger.info("skill disabled: deleted data of user=%s", short_hash(user_id))
        return handler_input.response_builder.response

    @staticmethod
    def persistence_status(request: Any) -> str | None:
        """body.userInformationPersistenceStatus of a SkillDisabled event.

        ask-sdk-model's SkillDisabledRequest has no ``body`` field, so the serializer keeps
        it as the raw JSON dict under its JSON name; a model object is accepted too.
        """
        body = getattr(request, "body", None)
        if isinstance(body, dict):
            status = body.get("userInformationPersistenceStatus")
        else:
            status = getattr(body, "user_information_persistence_status", None)
        value = getattr(status, "value", status)
        return str(value) if value is not None else None


class SystemExceptionHandler(AbstractRequestHandler):
    """System.ExceptionEncountered: Alexa reports our last response was bad. Log it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("System.ExceptionEncountered")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        error = _request(handler_input).error
        logger.error(
            "Alexa reported an error in our response: %.80r %.300r",
            getattr(error, "object_type", None),
            getattr(error, "message", None),
        )
        return handler_input.response_builder.response


class UnhandledRequestHandler(AbstractRequestHandler):
    """Every request type the skill has no use for: AudioPlayer.*, PlaybackController.*,
    Messaging.MessageReceived, AlexaHouseholdListEvent.*, Display.ElementSelected,
    GameEngine.*, SessionResumedRequest, Connections.Response, the other skill events...

    The skill never plays audio, shows a screen, starts a connection or asks for list
    access, so none of these is part of a conversation with it. Most forbid speech in the
    response; an empty response is valid for all of them, and is what they get. Registered
    last: it answers whatever no other handler took.
    """

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        request = _request(handler_input)
        logger.info("request type=%.80r not used here: empty response", request.object_type)
        return handler_input.response_builder.response


class UnexpectedErrorHandler(AbstractExceptionHandler):
    """The last resort, so the user hears an apology instead of Alexa's generic error.
    It logs the full traceback: this is a bug to fix, never a path the skill relies on.

    It must not fail itself: the apology is rendered for the request's locale, else for
    the default one, and a response without speech is the answer when neither renders.
    It speaks only where Alexa allows speech. ``EventNotAcknowledged`` is not its to
    handle: that one must fail the invocation.
    """

    def __init__(self, runner: TurnRunner) -> None:
        self.runner = runner

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return not isinstance(exception, EventNotAcknowledged)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        logger.exception("unhandled error in a turn", exc_info=exception)
        from skill.alexa.turns import build_response

        request: Any = handler_input.request_envelope.request
        builder = handler_input.response_builder
        if getattr(request, "object_type", None) not in SPEAKING_REQUESTS:
            return builder.response
        for locale in (getattr(request, "locale", None), None):
            try:
                rendered = self.runner.speech.render(locale, "error", {})
                return build_response(handler_input, rendered, end_session=False)
            except Exception:
                logger.exception("the apology failed to render for locale %.20r", locale)
        # Nothing could be said: end the session silently rather than fail the request.
        builder.set_should_end_session(True)
        return builder.response


def forget_reminders(envelope: Any) -> None:
    """The skill was disabled: its reminders are deleted where the event's token still
    allows it. Best effort: a failure is logged, and never stops the rest."""
    from skill.alexa.reminders import from_envelope
    from skill.service.reminding import RemindersError

    reminders = from_envelope(envelope)
    if reminders is None:
        return
    try:
        for alert in reminders.list():
            reminders.delete(str(alert.get("alertToken")))
    except RemindersError as exc:
        logger.info("skill disabled: reminders not deleted (%s)", exc.kind)


def _request(handler_input: HandlerInput) -> Any:
    """The request, typed loosely: each handler knows which request type it was given."""
    return handler_input.request_envelope.request


def slot_values(slots: dict[str, Any] | None) -> dict[str, str | None]:
    """Slot name -> the canonical value when entity resolution matched, else the words heard."""
    values: dict[str, str | None] = {}
    for name, slot in (slots or {}).items():
        value = getattr(slot, "value", None)
        resolutions = getattr(slot, "resolutions", None)
        for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
            status = getattr(getattr(authority, "status", None), "code", None)
            if getattr(status, "value", status) == "ER_SUCCESS_MATCH" and authority.values:
                value = authority.values[0].value.name
                break
        values[name] = clean_slot(value)
    return values


__all__ = [
    "DialogIntentHandler",
    "LaunchRequestHandler",
    "ReminderConsentHandler",
    "SessionEndedRequestHandler",
    "SkillDisabledEventHandler",
    "SystemExceptionHandler",
    "UnexpectedErrorHandler",
    "UnhandledRequestHandler",
    "UnknownIntentHandler",
]
