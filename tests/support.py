"""Driving the skill as Alexa does, for tests: real envelopes through the real handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.alexa.envelopes import SessionDriver
from skill.core.dialog import Action, Command, Conversation, Reply, handle
from skill.core.progress import Progress
from skill.speech.programs import get_catalog
from skill.speech.ssml import to_text, validate

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Said:
    """One response, checked: valid SSML, and a reprompt whenever the session stays open."""

    raw: dict[str, Any]

    def __post_init__(self) -> None:
        response = self.raw.get("response") or {}
        for key in ("outputSpeech",):
            if key in response:
                validate(response[key]["ssml"])
        if not self.ended and "outputSpeech" in response:
            reprompt = (response.get("reprompt") or {}).get("outputSpeech")
            assert reprompt, f"open session without a reprompt: {self.text!r}"
            validate(reprompt["ssml"])
            assert to_text(reprompt["ssml"]), "empty reprompt"

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.raw.get("response") or {})

    @property
    def text(self) -> str:
        speech = self.response.get("outputSpeech")
        return to_text(speech["ssml"], show_pauses=False) if speech else ""

    @property
    def ssml(self) -> str:
        speech = self.response.get("outputSpeech")
        return speech["ssml"] if speech else ""

    @property
    def reprompt(self) -> str:
        reprompt = (self.response.get("reprompt") or {}).get("outputSpeech")
        return to_text(reprompt["ssml"]) if reprompt else ""

    @property
    def ended(self) -> bool:
        return bool(self.response.get("shouldEndSession", False))

    @property
    def card(self) -> dict[str, Any] | None:
        return self.response.get("card")

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.raw.get("sessionAttributes") or {})


class Talk:
    """A person talking to the skill over several sessions on one device."""

    def __init__(
        self,
        handler: Handler,
        user_id: str = "amzn1.ask.account.TESTUSER",
        locale: str = "en-US",
        person_id: str | None = None,
    ) -> None:
        self.handler = handler
        self.driver = SessionDriver(user_id=user_id, locale=locale, person_id=person_id)
        self.log: list[Said] = []

    def _send(self, envelope: dict[str, Any]) -> Said:
        said = Said(self.handler(envelope, None))
        self.driver.update(said.raw)
        self.log.append(said)
        return said

    def launch(self, now: datetime | None = None) -> Said:
        if self.driver.active:
            # As Alexa does when a session is left open: it ends it before the next one.
            self._send(self.driver.session_ended("EXCEEDED_MAX_REPROMPTS"))
        return self._send(self.driver.launch(now))

    def say(self, intent: str, now: datetime | None = None, **slots: str | None) -> Said:
        return self._send(self.driver.intent(intent, slots, now))

    def end(self, reason: str = "USER_INITIATED") -> Said:
        return self._send(self.driver.session_ended(reason))

    @property
    def session_open(self) -> bool:
        return self.driver.active


def reach_tip(talk: Talk, tip: int, now: datetime | None = None) -> Said:
    """A session that hears tips 1..tip, then stops; returns the last tip's response."""
    talk.launch(now)
    said = talk.say("MotivatePartnerIntent", now)
    for _ in range(tip - 1):
        said = talk.say("AMAZON.NextIntent", now)
    assert f"Tip {tip}." in said.text
    talk.say("AMAZON.StopIntent", now)
    return said


def tip_reply(tip: int, *, intro: bool = False, partner: str | None = None) -> Reply:
    """The reply of the dialog core for a tip of "Motivate your partner", as a user gets it:
    tip 1 with the intro when the program is started, any tip when asked for by number."""
    catalog = get_catalog()
    if intro:
        command = Command(Action.START_PROGRAM, program="motivate", partner=partner)
    else:
        command = Command(Action.GO_TO_STEP, number=tip)
    reply = handle(Conversation(), Progress(), command, 1_800_000_000, catalog).reply
    assert reply.view == "step" and reply.data["step"] == tip
    return reply


def request_envelope(user_id: str, person_id: str | None = None) -> RequestEnvelope:
    """A launch envelope of ``user_id`` as the SDK's model object, for calling stores."""
    raw = SessionDriver(user_id=user_id, person_id=person_id).launch()
    return DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)


# locale -> (emergency number, domestic-violence helpline, crisis line), as a person reads
# them; the safety tests of every channel check these, independently of the templates.
SAFETY_NUMBERS = {
    "en-US": ("911", "1-800-799-7233", "988"),
    "en-GB": ("999", "0808 2000 247", "116 123"),
    "en-CA": ("911", "211", "988"),
    "en-AU": ("000", "1800 737 732", "13 11 14"),
    "en-IN": ("112", "181", "14416"),
}

# Who the partner named in a disclosure is, by the PartnerType values that say it ("" when
# unknown: no word, "partner", "spouse", a word the model does not know).
PARTNER_WORDS = {
    "female": ("wife", "girlfriend"),
    "male": ("husband", "boyfriend"),
    "": (None, "partner", "spouse", "sweetheart"),
}
# locale -> who the partner is -> the helplines the partner-danger answer gives, as a person
# reads them: lines that serve the person speaking, whoever they are; none where no line
# exists (then the emergency number alone). Every line a locale has is on its card.
SAFETY_LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "en-US": dict.fromkeys(PARTNER_WORDS, ("1-800-799-7233",)),
    "en-GB": {
        # Men's Advice Line; Galop, the LGBT+ domestic abuse helpline.
        "female": ("0808 801 0327", "0800 999 5428"),
        # National Domestic Abuse Helpline (for women); Men's Advice Line.
        "male": ("0808 2000 247", "0808 801 0327"),
        "": ("0808 2000 247", "0808 801 0327"),
    },
    "en-CA": dict.fromkeys(PARTNER_WORDS, ("211",)),
    "en-AU": dict.fromkeys(PARTNER_WORDS, ("1800 737 732",)),
    # 181 is the Women Helpline; India has no national line for men abused by a partner.
    "en-IN": {"female": (), "male": ("181",), "": ("181",)},
}
# Lines run for women only: never the line given to someone whose partner is a woman.
WOMEN_ONLY_LINES = {"en-GB": "0808 2000 247", "en-IN": "181"}
