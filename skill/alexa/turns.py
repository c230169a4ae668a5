"""One Alexa turn around the dialog core: load state, run the core, save, render.

Progress is read from the store once, when a session starts, and then carried in session
attributes. It is written only on turns that change it. A store that fails never costs
the user an answer: the progress stays in the session, marked unsaved, and the save is
tried again on a later turn and when the session ends.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from ask_sdk_model.ui import StandardCard

from skill.core.dialog import Command, Conversation, Reply, Turn, handle
from skill.core.program import Catalog
from skill.core.progress import Progress
from skill.speech.render import DEFAULT_LOCALE, Rendered, Speech
from skill.store.base import (
    ConflictError,
    ProgressAdapter,
    StorageError,
    person_key,
    short_hash,
)

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

logger = logging.getLogger(__name__)

SESSION_CONVERSATION = "conversation"
SESSION_PROGRESS = "progress"
SESSION_UNSAVED = "unsaved"  # a save failed; try again next turn
SESSION_VISIT_PENDING = "visit_pending"  # only the visit time is unsaved
SAVE_ATTEMPTS = 3  # a conflict re-reads and merges; more than this and we try next turn
# What a turn says when the store fails where no answer can do without it (a delete).
ERROR_REPLY = Reply("error")


class TurnRunner:
    def __init__(self, adapter: ProgressAdapter, speech: Speech, catalog: Catalog) -> None:
        self.adapter = adapter
        self.speech = speech
        self.catalog = catalog

    # --- the turn ---------------------------------------------------------------------

    def run(self, handler_input: HandlerInput, command: Command) -> Response:
        envelope = handler_input.request_envelope
        # Launch and intent requests always carry a session, so there are attributes.
        session = cast(dict[str, Any], handler_input.attributes_manager.session_attributes)
        now = _epoch(envelope)
        conversation = Conversation.from_dict(session.get(SESSION_CONVERSATION))
        progress, unsaved, read_failed = self._load(handler_input, session)
        pending = bool(session.get(SESSION_VISIT_PENDING))
        new_session = bool(envelope.session and envelope.session.new)

        turn = handle(conversation, progress, command, now, self.catalog)
        new_progress = turn.progress
        if new_session and not turn.forget:
            new_progress = replace(new_progress, last_visit=now)

        if turn.forget:
            if not self._forget(handler_input):
                # Never say "deleted" when it was not: apologise and keep the question
                # open, so saying yes again retries the delete.
                logger.info("turn user=%s forget failed", short_hash(person_key(envelope)))
                return self._respond(handler_input, turn._replace(reply=ERROR_REPLY))
            new_progress, unsaved = Progress(), False
        elif read_failed:
            # The store just failed: a second slow failure in this turn could outlast
            # Alexa's 8 seconds. Keep the progress in the session; the next turn (or the
            # session's end) saves it, and that conflicting insert merges in what is stored.
            unsaved = True
        else:
            # A visit alone (a launch) changes only last_visit. No one waits on that, so
            # it rides along with the next real change, or is saved as the session ends,
            # instead of delaying the first answer with a write.
            visit_only = replace(new_progress, last_visit=progress.last_visit) == progress
            pending = pending or (new_progress != progress and visit_only)
            if unsaved or not visit_only or (pending and turn.reply.end_session):
                new_progress, unsaved = self._save(handler_input, new_progress)
                pending = False

        session[SESSION_CONVERSATION] = turn.conversation.to_dict()
        session[SESSION_PROGRESS] = new_progress.to_dict()
        session[SESSION_UNSAVED] = unsaved
        session[SESSION_VISIT_PENDING] = pending
        logger.info(
            "turn user=%s action=%s view=%s unsaved=%s",
            short_hash(person_key(envelope)),
            command.action.value,
            turn.reply.view,
            unsaved,
        )
        return self._respond(handler_input, turn)

    def end_session(self, handler_input: HandlerInput) -> Response:
        """SessionEndedRequest: no speech; a last try at saving what is unsaved."""
        session = handler_input.attributes_manager.session_attributes or {}
        due = session.get(SESSION_UNSAVED) or session.get(SESSION_VISIT_PENDING)
        if due and SESSION_PROGRESS in session:
            self._save(handler_input, Progress.from_dict(session[SESSION_PROGRESS]))
        return handler_input.response_builder.response

    # --- storage ----------------------------------------------------------------------

    def _load(
        self, handler_input: HandlerInput, session: dict[str, Any]
    ) -> tuple[Progress, bool, bool]:
        """The progress of this turn, whether it is unsaved, and whether reading it failed."""
        if SESSION_PROGRESS in session:
            progress = Progress.from_dict(session[SESSION_PROGRESS])
            return progress, bool(session.get(SESSION_UNSAVED)), False
        try:
            stored = handler_input.attributes_manager.persistent_attributes
        except StorageError as exc:
            # Start fresh for this session. The conditional write later cannot overwrite
            # what is stored: it conflicts, and the conflict merges the stored progress in.
            logger.warning("progress read failed, starting fresh this session: %s", exc)
            return Progress(), True, True
        return Progress.from_dict(stored), False, False

    def _save(self, handler_input: HandlerInput, progress: Progress) -> tuple[Progress, bool]:
        """Store progress; returns it with its new revision, and whether it is still unsaved."""
        envelope = handler_input.request_envelope
        for _ in range(SAVE_ATTEMPTS):
            try:
                self.adapter.save_attributes(envelope, progress.to_dict())
                return progress.with_revision(progress.revision + 1), False
            except ConflictError:
                try:
                    stored = Progress.from_dict(self.adapter.get_attributes(envelope))
                except StorageError as exc:
                    logger.warning("progress re-read after conflict failed: %s", exc)
                    return progress, True
                progress = progress.merge(stored).with_revision(stored.revision)
            except StorageError as exc:
                logger.warning("progress save failed, keeping it in the session: %s", exc)
                return progress, True
        return progress, True

    def _forget(self, handler_input: HandlerInput) -> bool:
        """Delete the speaker's stored progress; False if the store failed."""
        try:
            self.adapter.delete_attributes(handler_input.request_envelope)
        except StorageError as exc:
            logger.error("progress delete failed: %s", exc)
            return False
        return True

    # --- speech -----------------------------------------------------------------------

    def _respond(self, handler_input: HandlerInput, turn: Turn) -> Response:
        request: Any = handler_input.request_envelope.request
        locale = getattr(request, "locale", None) or DEFAULT_LOCALE
        reply = turn.reply
        rendered = self.speech.render(locale, reply.view, reply.data, reply.card)
        return build_response(handler_input, rendered, reply.end_session)


def build_response(handler_input: HandlerInput, rendered: Rendered, end_session: bool) -> Response:
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


def _epoch(envelope: Any) -> int:
    timestamp = getattr(envelope.request, "timestamp", None)
    if timestamp is not None:
        return int(timestamp.timestamp())
    return int(time.time())
