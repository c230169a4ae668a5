"""Calling the phone line as Twilio does, for tests: signed form posts, parsed TwiML."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from twilio.request_validator import RequestValidator

from skill.core.dialog import Action, Command
from skill.service.turns import Served, TurnService, watching

from support import AWS_REGION, ServedTurn

TOKEN = "test-token"
PEPPER = "test-pepper-of-the-phone-line"
PIN = "2468"
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
class Heard(ServedTurn):
    """One TwiML answer, checked: valid TwiML, and listening, holding ("one moment", then
    straight back) or hanging up."""

    status: int
    xml: str
    action: str = GATHER_URL  # where <Gather> and <Redirect> must send the next turn
    # The turns the webhook ran on the turn service (its hook): what tests assert on, rather
    # than the templates' words.
    served: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert self.status == 200, self.xml
        self.root = ET.fromstring(self.xml.encode("utf-8"))
        check_twiml(self.root)
        verbs = [child.tag for child in self.root]
        if self.hung_up:
            assert verbs[-1] == "Hangup" and "Gather" not in verbs, verbs
            return
        redirect = self.root[-1]
        assert redirect.tag == "Redirect" and redirect.get("method") == "POST", verbs
        # The next turn goes to the gather route; a query may carry the line's own counters.
        assert (redirect.text or "").split("?")[0] == self.action, redirect.text
        if self.holding:
            assert verbs == ["Say", "Redirect"], verbs
            return
        assert verbs == ["Gather", "Redirect"], verbs
        gather = self.gather
        assert gather is not None
        assert gather.get("action") == redirect.text
        assert gather.get("method") == "POST"
        assert int(gather.get("timeout", "0")) > 0
        # Every answer names the turn it asks for (a nonce Twilio signs with the URL).
        assert "turn=" in (redirect.text or ""), redirect.text
        if self.asks_for_pin:
            # Keys only: nothing said aloud is taken for a PIN, or sent to be transcribed.
            assert gather.get("numDigits") == "4" and not gather.get("hints")
            return
        assert gather.get("input") == "speech dtmf"
        assert gather.get("speechTimeout") == "auto"
        assert gather.get("hints")

    @property
    def next_url(self) -> str:
        """Where Twilio posts the next turn: the <Gather> action, or the <Redirect>."""
        return self.root[-1].text or ""

    @property
    def holding(self) -> bool:
        return self.root.find("Gather") is None and self.root[-1].tag == "Redirect"

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def asks_for_pin(self) -> bool:
        gather = self.root.find("Gather")
        return gather is not None and gather.get("input") == "dtmf"

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
        self.next_path = "/phone/gather"  # as the last answer's <Gather> action says

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
        with watching() as served:
            response = self.post(path, self.params(**extra))
        heard = Heard(response.status_code, response.get_data(as_text=True), self.action, served)
        self.log.append(heard)
        if not heard.hung_up:
            # Twilio posts the next turn to the URL the answer names, query and all.
            url = urlsplit(heard.next_url)
            self.next_path = url.path + (f"?{url.query}" if url.query else "")
        return heard

    def dial(self, call_sid: str | None = None) -> Heard:
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.next_path = "/phone/gather"
        return self._heard("/phone/voice", CallStatus="ringing")

    def say(self, words: str, confidence: str = "0.92") -> Heard:
        return self._heard(self.next_path, SpeechResult=words, Confidence=confidence)

    def press(self, key: str) -> Heard:
        return self._heard(self.next_path, Digits=key, msg="Gather End")

    def silence(self) -> Heard:
        """Nothing said: Twilio falls through the <Gather> to the <Redirect>."""
        return self._heard(self.next_path)

    def follow(self) -> Heard:
        """After a holding answer: Twilio follows its <Redirect> with no input."""
        return self._heard(self.next_path)

    def hang_up(self) -> Any:
        return self.post("/phone/status", self.params(CallStatus="completed", CallDuration="42"))

    def give_pin(self, pin: str = PIN) -> Heard:
        """Star, then the PIN (twice, when it is a new one): the call is on its vault."""
        asked = self.press("*")
        assert asked.asks_for_pin, asked.text
        heard = self.press(pin)
        if heard.asks_for_pin:  # a new PIN: once more, to be sure
            heard = self.press(pin)
        return heard


def line_config(turns: Any, calls: Any, **extra: Any) -> dict[str, Any]:
    """The config of an app serving the phone line on ``turns`` and ``calls``, signed with
    the test token, as Twilio calls it at BASE."""
    return {
        "VERIFY_REQUESTS": False,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "PHONE_TURN_SERVICE": turns,
        "PHONE_CALL_STORE": calls,
        **extra,
    }


class Recording(Caller):
    """A caller whose every webhook is kept, signature and all, as a wiretap would keep it."""

    def __init__(self, app: Flask, number: str = NUMBER) -> None:
        super().__init__(app, number)
        self.captured: list[tuple[str, dict[str, str], str]] = []

    def post(
        self,
        path: str,
        params: dict[str, str],
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if signature is None:
            signature = self.validator.compute_signature(self.base + path, params)
        self.captured.append((path, dict(params), signature))
        return super().post(path, params, signature, headers)

    def replay(self, index: int) -> Heard:
        """A captured webhook posted again, byte for byte."""
        path, params, signature = self.captured[index]
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        return Heard(response.status_code, response.get_data(as_text=True), self.action)

    def find(self, words: str) -> int:
        (index,) = [
            i
            for i, (_, params, _) in enumerate(self.captured)
            if params.get("SpeechResult") == words
        ]
        return index


class Recorder:
    """Wraps a turn service and keeps every command the phone line gave it, a session's
    end included (as ``session_ended``)."""

    def __init__(self, inner: TurnService) -> None:
        self.inner = inner
        self.commands: list[Command] = []

    def run(self, caller: Any, session: Any, command: Command, **kwargs: Any) -> Any:
        self.commands.append(command)
        return self.inner.run(caller, session, command, **kwargs)

    def end(self, key: str, session: Any, deadline: Any = None) -> None:
        self.commands.append(Command(Action.SESSION_ENDED))
        self.inner.end(key, session, deadline)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def actions(self) -> list[str]:
        """The dialog actions asked for, in order."""
        return [command.action.value for command in self.commands]


# --- AWS, faked -----------------------------------------------------------------------------

REGION = AWS_REGION
CALLS_TABLE = "ally-coach-calls-test"


_SESSION: list[Any] = []


def aws_client(service: str) -> Any:
    """A client on one boto3 session shared by the tests (a new session reloads the models)."""
    import boto3

    from skill.channels.phone.dynamodb_calls import client_config

    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0].client(service, region_name=REGION, config=client_config())


class Faults:
    """A DynamoDB client that fails the calls it is told to, then passes them through.

    ``plan`` holds one entry per coming call: None lets it through, a string is an error
    code to throw (ClientError), ``"timeout"`` a read timeout. Past the plan, ``every`` fails
    every n-th call with ``code``.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.plan: list[str | None] = []
        self.every = 0
        self.code = "ProvisionedThroughputExceededException"
        self.calls = 0
        self.failed = 0
        self.down = False  # every call fails with a timeout

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name.startswith("_") or not callable(method) or name in {"get_waiter"}:
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            fault: str | None = None
            if self.down:
                fault = "timeout"
            elif self.plan:
                fault = self.plan.pop(0)
            elif self.every and self.calls % self.every == 0:
                fault = self.code
            if fault is not None:
                self.failed += 1
                raise _fault(fault, name)
            return method(*args, **kwargs)

        return call


def _fault(code: str, operation: str) -> Exception:
    from botocore.exceptions import ClientError, ReadTimeoutError

    if code == "timeout":
        return ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")
    status = 500 if code == "InternalServerError" else 400
    return ClientError(
        {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )
