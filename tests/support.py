"""Driving the skill as Alexa does, for tests: real envelopes through the real handler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.alexa.envelopes import SessionDriver
from skill.core.dialog import Action, Command, Conversation, Reply, handle
from skill.core.progress import Progress
from skill.digest import sha256
from skill.service.budget import RetryPolicy
from skill.service.turns import Served, watching
from skill.speech.apla import RENDER_DOCUMENT, read
from skill.speech.programs import get_catalog
from skill.speech.ssml import to_text, validate

from apla_rules import check_response

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def device_interfaces(envelope: str) -> dict[str, Any]:
    """``supportedInterfaces`` of a real envelope's device (tests/fixtures/real)."""
    data = json.loads((FIXTURES / "real" / envelope).read_text(encoding="utf-8-sig"))
    return dict(data["context"]["System"]["device"]["supportedInterfaces"])


# An Echo as the published envelopes show one (AudioPlayer only), and the same device
# playing APL for Audio documents (composed/: the interface added, as Amazon documents it).
WITHOUT_APLA = "jovo-v3/LaunchRequest.json"
WITH_APLA = "composed/LaunchRequest.APLA.json"


class ServedTurn:
    """What a test asserts on: the last turn the turn service served for a request (its
    ``served``, from the service's hook), rather than the templates' words."""

    served: list[Served]

    @property
    def view(self) -> str | None:
        return self.served[-1].reply.view if self.served else None

    @property
    def data(self) -> Mapping[str, Any]:
        return self.served[-1].reply.data if self.served else {}

    @property
    def action(self) -> str | None:
        return self.served[-1].action.value if self.served else None

    @property
    def step(self) -> int | None:
        """The step a ``step`` view said (``None`` for any other answer)."""
        return self.data.get("step") if self.view == "step" else None


@dataclass
class Said(ServedTurn):
    """One response, checked: valid SSML, and a reprompt whenever the session stays open.

    ``view``, ``data`` and ``action`` are the turn's, as the turn service served it (its
    explicit hook): tests assert on them rather than on template wording, which content
    writers change without touching code."""

    raw: dict[str, Any]
    served: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        response = self.raw.get("response") or {}
        check_response(self.raw)  # size, and any APL for Audio document against Amazon's rules
        for key in ("outputSpeech",):
            if key in response:
                validate(response[key]["ssml"])
        if self.document is not None:
            assert "outputSpeech" not in response, "the document would come after the speech"
        if not self.ended and ("outputSpeech" in response or self.document is not None):
            reprompt = (response.get("reprompt") or {}).get("outputSpeech")
            assert reprompt, f"open session without a reprompt: {self.text!r}"
            validate(reprompt["ssml"])
            assert to_text(reprompt["ssml"]), "empty reprompt"

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.raw.get("response") or {})

    @property
    def document(self) -> dict[str, Any] | None:
        """The APL for Audio document of a practice, on a device that plays them."""
        for directive in self.response.get("directives") or []:
            if directive.get("type") == RENDER_DOCUMENT:
                return dict(directive["document"])
        return None

    @property
    def text(self) -> str:
        """What is heard: the speech, or a document's speech in order."""
        return to_text(self.ssml, show_pauses=False) if self.ssml else ""

    @property
    def ssml(self) -> str:
        """The speech; for a document, its speech and silences as one SSML timeline."""
        if self.document is not None:
            return read(self.document).ssml
        speech = self.response.get("outputSpeech")
        return speech["ssml"] if speech else ""

    @property
    def pauses(self) -> list[float]:
        """The silences heard, in seconds: a document's, or the SSML's breaks of a second
        or more (consecutive breaks as one)."""
        from skill.speech.timeline import segments

        if not self.ssml:
            return []
        body = self.ssml.removeprefix("<speak>").removesuffix("</speak>")
        return [part.ms / 1000 for part in segments(body) if part.silent]

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
        device: str | None = None,
    ) -> None:
        """``device``: a real envelope whose device's interfaces the requests carry
        (``WITH_APLA``, ``WITHOUT_APLA``); none by default."""
        self.handler = handler
        interfaces = device_interfaces(device) if device else {}
        self.driver = SessionDriver(
            user_id=user_id, locale=locale, person_id=person_id, interfaces=interfaces
        )
        self.log: list[Said] = []

    def _send(self, envelope: dict[str, Any]) -> Said:
        with watching() as served:
            raw = self.handler(envelope, None)
        said = Said(raw, served)
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
    assert said.step == tip
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


def instant_retries() -> RetryPolicy:
    """A turn's retry rules on a clock that sleeping moves on: no test waits out a pause."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return RetryPolicy(clock=lambda: now[0], sleep=sleep, jitter=lambda: 1.0)


class Step(NamedTuple):
    """One turn of the walk of every reachable state (``skill.speech.prerender.walk``)."""

    before: Reply | None  # what was said the turn before (None: a new session)
    command: Command
    reply: Reply
    path: str


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

AWS_REGION = "eu-west-1"


def set_fake_aws(monkeypatch: Any, tmp_path: Any) -> None:
    """Nothing may reach real AWS: a region and fake credentials only, no profile (a fresh
    machine has no AWS setup either)."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", AWS_REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 400


def built_zip(command: str) -> Path:
    """``python -m skill <command> --local``'s zip, built once per state of its inputs.

    The zip is kept under build/test-zips/ by a digest of everything the build reads (the
    project's code, templates and models, pyproject.toml, the locks, this interpreter), so
    a test run of unchanged sources reuses the one the last run built and checked."""
    digest = sha256(sys.version.encode() + command.encode())
    inputs = [ROOT / "pyproject.toml", *sorted((ROOT / "infra").glob("*.lock"))]
    for folder in ("skill", "templates", "interaction_model"):
        inputs += sorted(
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and "_prerendered" not in p.parts
        )
    for path in inputs:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    out = ROOT / "build" / "test-zips" / f"{command}-{digest.hexdigest()[:24]}.zip"
    if out.exists():
        return out
    partial = out.with_name(out.stem + f".{os.getpid()}.zip")
    partial.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "skill", command, "--local", "--out", str(partial)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Built " in result.stdout and partial.name in result.stdout, result.stdout
    partial.replace(out)
    return out
