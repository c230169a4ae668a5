"""One text session: the policy every text channel shares (the chat, the simulator, the
phone line), in front of whatever answers it.

What a person typed or said has been resolved (``skill.understanding``) to an intent and its
slots, or to opening the skill. What that does is the same everywhere, as on an Echo:

* words that open the skill ("open ally coach") end a session that is open and start a new
  one, with the request in them when there is one ("ask ally coach for the next tip");
* other words go to the open session as an intent, or, with no session open, start one
  when they are a clear request (a one-shot); words that are neither leave it closed;
* a silence is answered with the last reprompt, once; the next silence ends the session
  (``EXCEEDED_MAX_REPROMPTS``, Alexa's own reason). The phone line allows one more: a
  nudge that says what can be said, then goodbye.

The answering side is a ``Skill``: ``skill.channels.echo.Echo`` sends real Alexa request
envelopes through a handler (the chat and the simulator simulate an Echo, which is their
point); the phone line's ``skill.channels.phone.call`` calls the turn service directly.
Each answer comes back as ``Said``: the words, and the view and action of the turn.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from skill.understanding.resolver import Resolution

FALLBACK_INTENT = "AMAZON.FallbackIntent"
USER_INITIATED = "USER_INITIATED"
EXCEEDED_MAX_REPROMPTS = "EXCEEDED_MAX_REPROMPTS"
# What leaves the chat or the simulator's device at once, as walking away from a speaker.
QUIT_WORDS = frozenset({"exit", "quit", "bye", "goodbye alexa", "alexa exit", "alexa quit"})
LAUNCH_REQUEST = "LaunchRequest"
SESSION_ENDED_REQUEST = "SessionEndedRequest"


class Said(NamedTuple):  # not a dataclass: the phone Lambda's cold start defines it
    """What the skill answered one request. SSML may come with or without ``<speak>``."""

    request: str  # what was sent: LaunchRequest, SessionEndedRequest or the intent's name
    speech: str | None = None
    reprompt: str | None = None
    card_title: str | None = None
    card_text: str | None = None
    ended: bool = False  # the session is over after this answer
    view: str | None = None  # the view the turn rendered, when known
    action: str | None = None  # the dialog action it answered, when known
    private: bool = False  # a disclosure, or a turn while coaching is held after one
    # A practice played as one piece: the APL for Audio document a device played (its
    # speech and silences are ``speech`` too), or None.
    document: Mapping[str, Any] | None = None


class Skill(Protocol):
    """What a text session talks to: one session at a time."""

    @property
    def active(self) -> bool: ...

    def launch(self) -> Said: ...

    def intent(self, name: str, slots: Mapping[str, str | None]) -> Said: ...

    def end(self, reason: str) -> None: ...


class Silence(enum.Enum):
    CLOSED = "closed"  # no session: nothing to answer
    REPROMPT = "reprompt"  # say the last reprompt again (``TextSession.reprompt``)
    NUDGE = "nudge"  # the phone's second chance: say what can be said
    ENDED = "ended"  # the session ended (EXCEEDED_MAX_REPROMPTS)


class TextSession:
    """One person's turns with a ``Skill``: launch, intent, silence, reprompt and end.

    ``silences`` and ``reprompt`` (the last open answer's, as SSML) are plain fields, so a
    channel that keeps them elsewhere between requests (the phone line) can restore them.
    ``closed`` says a session was open and has ended.
    """

    def __init__(self, skill: Skill, *, max_silences: int = 2, nudge: bool = False) -> None:
        self.skill = skill
        self.max_silences = max_silences
        self.nudge = nudge
        self.silences = 0
        self.reprompt: str | None = None
        self.closed = False

    @property
    def active(self) -> bool:
        return self.skill.active

    def hear(self, resolution: Resolution) -> Said | None:
        """What resolved words do; None when they leave the skill closed."""
        if resolution.launch:
            return self.launch(resolution.intent, resolution.slots)
        if not self.active and resolution.intent in (None, FALLBACK_INTENT):
            return None
        return self.intent(resolution.intent or FALLBACK_INTENT, resolution.slots)

    def launch(
        self, intent: str | None = None, slots: Mapping[str, str | None] | None = None
    ) -> Said:
        """Open the skill (ending the open session first, as Alexa does), with a request
        in the same breath when ``intent`` is given."""
        self.leave(USER_INITIATED)
        if intent is None:
            return self._took(self.skill.launch())
        return self._took(self.skill.intent(intent, slots or {}))

    def intent(self, name: str, slots: Mapping[str, str | None] | None = None) -> Said:
        return self._took(self.skill.intent(name, slots or {}))

    def silence(self) -> Silence:
        """The person said nothing after the skill spoke."""
        if not self.active:
            return Silence.CLOSED
        self.silences += 1
        if self.silences == 1 and self.reprompt:
            # On an Echo, Alexa speaks the reprompt itself: the skill is not asked again.
            return Silence.REPROMPT
        if self.silences < self.max_silences and self.nudge:
            return Silence.NUDGE
        self.leave(EXCEEDED_MAX_REPROMPTS)
        return Silence.ENDED

    def leave(self, reason: str = USER_INITIATED) -> bool:
        """End the open session, as when the person walks away; False if none was open."""
        if not self.active:
            return False
        self.skill.end(reason)
        self.reprompt = None
        self.closed = True
        return True

    def _took(self, said: Said) -> Said:
        self.silences = 0
        self.reprompt = None if said.ended else said.reprompt
        if said.ended:
            self.closed = True
        return said
