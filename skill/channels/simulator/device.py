"""One simulated Echo: what a person says in, the skill's answer and what it meant out.

Built like the terminal chat (``skill.channels.chat``): the words are resolved with the
same offline resolver, sent as real Alexa request envelopes (``SessionDriver``) through
the skill's handler, and the answer comes back with what a developer wants to see beside
it: the intent and slots chosen, the resolver's confidence, the view that was rendered.
Silence is handled as a device does: the first time it plays the reprompt, the second
time the session ends (``EXCEEDED_MAX_REPROMPTS``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skill.alexa.envelopes import LOCAL_SKILL_ID, SessionDriver
from skill.channels.chat import QUIT_WORDS
from skill.speech.ssml import to_text
from skill.understanding.resolver import Resolution, get_resolver

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# What an exchange was: words said, a silence, leaving, or words said to a closed skill.
SAY = "say"
SILENT = "silent"
LEAVE = "leave"
NOT_OPEN = "not_open"  # nothing was sent: the skill is closed and the words don't open it

TURN_LOGGER = "skill.alexa.turns"
_TURN_LINE = re.compile(r"\baction=(?P<action>\S+) view=(?P<view>\S+)")


class _TurnLines(logging.Handler):
    """Catches the turn runner's one log line per turn, for the thread that asks.

    The session attributes keep the conversation's last reply, but not an aside such as
    the pause notice, and a reply that ends the session clears them. So the view and the
    dialog action come from the line ``skill.alexa.turns`` logs for each turn, and the
    attributes are the fallback. Best effort: a debug aid only, never a test's oracle.
    """

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines: list[str] | None = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(record.getMessage())

    def start(self) -> None:
        self.local.lines = []

    def stop(self) -> list[str]:
        lines: list[str] = getattr(self.local, "lines", None) or []
        self.local.lines = None
        return lines


_turn_lines = _TurnLines()
logging.getLogger(TURN_LOGGER).addHandler(_turn_lines)


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
    response: dict[str, Any] | None = None
    view: str | None = None
    action: str | None = None
    closed: bool = False  # no session is open after this exchange

    @property
    def body(self) -> dict[str, Any]:
        return dict((self.response or {}).get("response") or {})

    @property
    def speech_ssml(self) -> str | None:
        speech = self.body.get("outputSpeech") or {}
        ssml = speech.get("ssml")
        return str(ssml) if ssml else None

    @property
    def reprompt_ssml(self) -> str | None:
        speech = (self.body.get("reprompt") or {}).get("outputSpeech") or {}
        ssml = speech.get("ssml")
        return str(ssml) if ssml else None

    @property
    def text(self) -> str:
        """What was heard, as plain words."""
        return to_text(self.speech_ssml, show_pauses=False) if self.speech_ssml else ""

    @property
    def card(self) -> dict[str, str] | None:
        card = self.body.get("card")
        if not card:
            return None
        return {
            "title": str(card.get("title") or ""),
            "text": str(card.get("text") or card.get("content") or ""),
        }

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
        self.handler = handler
        self.driver = SessionDriver(
            user_id=user_id, locale=locale, application_id=application_id or LOCAL_SKILL_ID
        )
        self.resolver = get_resolver(locale)
        self.last_reprompt: str | None = None  # SSML
        self.silences = 0

    @property
    def locale(self) -> str:
        return self.driver.locale

    @property
    def user_id(self) -> str:
        return self.driver.user_id

    @property
    def active(self) -> bool:
        return self.driver.active

    # --- what the person does ---------------------------------------------------------

    def say(self, words: str) -> Exchange:
        words = words.strip()
        if not words:
            return self.silence()
        if words.lower() in QUIT_WORDS:
            return self.leave()
        resolution = self.resolver.resolve(words)
        exchange = Exchange(SAY, said=words, understood=Understood.of(resolution))
        envelope = self._envelope(resolution, exchange)
        if envelope is None:
            exchange.kind, exchange.closed = NOT_OPEN, True
            return exchange
        return self._send(envelope, exchange)

    def silence(self) -> Exchange:
        """The person said nothing for about eight seconds after the skill spoke."""
        exchange = Exchange(SILENT)
        if not self.active:
            exchange.kind, exchange.closed = NOT_OPEN, True
            return exchange
        self.silences += 1
        if self.silences == 1 and self.last_reprompt:
            # Alexa speaks the reprompt itself; the skill is not asked again.
            exchange.response = {
                "response": {
                    "outputSpeech": {"type": "SSML", "ssml": self.last_reprompt},
                    "reprompt": {"outputSpeech": {"type": "SSML", "ssml": self.last_reprompt}},
                    "shouldEndSession": False,
                }
            }
            return exchange
        return self._send(self.driver.session_ended("EXCEEDED_MAX_REPROMPTS"), exchange)

    def leave(self, reason: str = "USER_INITIATED") -> Exchange:
        """The person walks away or says "exit": the session ends without an answer."""
        exchange = Exchange(LEAVE, closed=True)
        if self.active:
            self._send(self.driver.session_ended(reason), exchange)
        return exchange

    # --- plumbing ---------------------------------------------------------------------

    def _envelope(self, resolution: Resolution, exchange: Exchange) -> dict[str, Any] | None:
        if resolution.launch:
            if self.active:
                # Opening the skill again mid-session: Alexa ends the old session first.
                self._send(self.driver.session_ended("USER_INITIATED"), exchange)
            if resolution.intent is None:
                return self.driver.launch()
            return self.driver.intent(resolution.intent, resolution.slots)
        if not self.active and resolution.intent in (None, "AMAZON.FallbackIntent"):
            return None
        # Without "open ally coach" a clear request still opens the skill, as a one-shot.
        return self.driver.intent(resolution.intent or "AMAZON.FallbackIntent", resolution.slots)

    def _send(self, envelope: dict[str, Any], exchange: Exchange) -> Exchange:
        request_type = str(envelope["request"]["type"])
        exchange.requests.append(request_type)
        _turn_lines.start()
        try:
            response = self.handler(envelope, None)
        finally:
            lines = _turn_lines.stop()
        self.driver.update(response)
        exchange.closed = not self.active
        if request_type == "SessionEndedRequest":
            self.last_reprompt = None
            if exchange.kind != SAY:  # a launch's closing of the old session is not the answer
                exchange.response = response
            return exchange
        exchange.response = response
        self.silences = 0
        self.last_reprompt = None if exchange.closed else exchange.reprompt_ssml
        for line in lines:
            match = _TURN_LINE.search(line)
            if match:
                exchange.action = match.group("action")
                view = match.group("view")
                exchange.view = None if view == "None" else view
        if exchange.view is None and not exchange.ended:
            conversation = (response.get("sessionAttributes") or {}).get("conversation") or {}
            exchange.view = (conversation.get("last") or {}).get("view")
        return exchange
