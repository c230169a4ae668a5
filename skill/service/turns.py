"""The turn service: one turn of any channel around the dialog core.

A channel (Alexa's handlers, the phone line) hands it who is speaking (``Caller``: the
progress key, the locale, whether the device can have the eyes closed), the session it
keeps for them (a dict of plain JSON values: Alexa's session attributes, a phone call's
state) and a ``Command``. The service loads the progress once per session, runs the core,
saves with the merge, retry and budget rules of ``skill.service.keeping``, and returns
what was served: the core's ``Turn`` (view, reply data, conversation, progress), the
action, and whether the progress is unsaved. The session dict is updated in place: it is
what the channel keeps until the next turn. Rendering is the channel's (``render``).

Progress is written only on turns that change it. A visit alone (a launch) waits for the
next change or the session's end, so the first answer never waits on a write. If the
store fails, the progress stays in the session, marked unsaved, and the save is tried
again on a later turn and when the session ends. A reply that would promise to remember
("I'll remember where you are") is told when that is not true, and says so.

``watching`` lets a caller see the turns served in its thread (the simulator shows the
view and action of each): an explicit hook, never the logs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from skill.core.dialog import Action, Command, Conversation, Reply, Turn, handle
from skill.core.hold import guarded, is_private
from skill.core.progress import Progress
from skill.core.reminding import REMINDER_ACTIONS, REMINDER_VIEW
from skill.digest import short_hash
from skill.service.budget import Deadline, RetryPolicy
from skill.service.keeping import Keeper
from skill.service.replies import render
from skill.service.session import SessionSchema

if TYPE_CHECKING:
    from skill.core.program import Catalog
    from skill.service.reminding import Reminders
    from skill.speech.render import Rendered, Speech
    from skill.speech.sounds import Sounds
    from skill.store.base import ProgressStore

logger = logging.getLogger(__name__)

# Commands whose very kind says something about the user's safety.


# What the service keeps in the session (Alexa's session attributes, a call's state).
SESSION_CONVERSATION = "conversation"
SESSION_PROGRESS = "progress"
SESSION_UNSAVED = "unsaved"  # a change is not stored yet; try again next turn
SESSION_VISIT_PENDING = "visit_pending"  # only the visit time is unsaved
SESSION_STARTED = "started_at"  # epoch seconds of the session's first request
# What a turn says when the store fails where no answer can do without it (a delete).
ERROR_REPLY = Reply("error")
# Views whose words promise that the progress is kept. They are given ``saved: False``
# when it is not, and then say so; with the progress stored they get nothing extra, so
# they still match the replies rendered ahead at build time (skill.speech.prerender).
PROMISING_VIEWS = frozenset({"goodbye", "paused", "pacing", "sound", "fallback_end"})
SAVED = "saved"
# The view that says a soft sound will play under the practices: told ``unheard`` on a
# channel that cannot play one under the voice, so it never promises what is not heard.
SOUND_VIEW = "sound"
UNHEARD = "unheard"


class Caller:
    """Who is speaking, and on what. (Plain classes here: every Lambda cold start defines
    them, and a NamedTuple costs several times more to define, skill.core.values.)"""

    __slots__ = ("eyes_open", "key", "locale", "plays_sound", "reminders")

    def __init__(
        self,
        key: str,
        locale: str,
        eyes_open: bool = False,
        plays_sound: bool = False,
        reminders: Reminders | None = None,
    ) -> None:
        self.key = key  # the progress key (skill.store.base.progress_key)
        self.locale = locale
        self.eyes_open = eyes_open  # in a car: exercises never ask to close the eyes
        # The device can play a sound under the voice (APL for Audio): a soft sound asked
        # for is heard there; elsewhere the answer says so.
        self.plays_sound = plays_sound
        # The person's reminders on this channel (skill.service.reminding); None where
        # reminders cannot be set (the phone line: they need an Alexa device).
        self.reminders = reminders


class Served:
    """One turn as served: the core's turn (its reply as said), the action it answered,
    whether the progress is still unsaved, and whether the turn is a private one (a
    disclosure, or anything while coaching is held after one)."""

    __slots__ = ("action", "private", "turn", "unsaved")

    def __init__(self, turn: Turn, action: Action, unsaved: bool, private: bool) -> None:
        self.turn = turn
        self.action = action
        self.unsaved = unsaved
        self.private = private

    @property
    def reply(self) -> Reply:
        return self.turn.reply

    @property
    def ended(self) -> bool:
        return self.turn.reply.end_session


def held(session: MutableMapping[str, Any]) -> bool:
    """Whether coaching is held in this session after a safety answer (skill.core.hold)."""
    conversation = session.get(SESSION_CONVERSATION)
    return bool(isinstance(conversation, dict) and conversation.get("hold"))


def guarded_session(session: MutableMapping[str, Any]) -> bool:
    """Coaching held, or a check-in open: nothing said now is logged beside the person."""
    conversation = session.get(SESSION_CONVERSATION)
    return isinstance(conversation, dict) and guarded(Conversation.from_dict(conversation))


_watchers = threading.local()


@contextmanager
def watching() -> Iterator[list[Served]]:
    """Collect the turns served in this thread while the block runs."""
    seen: list[Served] = []
    outer = getattr(_watchers, "seen", None)
    _watchers.seen = seen
    try:
        yield seen
    finally:
        _watchers.seen = outer


class TurnService:
    """Turns of every channel on one store, one catalog of programs and one renderer."""

    def __init__(
        self,
        store: ProgressStore,
        catalog: Catalog,
        speech: Speech | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.keeper = Keeper(store, self.read_progress)
        self.catalog = catalog
        self._speech = speech
        self._schema: SessionSchema | None = None
        self.retry = retry or RetryPolicy()

    @property
    def speech(self) -> Speech:
        if self._speech is None:
            from skill.speech.render import get_speech

            self._speech = get_speech()
        return self._speech

    @property
    def sounds(self) -> Sounds:
        """The soft sounds of the content this service speaks from."""
        from skill.speech.sounds import get_sounds

        return get_sounds(self.speech.root)

    @property
    def schema(self) -> SessionSchema:
        """What a session may hold: this catalog's programs, these templates' views."""
        if self._schema is None:
            self._schema = SessionSchema(self.catalog, *self.speech.names())
        return self._schema

    def read_session(self, session: MutableMapping[str, Any]) -> None:
        """Keep in ``session`` only what the schema reads (``skill.service.session``); what
        could not be read is dropped with one log line (names of fields, never values)."""
        clean, problems = self.schema.read(session)
        if problems:
            logger.warning(
                "session attributes not as written, dropped: %.300s", ", ".join(problems[:12])
            )
        session.clear()
        session.update(clean)

    def read_progress(self, stored: dict[str, Any]) -> Progress:
        """Stored progress, bounded as a session's is; unreadable: a fresh start that will
        overwrite it (its revision is kept, so the write is still conditional)."""
        try:
            return Progress.from_dict(self.schema.progress(stored, stored=True))
        except Exception as exc:  # Unreadable, or a shape migrate() cannot take
            logger.warning("stored progress unreadable (%s); starting fresh", type(exc).__name__)
            revision = stored.get("revision")
            fresh = Progress()
            if isinstance(revision, int) and not isinstance(revision, bool) and revision >= 0:
                fresh = fresh.with_revision(revision)
            return fresh

    def deadline(self, context: Any = None) -> Deadline:
        """A turn's time for the store, from now (``context``: Lambda's, if any)."""
        return self.retry.deadline(context)

    # --- a turn -----------------------------------------------------------------------

    def run(
        self,
        caller: Caller,
        session: MutableMapping[str, Any],
        command: Command,
        *,
        now: int,
        new_session: bool,
        deadline: Deadline | None = None,
    ) -> Served:
        """Answer ``command``; ``now`` is the request's time in epoch seconds."""
        deadline = deadline or self.deadline()
        self.read_session(session)
        if new_session:
            session[SESSION_STARTED] = now
        conversation = Conversation.from_dict(session.get(SESSION_CONVERSATION))
        if caller.eyes_open:
            conversation = conversation._replace(eyes_open=True)
        if conversation.can_remind is not (caller.reminders is not None):
            conversation = conversation._replace(can_remind=caller.reminders is not None)
        read_failed = False
        if SESSION_PROGRESS in session:
            progress = Progress.from_dict(session[SESSION_PROGRESS])
            unsaved = bool(session.get(SESSION_UNSAVED))
        else:
            loaded = self.keeper.load(caller.key, deadline)
            progress, unsaved, read_failed = loaded or Progress(), loaded is None, loaded is None
        pending = bool(session.get(SESSION_VISIT_PENDING))

        turn = handle(conversation, progress, command, now, self.catalog)
        if turn.reply.view == REMINDER_VIEW and command.action in REMINDER_ACTIONS:
            from skill.service.reminding import carry_out

            turn = carry_out(caller.reminders, turn, caller.locale, now)
        new_progress = turn.progress
        if new_session and not turn.forget:
            new_progress = replace(new_progress, last_visit=now)

        if turn.forget:
            if progress.reminders and caller.reminders is not None and caller.reminders.granted:
                # The reminders go with the progress, where the API lets them.
                from skill.service.reminding import delete_all

                delete_all(caller.reminders, progress.reminders)
            if not self.keeper.forget(caller.key, now, deadline):
                # Never say "deleted" when it was not: apologise and keep the question
                # open (the session is left as it was), so saying yes again retries.
                logger.info("turn user=%s forget failed", short_hash(caller.key))
                return self._served(turn._replace(reply=ERROR_REPLY), command, unsaved, False)
            new_progress, unsaved, pending = Progress(), False, False
        elif read_failed:
            # The store just failed for the whole of this turn's time. Keep the progress in
            # the session; the next turn (or the session's end) saves it, and that
            # conflicting insert merges in what is stored.
            unsaved = True
        else:
            # A visit alone (a launch) changes only last_visit and visits. No one waits on
            # that, so it rides along with the next real change, or is saved as the session
            # ends, instead of delaying the first answer with a write.
            # (A launch also counts the visit, which picks the welcome's variant.)
            visit_only = (
                replace(new_progress, last_visit=progress.last_visit, visits=progress.visits)
                == progress
            )
            pending = pending or (new_progress != progress and visit_only)
            if unsaved or not visit_only or (pending and turn.reply.end_session):
                started = int(session.get(SESSION_STARTED) or 0)  # unknown: before any forget
                new_progress, failed = self.keeper.save(caller.key, new_progress, started, deadline)
                if failed and not unsaved and visit_only:
                    pending = True  # still only the visit: nothing the user did is at stake
                else:
                    unsaved, pending = failed, False

        reply = turn.reply
        if unsaved and reply.view in PROMISING_VIEWS:
            reply = reply._replace(data={**reply.data, SAVED: False})
        if reply.view == SOUND_VIEW and not caller.plays_sound:
            reply = reply._replace(data={**reply.data, UNHEARD: True})
        session[SESSION_CONVERSATION] = turn.conversation.to_dict()
        session[SESSION_PROGRESS] = new_progress.to_dict()
        session[SESSION_UNSAVED] = unsaved
        session[SESSION_VISIT_PENDING] = pending
        private = is_private(conversation, turn.conversation, command.action)
        served = self._served(turn._replace(reply=reply), command, unsaved, private)
        if private:
            # A disclosure, or what follows it: not even its kind goes into a log, and no
            # user is named beside it.
            logger.info("turn private unsaved=%s", unsaved)
        else:
            logger.info(
                "turn user=%s action=%s view=%s unsaved=%s",
                short_hash(caller.key),
                command.action.value,
                reply.view,
                unsaved,
            )
        if unsaved and reply.end_session:
            logger.warning(
                "session of user=%s ends with progress the store did not take",
                short_hash(caller.key),
            )
        return served

    def end(
        self,
        key: str,
        session: MutableMapping[str, Any],
        deadline: Deadline | None = None,
        now: int | None = None,
    ) -> None:
        """The session ended. The core hears it (a practice the session closed in is
        remembered, to offer again next time), and what is unsaved is saved; nothing is
        said."""
        self.read_session(session)
        if SESSION_PROGRESS not in session:
            return
        unsaved = bool(session.get(SESSION_UNSAVED))
        progress = Progress.from_dict(session[SESSION_PROGRESS])
        conversation = Conversation.from_dict(session.get(SESSION_CONVERSATION))
        command = Command(Action.SESSION_ENDED)
        when = int(time.time()) if now is None else now
        ended = handle(conversation, progress, command, when, self.catalog).progress
        if unsaved or session.get(SESSION_VISIT_PENDING) or ended != progress:
            started = int(session.get(SESSION_STARTED) or 0)
            _, failed = self.keeper.save(key, ended, started, deadline or self.deadline())
            if failed and unsaved:
                logger.warning(
                    "session of user=%s ended with progress the store did not take",
                    short_hash(key),
                )

    def move(
        self, session: MutableMapping[str, Any], key: str, deadline: Deadline | None = None
    ) -> bool:
        """Keep the session's progress under ``key`` from now on, merged with what is stored
        there (the phone line, when a caller gives their PIN). False if the store failed;
        then nothing changed."""
        self.read_session(session)
        if SESSION_PROGRESS not in session:
            return True
        deadline = deadline or self.deadline()
        stored = self.keeper.load(key, deadline)
        if stored is None:
            return False
        progress = Progress.from_dict(session[SESSION_PROGRESS]).merge(stored)
        started = int(session.get(SESSION_STARTED) or 0)
        saved, failed = self.keeper.save(
            key, progress.with_revision(stored.revision), started, deadline
        )
        if failed:
            return False
        session[SESSION_PROGRESS] = saved.to_dict()
        session[SESSION_UNSAVED] = session[SESSION_VISIT_PENDING] = False
        return True

    def delete_user(self, user_id: str, deadline: Deadline | None = None) -> None:
        """Delete everything of the account; ``StorageError`` if the store failed."""
        self.keeper.delete_user(user_id, deadline or self.deadline())

    def render(self, locale: str | None, reply: Reply) -> Rendered:
        """The reply's words (``skill.service.replies``: within the limits, or the apology)."""
        return render(self.speech, locale, reply)

    def _served(self, turn: Turn, command: Command, unsaved: bool, private: bool) -> Served:
        served = Served(turn, command.action, unsaved, private)
        seen: list[Served] | None = getattr(_watchers, "seen", None)
        if seen is not None:
            seen.append(served)
        return served
