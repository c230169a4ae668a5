"""One simulated Echo as the page sees it: what a person says in, the skill's answer and
what it meant out.

The words go through the text session every text channel shares
(``skill.channels.text``: the same resolver, the same launch, intent and silence rules as
the chat) to an Echo (``skill.channels.echo``: real Alexa request envelopes through the
skill's handler), and the answer comes back with what a developer wants to see beside it:
the intent and slots chosen, the resolver's confidence, the requests sent, and the view
and dialog action of the turn (from the turn service's explicit hook).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from skill.channels.echo import Echo, Handler
from skill.channels.text import QUIT_WORDS, Said, Silence, TextSession
from skill.speech.ssml import to_text
from skill.understanding.resolver import Resolution, get_resolver

__all__ = ["LEAVE", "NOT_OPEN", "SAY", "SILENT", "Device", "Exchange", "Handler", "Understood"]

# What an exchange was: words said, a silence, leaving, or words said to a closed skill.
SAY = "say"
SILENT = "silent"
LEAVE = "leave"
NOT_OPEN = "not_open"  # nothing was sent: the skill is closed and the words don't open it


@dataclass
class Understood:
    intent: str | None
    slots: dict[str, str | None]
    score: float  # the resolver's 0..100; 100 for an exact sample
    launch: bool

    @classmethod
    def of(cls, resolution: Resolution) -> Understood:
        return cls(resolution.intent, dict(resolution.slots), resolution.score, resolution.launch)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "slots": self.slots,
            "confidence": round(self.score / 100, 3),
            "launch": self.launch,
        }


@dataclass
class Exchange:
    """One turn of the person with the device and everything that came of it."""

    kind: str
    said: str | None = None
    understood: Understood | None = None
    requests: list[str] = field(default_factory=list)
    answer: Said | None = None  # what the device said back; None: nothing
    closed: bool = False  # no session is open after this exchange

    @property
    def view(self) -> str | None:
        return self.answer.view if self.answer else None

    @property
    def action(self) -> str | None:
        return self.answer.action if self.answer else None

    @property
    def speech_ssml(self) -> str | None:
        return self.answer.speech if self.answer and self.answer.speech else None

    @property
    def document(self) -> Mapping[str, Any] | None:
        """The APL for Audio document the answer played, when it was a practice."""
        return self.answer.document if self.answer else None

    @property
    def reprompt_ssml(self) -> str | None:
        return self.answer.reprompt if self.answer and self.answer.reprompt else None

    @property
    def text(self) -> str:
        """What was heard, as plain words."""
        return to_text(self.speech_ssml, show_pauses=False) if self.speech_ssml else ""

    @property
    def card(self) -> dict[str, str] | None:
        if self.answer is None or self.answer.card_title is None:
            return None
        return {"title": self.answer.card_title, "text": self.answer.card_text or ""}

    @property
    def ended(self) -> bool:
        """The session ended with this exchange: by the answer, a silence, or leaving."""
        return self.closed


class Device:
    """A speaker in a room: one person (user ID), one locale, one session at a time."""

    def __init__(
        self,
        handler: Handler,
        user_id: str,
        locale: str = "en-US",
        application_id: str | None = None,
    ) -> None:
        self.echo = Echo(handler, user_id, locale, application_id)
        self.session = TextSession(self.echo)
        self.resolver = get_resolver(locale)

    @property
    def locale(self) -> str:
        return self.echo.driver.locale

    @property
    def user_id(self) -> str:
        return self.echo.driver.user_id

    @property
    def active(self) -> bool:
        return self.echo.active

    @property
    def attributes(self) -> dict[str, Any]:
        """The open session's attributes (empty when none is open)."""
        return self.echo.attributes if self.active else {}

    # --- what the person does ---------------------------------------------------------

    def say(self, words: str) -> Exchange:
        words = words.strip()
        if not words:
            return self.silence()
        if words.lower() in QUIT_WORDS:
            return self.leave()
        resolution = self.resolver.resolve(words)
        exchange = Exchange(SAY, said=words, understood=Understood.of(resolution))
        sent = len(self.echo.sent)
        exchange.answer = self.session.hear(resolution)
        return self._done(exchange, sent, NOT_OPEN if exchange.answer is None else SAY)

    def silence(self) -> Exchange:
        """The person said nothing for about eight seconds after the skill spoke."""
        exchange = Exchange(SILENT)
        sent = len(self.echo.sent)
        reprompt = self.session.reprompt
        silence = self.session.silence()
        if silence is Silence.REPROMPT:
            # Alexa speaks the reprompt itself; the skill is not asked again.
            exchange.answer = Said("", speech=reprompt, reprompt=reprompt)
        return self._done(exchange, sent, NOT_OPEN if silence is Silence.CLOSED else SILENT)

    def leave(self, reason: str = "USER_INITIATED") -> Exchange:
        """The person walks away or says "exit": the session ends without an answer."""
        exchange = Exchange(LEAVE)
        sent = len(self.echo.sent)
        self.session.leave(reason)
        return self._done(exchange, sent, LEAVE)

    def _done(self, exchange: Exchange, sent: int, kind: str) -> Exchange:
        exchange.kind = kind
        exchange.requests = self.echo.sent[sent:]
        exchange.closed = not self.active
        return exchange
