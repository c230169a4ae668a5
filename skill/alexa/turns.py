"""One Alexa turn around the dialog core: load state, run the core, save, render.

Progress is read from the store once, when a session starts, and then carried in session
attributes. It is written only on turns that change it. A store that fails never costs
the user an answer: each call is retried within the turn's time (``skill.alexa.budget``);
if it still fails, the progress stays in the session, marked unsaved, and the save is
tried again on a later turn and when the session ends. A reply that would promise to
remember ("I'll remember where you are") is told when that is not true, and says so.

"Forget my progress" wins over sessions that began before it, on any device: the store
keeps a marker with the time of the forget, and a session that conflicts with it drops
what it held instead of merging it back in.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from ask_sdk_model.ui import StandardCard

from skill.alexa.budget import Deadline, RetryPolicy
from skill.core.dialog import Action, Command, Conversation, Reply, Turn, handle
from skill.core.hold import CHECK_IN_QUESTIONS
from skill.core.program import Catalog
from skill.core.progress import Progress
from skill.speech.render import DEFAULT_LOCALE, Rendered, Speech
from skill.store.base import (
    FORGOTTEN_AT,
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


# Commands whose very kind says something about the user's safety.
def is_private(before: Conversation, after: Conversation, action: Action) -> bool:
    """A turn whose kind may not be logged: a disclosure, a check-in and its answer, a hard
    feeling, or anything said while coaching is held."""
    return (
        before.hold
        or after.hold
        or action in PRIVATE_ACTIONS
        or before.question in CHECK_IN_QUESTIONS
        or after.question in CHECK_IN_QUESTIONS
    )


PRIVATE_ACTIONS = frozenset(
    {
        Action.SAFETY,
        Action.SELF_HARM,
        Action.MISUNDERSTOOD,
        Action.CHECK_IN,
        Action.CHECK_IN_SELF_HARM,
        Action.FEELINGS,
    }
)

SESSION_CONVERSATION = "conversation"
SESSION_PROGRESS = "progress"
SESSION_UNSAVED = "unsaved"  # a change is not stored yet; try again next turn
SESSION_VISIT_PENDING = "visit_pending"  # only the visit time is unsaved
SESSION_STARTED = "started_at"  # epoch seconds of the session's first request
SAVE_ATTEMPTS = 3  # a conflict re-reads and merges; more than this and we try next turn
# What a turn says when the store fails where no answer can do without it (a delete).
ERROR_REPLY = Reply("error")
# Views whose words promise that the progress is kept. They are given ``saved: False``
# when it is not, and then say so; with the progress stored they get nothing extra, so
# they still match the replies rendered ahead at build time (skill.speech.prerender).
PROMISING_VIEWS = frozenset({"goodbye", "paused"})
SAVED = "saved"

# Alexa refuses a response whose speech (or reprompt) is longer than this, SSML tags and
# the <speak> wrapper included, or whose card's title and text together are.
MAX_SPEECH_CHARS = 8000
MAX_CARD_CHARS = 8000
_SPEAK_WRAPPER = len("<speak></speak>")


class TurnRunner:
    def __init__(
        self,
        adapter: ProgressAdapter,
        speech: Speech,
        catalog: Catalog,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.adapter = adapter
        self.speech = speech
        self.catalog = catalog
        self.retry = retry or RetryPolicy()

    # --- the turn ---------------------------------------------------------------------

    def run(self, handler_input: HandlerInput, command: Command) -> Response:
        envelope = handler_input.request_envelope
        deadline = self.retry.deadline(handler_input.context)
        # Launch and intent requests always carry a session, so there are attributes.
        session = cast(dict[str, Any], handler_input.attributes_manager.session_attributes)
        now = _epoch(envelope)
        new_session = bool(envelope.session and envelope.session.new)
        if new_session:
            session[SESSION_STARTED] = now
        conversation = Conversation.from_dict(session.get(SESSION_CONVERSATION))
        if in_a_vehicle(envelope):
            # Alexa in a car: the exercises never ask to close the eyes.
            conversation = conversation._replace(eyes_open=True)
        progress, unsaved, read_failed = self._load(handler_input, session, deadline)
        pending = bool(session.get(SESSION_VISIT_PENDING))

        turn = handle(conversation, progress, command, now, self.catalog)
        new_progress = turn.progress
        if new_session and not turn.forget:
            new_progress = replace(new_progress, last_visit=now)

        if turn.forget:
            if not self._forget(handler_input, deadline):
                # Never say "deleted" when it was not: apologise and keep the question
                # open, so saying yes again retries the delete.
                logger.info("turn user=%s forget failed", short_hash(person_key(envelope)))
                return self._respond(handler_input, turn._replace(reply=ERROR_REPLY))
            new_progress, unsaved, pending = Progress(), False, False
        elif read_failed:
            # The store just failed for the whole of this turn's time. Keep the progress in
            # the session; the next turn (or the session's end) saves it, and that
            # conflicting insert merges in what is stored.
            unsaved = True
        else:
            # A visit alone (a launch) changes only last_visit and visits. No one waits on that, so
            # it rides along with the next real change, or is saved as the session ends,
            # instead of delaying the first answer with a write.
            # (A launch also counts the visit, which picks the welcome's variant.)
            visit_only = (
                replace(new_progress, last_visit=progress.last_visit, visits=progress.visits)
                == progress
            )
            pending = pending or (new_progress != progress and visit_only)
            if unsaved or not visit_only or (pending and turn.reply.end_session):
                new_progress, failed = self._save(handler_input, new_progress, session, deadline)
                if failed and not unsaved and visit_only:
                    pending = True  # still only the visit: nothing the user did is at stake
                else:
                    unsaved, pending = failed, False

        reply = turn.reply
        if unsaved and reply.view in PROMISING_VIEWS:
            reply = reply._replace(data={**reply.data, SAVED: False})
        session[SESSION_CONVERSATION] = turn.conversation.to_dict()
        session[SESSION_PROGRESS] = new_progress.to_dict()
        session[SESSION_UNSAVED] = unsaved
        session[SESSION_VISIT_PENDING] = pending
        if is_private(conversation, turn.conversation, command.action):
            # A disclosure, or what follows it: not even its kind goes into a log, and no
            # user is named beside it.
            logger.info("turn private unsaved=%s", unsaved)
        else:
            logger.info(
                "turn user=%s action=%s view=%s unsaved=%s",
                short_hash(person_key(envelope)),
                command.action.value,
                reply.view,
                unsaved,
            )
        if unsaved and reply.end_session:
            logger.warning(
                "session of user=%s ends with progress the store did not take",
                short_hash(person_key(envelope)),
            )
        return self._respond(handler_input, turn._replace(reply=reply))

    def end_session(self, handler_input: HandlerInput) -> Response:
        """SessionEndedRequest: no speech; a last try at saving what is unsaved."""
        session = handler_input.attributes_manager.session_attributes or {}
        unsaved = bool(session.get(SESSION_UNSAVED))
        if (unsaved or session.get(SESSION_VISIT_PENDING)) and SESSION_PROGRESS in session:
            deadline = self.retry.deadline(handler_input.context)
            progress = Progress.from_dict(session[SESSION_PROGRESS])
            _, failed = self._save(handler_input, progress, session, deadline)
            if failed and unsaved:
                logger.warning(
                    "session of user=%s ended with progress the store did not take",
                    short_hash(person_key(handler_input.request_envelope)),
                )
        return handler_input.response_builder.response

    # --- storage ----------------------------------------------------------------------

    def _load(
        self, handler_input: HandlerInput, session: dict[str, Any], deadline: Deadline
    ) -> tuple[Progress, bool, bool]:
        """The progress of this turn, whether it is unsaved, and whether reading it failed."""
        if SESSION_PROGRESS in session:
            progress = Progress.from_dict(session[SESSION_PROGRESS])
            return progress, bool(session.get(SESSION_UNSAVED)), False
        envelope = handler_input.request_envelope
        try:
            stored = deadline.call(
                lambda: self.adapter.get_attributes(envelope), self.adapter.slowest_call_seconds
            )
        except StorageError as exc:
            # Start fresh for this session. The conditional write later cannot overwrite
            # what is stored: it conflicts, and the conflict merges the stored progress in.
            logger.warning("progress read failed, starting fresh this session: %s", exc)
            return Progress(), True, True
        stored = dict(stored)
        stored.pop(FORGOTTEN_AT, None)  # forgotten before this session: a fresh start
        return Progress.from_dict(stored), False, False

    def _save(
        self,
        handler_input: HandlerInput,
        progress: Progress,
        session: dict[str, Any],
        deadline: Deadline,
    ) -> tuple[Progress, bool]:
        """Store progress; returns it as stored (with its new revision), and whether the
        store failed (then it is the session's progress, still to be saved)."""
        envelope = handler_input.request_envelope
        slowest = self.adapter.slowest_call_seconds
        started = int(session.get(SESSION_STARTED) or 0)  # unknown: older than any forget

        def read() -> dict[str, Any]:
            return dict(self.adapter.get_attributes(envelope))

        for _ in range(SAVE_ATTEMPTS):
            attributes = progress.to_dict()

            def write(attributes: dict[str, Any] = attributes) -> None:
                self.adapter.save_attributes(envelope, attributes)

            try:
                deadline.call(write, slowest)
                return progress.with_revision(progress.revision + 1), False
            except ConflictError:
                try:
                    raw = deadline.call(read, slowest)
                except StorageError as exc:
                    logger.warning("progress re-read after conflict failed: %s", exc)
                    return progress, True
                forgotten_at = raw.pop(FORGOTTEN_AT, None)
                stored = Progress.from_dict(raw)
                if forgotten_at is not None and forgotten_at >= started:
                    # Forgotten (on another device) since this session began: what this
                    # session holds is what the user asked to delete. Nothing to write.
                    logger.info(
                        "user=%s forgot their progress elsewhere; this session drops its copy",
                        short_hash(person_key(envelope)),
                    )
                    return stored, False
                progress = progress.merge(stored).with_revision(stored.revision)
            except StorageError as exc:
                logger.warning("progress save failed, keeping it in the session: %s", exc)
                return progress, True
        return progress, True

    def _forget(self, handler_input: HandlerInput, deadline: Deadline) -> bool:
        """Delete the speaker's stored progress; False if the store failed."""
        envelope = handler_input.request_envelope
        try:
            deadline.call(
                lambda: self.adapter.delete_attributes(envelope), self.adapter.slowest_call_seconds
            )
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
        if not fits_alexa(rendered):
            logger.error("reply %s is over Alexa's size limits; apologising instead", reply.view)
            rendered = self.speech.render(locale, ERROR_REPLY.view, {})
        return build_response(handler_input, rendered, reply.end_session)


def fits_alexa(rendered: Rendered) -> bool:
    """Whether Alexa accepts this speech, reprompt and card: each within its limit."""
    for ssml in (rendered.speech, rendered.reprompt):
        if ssml is not None and len(ssml) + _SPEAK_WRAPPER > MAX_SPEECH_CHARS:
            return False
    card = len(rendered.card_title or "") + len(rendered.card_text or "")
    return card <= MAX_CARD_CHARS


def build_response(handler_input: HandlerInput, rendered: Rendered, end_session: bool) -> Response:
    if not fits_alexa(rendered):
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


def _epoch(envelope: Any) -> int:
    timestamp = getattr(envelope.request, "timestamp", None)
    if timestamp is not None:
        try:
            return int(timestamp.timestamp())
        except (AttributeError, OverflowError, OSError, ValueError):
            pass
    return int(time.time())


def in_a_vehicle(envelope: Any) -> bool:
    """Alexa sends ``context.Automotive`` from vehicles (Echo Auto, built-in car Alexa)."""
    return getattr(getattr(envelope, "context", None), "automotive", None) is not None
