"""Calling the phone line as Twilio does, for tests: signed form posts, parsed TwiML."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from flask import Flask
from twilio.request_validator import RequestValidator

TOKEN = "test-token"
BASE = "https://phone.example.test"
GATHER_URL = f"{BASE}/phone/gather"
NUMBER = "+15551234567"

TWIML_VERBS = frozenset({"Response", "Gather", "Say", "Hangup", "Pause", "Redirect"})
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What Twilio passes to Amazon Polly inside <Say>, written out here rather than imported,
# so the test is an independent check of skill/phone_twiml.py.
POLLY_SSML: dict[str, frozenset[str]] = {
    "break": frozenset({"strength", "time"}),
    "emphasis": frozenset({"level"}),
    "lang": frozenset({XML_LANG}),
    "p": frozenset(),
    "phoneme": frozenset({"alphabet", "ph"}),
    "prosody": frozenset({"rate", "pitch", "volume"}),
    "s": frozenset(),
    "say-as": frozenset({"interpret-as", "format"}),
    "sub": frozenset({"alias"}),
    "w": frozenset({"role"}),
}


def check_say(say: ET.Element) -> None:
    """A <Say> with a Polly voice and only Polly SSML inside; breaks at most 10 s."""
    assert str(say.get("voice", "")).startswith("Polly."), say.attrib
    for element in say.iter():
        if element is say:
            continue
        assert element.tag in POLLY_SSML, f"<{element.tag}> is not Polly SSML for <Say>"
        extra = set(element.attrib) - POLLY_SSML[element.tag]
        assert not extra, f"<{element.tag}> has attributes {extra}"
        if element.tag == "break" and "time" in element.attrib:
            match = re.fullmatch(r"(\d+)(ms|s)", element.attrib["time"])
            assert match, element.attrib
            ms = int(match.group(1)) * (1 if match.group(2) == "ms" else 1000)
            assert ms <= 10_000


def check_twiml(root: ET.Element) -> None:
    """Only TwiML verbs outside <Say>, and only Polly SSML inside it."""
    assert root.tag == "Response"

    def walk(element: ET.Element) -> None:
        assert element.tag in TWIML_VERBS, f"<{element.tag}> is not an expected TwiML verb"
        if element.tag == "Say":
            check_say(element)
            return
        for child in element:
            walk(child)

    walk(root)


@dataclass
class Heard:
    """One TwiML answer, checked: valid TwiML, and either listening or hanging up."""

    status: int
    xml: str
    action: str = GATHER_URL  # where <Gather> and <Redirect> must send the next turn

    def __post_init__(self) -> None:
        assert self.status == 200, self.xml
        self.root = ET.fromstring(self.xml.encode("utf-8"))
        check_twiml(self.root)
        verbs = [child.tag for child in self.root]
        if self.hung_up:
            assert verbs[-1] == "Hangup" and "Gather" not in verbs, verbs
        else:
            assert verbs == ["Gather", "Redirect"], verbs
            gather = self.gather
            assert gather is not None
            assert gather.get("input") == "speech dtmf"
            assert gather.get("action") == self.action
            assert gather.get("method") == "POST"
            assert gather.get("speechTimeout") == "auto"
            assert int(gather.get("timeout", "0")) > 0
            assert gather.get("hints")
            assert self.root[1].text == self.action
            assert self.root[1].get("method") == "POST"

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def says(self) -> list[ET.Element]:
        return list(self.root.iter("Say"))

    @property
    def text(self) -> str:
        words = " ".join("".join(say.itertext()) for say in self.says)
        return re.sub(r"\s+", " ", words).strip()

    @property
    def hung_up(self) -> bool:
        return self.root.find("Hangup") is not None

    @property
    def listening(self) -> bool:
        return self.gather is not None


class Caller:
    """Someone calling the line: every request signed exactly as Twilio signs it."""

    def __init__(
        self,
        app: Flask,
        number: str = NUMBER,
        *,
        country: str = "US",
        token: str = TOKEN,
        base: str = BASE,
        action: str = GATHER_URL,
    ) -> None:
        self.client = app.test_client()
        self.number = number
        self.country = country
        self.validator = RequestValidator(token)
        self.base = base
        self.action = action
        self.call_sid = ""
        self.log: list[Heard] = []

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": self.number,
            "Caller": self.number,
            "FromCountry": self.country,
            "To": "+15557654321",
            "Called": "+15557654321",
            "ToCountry": self.country,
            **extra,
        }

    def post(
        self,
        path: str,
        params: dict[str, str],
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if signature is None:
            signature = self.validator.compute_signature(self.base + path, params)
        all_headers = {"X-Twilio-Signature": signature, **(headers or {})}
        return self.client.post(path, data=params, headers=all_headers)

    def _heard(self, path: str, **extra: str) -> Heard:
        response = self.post(path, self.params(**extra))
        heard = Heard(response.status_code, response.get_data(as_text=True), self.action)
        self.log.append(heard)
        return heard

    def dial(self) -> Heard:
        self.call_sid = "CA" + uuid.uuid4().hex
        return self._heard("/phone/voice", CallStatus="ringing")

    def say(self, words: str, confidence: str = "0.92") -> Heard:
        return self._heard("/phone/gather", SpeechResult=words, Confidence=confidence)

    def press(self, key: str) -> Heard:
        return self._heard("/phone/gather", Digits=key, msg="Gather End")

    def silence(self) -> Heard:
        return self._heard("/phone/gather")

    def hang_up(self) -> Any:
        return self.post("/phone/status", self.params(CallStatus="completed", CallDuration="42"))


class Recorder:
    """Wraps the skill handler and keeps every envelope it was given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        self.events.append(event)
        result: dict[str, Any] = self.inner(event, context)
        return result

    @property
    def requests(self) -> list[str]:
        """Request types, with the intent name for intents."""
        out = []
        for event in self.events:
            request = event["request"]
            out.append(
                request["intent"]["name"] if request["type"] == "IntentRequest" else request["type"]
            )
        return out


# --- the checker itself ---------------------------------------------------------------------


def test_the_checker_rejects_markup_twilio_or_polly_would_not_take() -> None:
    import pytest

    good = ET.fromstring(
        '<Response><Say voice="Polly.Joanna">Hi <break time="1s"/>'
        '<say-as interpret-as="digits">911</say-as></Say><Hangup/></Response>'
    )
    check_twiml(good)
    for bad in (
        "<Response><Play>https://x.test/a.mp3</Play></Response>",
        '<Response><Say voice="Polly.Joanna"><audio src="https://x.test/a.mp3"/></Say></Response>',
        '<Response><Say voice="Polly.Joanna"><voice name="Brian">Hi</voice></Say></Response>',
        '<Response><Say voice="Polly.Joanna"><break time="12s"/></Say></Response>',
        '<Response><Say voice="Polly.Joanna"><s foo="1">Hi</s></Say></Response>',
        '<Response><Say voice="alice">Hi</Say></Response>',
    ):
        with pytest.raises(AssertionError):
            check_twiml(ET.fromstring(bad))
