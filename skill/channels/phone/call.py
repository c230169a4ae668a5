"""One phone call: what the caller said, pressed or left unsaid -> what they hear next.

The caller's words are resolved with the text channels' resolver and go through the text
session every text channel shares (``skill.channels.text``: launch, intent, silence,
reprompt, end) to the turn service itself (``PhoneSkill``): no Alexa request, no SDK. The
session the service keeps (conversation and progress) is the call's state, so the
walkthroughs, the safety answer and the caller's progress are the skill's; only the keypad,
silences and hanging up are the phone's. The answer is rendered through the same templates
and said as TwiML (``skill.channels.phone.twiml``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from skill.channels.phone.calls import CallState
from skill.channels.phone.identity import log_tag
from skill.channels.phone.pin import PIN_KEY, PinDesk, Vaults
from skill.channels.phone.twiml import Answer
from skill.channels.text import LAUNCH_REQUEST, USER_INITIATED, Said, Silence, TextSession
from skill.core.dialog import Action, Command
from skill.service.intents import clean_slot, to_command
from skill.service.turns import Caller, TurnService, guarded_session, held
from skill.understanding.resolver import Resolution, get_resolver

logger = logging.getLogger(__name__)

MAX_SILENCES = 3  # 1: the skill's reprompt, 2: the options, 3: goodbye

# One key per option, so <Gather numDigits="1"> acts on the press at once. The spoken list is
# templates/en/phone/_keypad.ssml.j2; a test keeps the two in step.
KEYPAD: dict[str, str] = {
    "1": "AMAZON.NextIntent",
    "2": "AMAZON.RepeatIntent",
    "3": "AMAZON.PreviousIntent",
    "7": "AMAZON.YesIntent",
    "8": "AMAZON.NoIntent",
    "9": "AMAZON.HelpIntent",
    "0": "AMAZON.StopIntent",
}

# Intents whose very name says something about the caller's safety: never logged with them.
PRIVATE_INTENTS = frozenset(
    {
        "SafetyIntent",
        "SelfHarmIntent",
        "MisunderstoodIntent",
        "ConcernIntent",
        "SelfHarmConcernIntent",
        "FeelingsIntent",
    }
)
FORGET_INTENT = "ForgetProgressIntent"


class PhoneSkill:
    """The turn service as a text session's ``Skill``, on one call's state: its session
    (``session_id`` while one is open) and what the service keeps for it (``attributes``)."""

    def __init__(self, service: TurnService, state: CallState) -> None:
        self.service = service
        self.state = state

    @property
    def active(self) -> bool:
        return self.state.session_id is not None

    def launch(self) -> Said:
        return self._run(Command(Action.LAUNCH), LAUNCH_REQUEST)

    def intent(self, name: str, slots: Mapping[str, str | None]) -> Said:
        cleaned = {slot: clean_slot(value) for slot, value in slots.items()}
        return self._run(to_command(name, cleaned, self.service.catalog), name)

    def end(self, reason: str) -> None:
        """The session ends (the caller hung up, went quiet, or opened the skill again): a
        last try at saving what is unsaved."""
        if self.active:
            self.service.end(self.state.user_id, self.state.attributes)
        self._close()

    def _run(self, command: Command, request: str) -> Said:
        state = self.state
        new = state.session_id is None
        if new:
            state.session_id = f"phone.session.{uuid.uuid4()}"
            state.attributes = {}
        served = self.service.run(
            Caller(state.user_id, state.locale),
            state.attributes,
            command,
            now=int(time.time()),
            new_session=new,
        )
        rendered = self.service.render(state.locale, served.reply)
        if served.ended:
            self._close()
        return Said(
            request,
            # A practice is said as its timeline: <Say>s with real <Pause>s between them.
            speech=rendered.timeline or rendered.speech,
            reprompt=rendered.reprompt,
            ended=served.ended,
            view=served.reply.view,
            action=served.action.value,
            private=served.private,
        )

    def _close(self) -> None:
        self.state.session_id = None
        self.state.attributes = {}


class PhoneCall:
    """Drives the skill for one call, as the chat does for one terminal."""

    def __init__(
        self,
        state: CallState,
        service: TurnService,
        tag: str = "",
        vaults: Vaults | None = None,
    ) -> None:
        self.state = state
        self.service = service
        self.tag = tag  # a short hash of the CallSid, for logs
        self.vaults = vaults or Vaults("", carries=False, count_try=lambda line: 0)
        self.pins = PinDesk(self, self.vaults)
        self.session = TextSession(
            PhoneSkill(service, state), max_silences=MAX_SILENCES, nudge=True
        )
        self.session.silences = state.silences
        self.session.reprompt = state.reprompt
        self.resolver = get_resolver(state.locale)

    # What the caller did -> what they hear.

    def start(self) -> Answer:
        """The call was answered: the skill's welcome, as when the skill is opened (a
        session still open, when Twilio asks for the greeting again, is over)."""
        self._log("call", LAUNCH_REQUEST)
        return self._answer(self.session.launch())

    def hear(self, words: str) -> Answer:
        if self.pins.entering:
            self.pins.cancel()  # a PIN is keyed, never said: the caller moved on
        resolution = self.resolver.resolve(words)
        if resolution.intent is None and not resolution.launch:
            return self.silence()  # only noise or punctuation: nothing to act on
        was_held = self._held()
        try:
            return self._hear(resolution)
        finally:
            # Logged once the skill has answered: a disclosure, and everything said while
            # coaching is held after one, is never logged with the caller beside it.
            private = was_held or self._held() or resolution.intent in PRIVATE_INTENTS
            self._log("speech", resolution.intent or LAUNCH_REQUEST, private=private)

    def _hear(self, resolution: Resolution) -> Answer:
        if resolution.intent == FORGET_INTENT and self.vaults.carries and not self.state.verified:
            # Only this call's progress is at hand: what is kept between calls is deleted
            # by whoever gives its PIN, never by whoever rings in with the number.
            opened = None if self.session.active else self.start()
            notice = self.render("phone_pin", stage="forget")
            if opened is not None:
                return Answer([*opened.parts, notice], hang_up=opened.hang_up)
            return Answer([notice, self.question()])
        said = self.session.hear(resolution)
        if said is None:
            return self.start()  # the line is always open: words that open nothing greet
        return self._answer(said)

    def press(self, digits: str) -> Answer:
        self.session.silences = 0
        if self.pins.entering:
            self._log("dtmf", "pin entry")  # never the digits
            return self.pins.entry(digits.strip())
        if digits.strip()[:1] == PIN_KEY:
            self._log("dtmf", "pin")
            return self.pins.start()
        intent = KEYPAD.get(digits.strip()[:1])
        self._log("dtmf", intent or "unknown key", private=self._held())
        if intent is None:
            # Nothing for the skill: say what the keys do, then what the skill last asked.
            return Answer([self.render("phone_keypad", unknown=True), self.session.reprompt or ""])
        return self._answer(self.session.intent(intent))

    def silence(self) -> Answer:
        if self.pins.entering:
            return self.pins.cancel()
        if not self.session.active:
            return self.start()
        was_held = self._held()
        silence = self.session.silence()
        self._log("silence", str(self.session.silences), private=was_held)
        if silence is Silence.ENDED:
            # Alexa's own reason when reprompts run out; the session saved what was unsaved.
            return Answer([self.render("phone_silence", attempt=MAX_SILENCES)], hang_up=True)
        if silence is Silence.REPROMPT:
            return Answer([self.session.reprompt or ""])
        return Answer([self.render("phone_silence", attempt=2), self.session.reprompt or ""])

    def again(self) -> Answer:
        """Back after "one moment" with nothing left to do: the open question again."""
        if not self.session.active:
            return self.start()
        return Answer([self.question()])

    def question(self) -> str:
        """What the skill last asked, to say again after a line of the phone's own."""
        return self.session.reprompt or ""

    # The vault of the caller's number and PIN (skill.channels.phone.pin).

    def open_vault(self, vault: str) -> Answer:
        """A PIN that opens kept progress: what this call did joins it, and the skill opens
        again on it (its welcome back says where the caller is)."""
        if not self.keep_in_vault(vault):
            return Answer([self.render("phone_pin", stage="not_now"), self.question()])
        self.session.leave(USER_INITIATED)
        answer = self._answer(self.session.launch())
        return Answer([self.render("phone_pin", stage="opened"), *answer.parts], answer.hang_up)

    def keep_in_vault(self, vault: str) -> bool:
        """From now on this call's progress is the vault's (merged with what it holds)."""
        if self.session.active and not self.service.move(self.state.attributes, vault):
            return False
        self.state.user_id = vault
        self.state.verified = True
        return True

    def end(self, reason: str = "USER_INITIATED") -> None:
        """The call is over while the session is open: end it, as Alexa would."""
        self.session.leave(reason)

    def snapshot(self) -> CallState:
        self.state.silences = self.session.silences
        self.state.reprompt = self.session.reprompt
        return self.state

    # Plumbing.

    def _answer(self, said: Said) -> Answer:
        speech = said.speech or ""
        if said.ended:
            # Goodbye, the safety answer, "forget me": the skill closed, so the line does.
            return Answer([speech], hang_up=True)
        parts = [speech]
        if not self.state.keypad_announced:
            # Once per call, after the first answer; then the question again, since the
            # keypad list came between it and the caller.
            self.state.keypad_announced = True
            keypad = self.render("phone_keypad", unknown=False, pin=self.vaults.carries)
            parts += [keypad, said.reprompt or ""]
        return Answer(parts)

    def render(self, view: str, **data: Any) -> str:
        return self.service.speech.render(self.state.locale, view, data).speech or ""

    def _held(self) -> bool:
        """Coaching is held after a safety answer, or a check-in is open (skill.core.hold)."""
        return held(self.state.attributes) or guarded_session(self.state.attributes)

    def _log(self, kind: str, what: str, private: bool = False) -> None:
        # Never the words said: they may be a disclosure. Never the number: it is not here.
        if private:
            logger.info("phone turn private")
            return
        logger.info(
            "phone turn call=%s user=%s input=%s -> %s",
            self.tag,
            log_tag(self.vaults.pepper, self.state.user_id),
            kind,
            what,
        )
