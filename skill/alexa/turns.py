"""One Alexa turn: the request's speaker, session and time to the turn service, and the
reply it serves back as an Alexa response.

The service (``skill.service.turns``) loads, runs the core and saves; its session is
Alexa's session attributes, which Alexa carries from one request of a session to the next.

A practice is one continuous piece (``Rendered.timeline``). To a device that says it
supports ``Alexa.Presentation.APLA`` (``context.System.device.supportedInterfaces``) it
goes as an APL for Audio document (``skill.speech.apla``), with the soft sound the person
asked for under it, and no ``outputSpeech``: Alexa says the output speech before the
document, and the piece ends with its own question. The reprompt asks that question
again, so the session stays open. Any other device gets the piece as SSML.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from ask_sdk_model.ui import StandardCard

from skill.alexa.persistence import person_key, request_time
from skill.service.replies import fits
from skill.service.turns import Caller, TurnService
from skill.speech.render import DEFAULT_LOCALE

# The interface a device names when it plays APL for Audio documents.
APLA_INTERFACE = "Alexa.Presentation.APLA"

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.core.dialog import Command
    from skill.core.program import Catalog
    from skill.service.reminding import Reminders
    from skill.speech.render import Rendered, Speech


class TurnRunner:
    """The Alexa handlers' way to the turn service."""

    def __init__(self, service: TurnService) -> None:
        self.service = service

    @property
    def catalog(self) -> Catalog:
        return self.service.catalog

    @property
    def speech(self) -> Speech:
        return self.service.speech

    def run(self, handler_input: HandlerInput, command: Command) -> Response:
        envelope = handler_input.request_envelope
        deadline = self.service.deadline(handler_input.context)
        request: Any = envelope.request
        locale = getattr(request, "locale", None) or DEFAULT_LOCALE
        # Alexa in a car sends context.Automotive: the exercises never ask to close the eyes.
        plays = plays_audio_documents(envelope)
        caller = Caller(
            person_key(envelope), locale, in_a_vehicle(envelope), plays, reminders_of(envelope)
        )
        # Launch and intent requests always carry a session, so there are attributes; a
        # Connections.Response may come without one.
        session: dict[str, Any] = {}
        if envelope.session is not None:
            session = cast(dict[str, Any], handler_input.attributes_manager.session_attributes)
        served = self.service.run(
            caller,
            session,
            command,
            now=request_time(envelope, int(time.time())),
            new_session=bool(envelope.session and envelope.session.new),
            deadline=deadline,
        )
        outcome = served.reply.data.get("outcome") if served.reply.view == "reminder" else None
        if outcome == "ask":
            # No permission yet: Alexa asks for it by voice, and answers with a
            # Connections.Response (skill.alexa.handlers.ReminderConsentHandler).
            from skill.alexa.reminders import ask_for_permission

            return ask_for_permission(handler_input, str(served.reply.data.get("when") or ""))
        rendered = self.service.render(locale, served.reply)
        if outcome == "card":
            from skill.alexa.reminders import consent_card

            return consent_card(handler_input, build_response(handler_input, rendered, False))
        document = None
        if rendered.timeline and plays:
            from skill.speech.apla import directive

            sounds = self.service.sounds
            source = sounds.source(served.turn.progress.sound)
            document = directive(rendered.timeline, source, sounds.volume)
        return build_response(handler_input, rendered, served.ended, document)

    def end_session(self, handler_input: HandlerInput) -> Response:
        """SessionEndedRequest: no speech. The session's end goes to the turn service (a
        practice it closed in is remembered), which saves what is unsaved."""
        session = handler_input.attributes_manager.session_attributes
        if session:
            envelope = handler_input.request_envelope
            deadline = self.service.deadline(handler_input.context)
            now = request_time(envelope, int(time.time()))
            self.service.end(person_key(envelope), session, deadline, now)
        return handler_input.response_builder.response


class _LazyReminders:
    """The request's reminders, made on first use: a turn that sets none never loads the
    API client (skill.alexa.reminders), so a cold start pays nothing for it."""

    def __init__(self, envelope: Any) -> None:
        self._envelope = envelope
        self._client: Reminders | None = None

    def _made(self) -> Reminders:
        if self._client is None:
            from skill.alexa.reminders import from_envelope

            client = from_envelope(self._envelope)
            if client is None:
                from skill.service.reminding import RemindersError

                raise RemindersError("failed", "no API endpoint")
            self._client = client
        return self._client

    @property
    def granted(self) -> bool:
        from skill.alexa.reminders import granted

        return granted(self._envelope.context.system)

    def time_zone(self) -> str | None:
        return self._made().time_zone()

    def create(self, body: Mapping[str, Any]) -> str:
        return self._made().create(body)

    def update(self, alert_token: str, body: Mapping[str, Any]) -> None:
        self._made().update(alert_token, body)

    def delete(self, alert_token: str) -> None:
        self._made().delete(alert_token)

    def list(self) -> list[dict[str, Any]]:
        return self._made().list()


def reminders_of(envelope: Any) -> Reminders | None:
    """The person's reminders, where the request gives API access (an endpoint and a
    token); None elsewhere."""
    system = getattr(getattr(envelope, "context", None), "system", None)
    if not getattr(system, "api_endpoint", None) or not getattr(system, "api_access_token", None):
        return None
    return _LazyReminders(envelope)


def build_response(
    handler_input: HandlerInput,
    rendered: Rendered,
    end_session: bool,
    document: dict[str, Any] | None = None,
) -> Response:
    """The response: ``rendered`` as speech, or, with ``document`` (an APLA RenderDocument
    directive), that document in its place."""
    if not fits(rendered):
        raise ValueError("a response over Alexa's size limits")
    builder = handler_input.response_builder
    if document is not None:
        from ask_sdk_model.interfaces.alexa.presentation.apla import RenderDocumentDirective

        builder.add_directive(
            RenderDocumentDirective(
                token=document["token"],
                document=document["document"],
                datasources=document["datasources"],
            )
        )
    elif rendered.speech:
        builder.speak(rendered.speech)
    if not end_session:
        if not rendered.reprompt:
            raise ValueError("a response that keeps the session open needs a reprompt")
        builder.ask(rendered.reprompt)
    builder.set_should_end_session(end_session)
    if rendered.card_title:
        builder.set_card(StandardCard(title=rendered.card_title, text=rendered.card_text))
    return builder.response


def plays_audio_documents(envelope: Any) -> bool:
    """The device supports APL for Audio. ask-sdk-model has no field for the interface,
    so the serializer keeps it under its JSON name (skill.alexa.serializer)."""
    device = getattr(getattr(getattr(envelope, "context", None), "system", None), "device", None)
    interfaces = getattr(device, "supported_interfaces", None)
    if isinstance(interfaces, dict):
        return APLA_INTERFACE in interfaces
    return getattr(interfaces, APLA_INTERFACE, None) is not None


def in_a_vehicle(envelope: Any) -> bool:
    """Alexa sends ``context.Automotive`` from vehicles (Echo Auto, built-in car Alexa)."""
    return getattr(getattr(envelope, "context", None), "automotive", None) is not None
