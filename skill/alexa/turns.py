"""One Alexa turn: the request's speaker, session and time to the turn service, and the
reply it serves back as an Alexa response.

The service (``skill.service.turns``) loads, runs the core and saves; its session is
Alexa's session attributes, which Alexa carries from one request of a session to the next.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from ask_sdk_model.ui import StandardCard

from skill.alexa.persistence import person_key, request_time
from skill.service.replies import fits
from skill.service.turns import Caller, TurnService
from skill.speech.render import DEFAULT_LOCALE

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.core.dialog import Command
    from skill.core.program import Catalog
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
        caller = Caller(person_key(envelope), locale, in_a_vehicle(envelope))
        # Launch and intent requests always carry a session, so there are attributes.
        session = cast(dict[str, Any], handler_input.attributes_manager.session_attributes)
        served = self.service.run(
            caller,
            session,
            command,
            now=request_time(envelope, int(time.time())),
            new_session=bool(envelope.session and envelope.session.new),
            deadline=deadline,
        )
        rendered = self.service.render(locale, served.reply)
        return build_response(handler_input, rendered, served.ended)

    def end_session(self, handler_input: HandlerInput) -> Response:
        """SessionEndedRequest: no speech; a last try at saving what is unsaved."""
        session = handler_input.attributes_manager.session_attributes
        if session:
            deadline = self.service.deadline(handler_input.context)
            self.service.end(person_key(handler_input.request_envelope), session, deadline)
        return handler_input.response_builder.response


def build_response(handler_input: HandlerInput, rendered: Rendered, end_session: bool) -> Response:
    if not fits(rendered):
        raise ValueError("a response over Alexa's size limits")
    builder = handler_input.response_builder
    if rendered.speech:
        builder.speak(rendered.speech)
    if not end_session:
        if not rendered.reprompt:
            raise ValueError("a response that keeps the session open needs a reprompt")
        builder.ask(rendered.reprompt)
    builder.set_should_end_session(end_session)
    if rendered.card_title:
        builder.set_card(StandardCard(title=rendered.card_title, text=rendered.card_text))
    return builder.response


def in_a_vehicle(envelope: Any) -> bool:
    """Alexa sends ``context.Automotive`` from vehicles (Echo Auto, built-in car Alexa)."""
    return getattr(getattr(envelope, "context", None), "automotive", None) is not None
