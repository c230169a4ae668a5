"""Request envelopes nobody here wrote (tests/fixtures/real/), through the Lambda entry point.

Every one gets an answer Alexa accepts: valid SSML with a reprompt when the session stays
open, speech only where Alexa allows it, and never a raise. Then the cases the real
envelopes showed, one by one: locales the skill does not have, request types it does not
use, envelopes ask-sdk cannot read, the older format without ``context``.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from skill import config, lambda_function
from skill.alexa.invoke import SPEAKING_REQUESTS, request_type
from skill.lambda_function import lambda_handler

from support import Said

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
ENVELOPES = sorted(REAL.rglob("*.json"))


def load(relative: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REAL / relative).read_bytes())  # bytes: some have a BOM
    return event


def call(event: dict[str, Any]) -> Said:
    return Said(lambda_handler(event, None))


def test_the_set_is_the_one_the_readme_describes() -> None:
    assert len(ENVELOPES) == 67
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    for folder in {path.relative_to(REAL).parts[0] for path in ENVELOPES}:
        assert f"`{folder}/`" in readme


@pytest.mark.parametrize("path", ENVELOPES, ids=lambda p: str(p.relative_to(REAL)))
def test_every_real_envelope_gets_an_answer_alexa_accepts(path: Path) -> None:
    event = json.loads(path.read_bytes())

    said = call(event)  # Said checks the SSML and the reprompt

    assert said.raw["version"] == "1.0"
    if request_type(event) not in SPEAKING_REQUESTS:
        # Events, AudioPlayer, PlaybackController...: Alexa refuses speech on most of
        # them, and none of them is a conversation with this skill.
        assert "outputSpeech" not in said.response and "reprompt" not in said.response


# --- locales without templates --------------------------------------------------------


@pytest.mark.parametrize("locale", ["de-DE", "fr-CA", "ja-JP", "xx-XX", "EN-us", "", None])
def test_any_locale_is_answered_in_the_default_english(locale: str | None) -> None:
    event = load("jovo-v3/LaunchRequest.json")
    if locale is None:
        del event["request"]["locale"]
    else:
        event["request"]["locale"] = locale

    said = call(event)

    assert "Welcome to Ally Coach" in said.text and not said.ended


def test_a_german_device_asking_for_help_hears_no_foreign_emergency_number() -> None:
    """A locale the skill does not have gets the language's own words, which name no
    country's number: "911" would be wrong in Germany or Japan."""
    event = load("jovo-v3/IntentRequestWithSlot.json")  # de-DE
    event["request"]["intent"] = {"name": "SafetyIntent", "slots": {}}

    said = call(event)

    assert "your local emergency number" in said.text
    assert "911" not in said.text and not said.ended
    us = copy.deepcopy(event)
    us["request"]["locale"] = "en-US"
    assert "911" in call(us).text


def test_the_apology_itself_has_a_locale_to_fall_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The error handler used to fail with TemplateNotFound: de-DE/views/error.ssml.j2."""
    from skill.core import dialog

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in a turn")

    monkeypatch.setattr(dialog._Dialog, "launch", broken)
    event = load("jovo-v1/intentRequestEntityResolution.json")  # de-DE
    event["request"] = {**load("jovo-v3/LaunchRequest.json")["request"], "locale": "de-DE"}

    said = call(event)

    assert "something went wrong" in said.text and not said.ended


# --- request types the skill does not use ---------------------------------------------

UNUSED = [
    "alexa-app/audio_player_events/playback_started.json",
    "alexa-app/audio_player_events/playback_failed.json",
    "jovo-v3/PlaybackController.PlayCommandIssued.json",
    "composed/Messaging.MessageReceived.json",
    "composed/AlexaHouseholdListEvent.ItemsCreated.json",
    "jovo-v3/Display.ElementSelected.json",
    "jovo-v3/GameEngine.InputHandlerEvent.json",
    "composed/SessionResumedRequest.json",
    "jovo-v3/Connections.Response.json",
    "alexa-net/SkillEventEnabled.json",
]


@pytest.mark.parametrize("relative", UNUSED)
def test_request_types_the_skill_does_not_use_get_an_empty_answer_logged_once(
    relative: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event = load(relative)

    said = call(event)

    assert said.response == {}  # no speech, no card, no directive: valid for every one
    kind = event["request"]["type"]
    lines = [r for r in caplog.records if kind in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)


# --- envelopes ask-sdk cannot read ----------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    [
        "alexa-app/unknown_type_request.json",  # request.type "UnknownRequest"
        "alexa-net/NewIntent.json",  # request.type "AlexaNet.CustomIntent"
        "alexa-app/playback_controller_play_command.json",  # "playerActivity": "string"
    ],
)
def test_an_unreadable_envelope_gets_an_empty_answer_and_one_log_line(
    relative: str, caplog: pytest.LogCaptureFixture
) -> None:
    said = call(load(relative))

    assert said.response == {}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].exc_info is None  # one line, not a traceback per request


def test_an_unreadable_launch_gets_the_apology_and_ends(caplog: pytest.LogCaptureFixture) -> None:
    event = load("jovo-v3/LaunchRequest.json")
    event["request"]["timestamp"] = {"not": "a time"}

    said = call(event)

    assert "something went wrong" in said.text and said.ended
    assert [r.exc_info for r in caplog.records if r.levelno >= logging.WARNING] == [None]


def test_an_epoch_timestamp_is_read_as_such() -> None:
    said = call(load("alexa-net/LaunchRequestWithEpochTimestamp.json"))
    assert "Welcome to Ally Coach" in said.text


def test_json_nested_past_any_real_envelope_is_refused_without_recursing() -> None:
    event = load("jovo-v3/LaunchRequest.json")
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["x"] = {}
        node = node["x"]
    event["session"]["attributes"] = deep

    said = call(event)

    assert said.ended and "something went wrong" in said.text


# --- the older format, without context ------------------------------------------------


def test_an_envelope_without_context_uses_the_session_user() -> None:
    event = load("alexa-net/LaunchRequest.json")
    assert "context" not in event
    said = call(event)
    assert "Welcome to Ally Coach" in said.text

    # The user of the session is the one whose progress is kept.
    go_on = copy.deepcopy(event)
    go_on["session"]["new"] = False
    go_on["session"]["attributes"] = said.attributes
    go_on["request"] = {
        **event["request"],
        "type": "IntentRequest",
        "intent": {"name": "MotivatePartnerIntent", "slots": {}},
    }
    assert "Tip 1." in call(go_on).text
    again = copy.deepcopy(event)  # a later launch: a request of its own
    again["request"]["requestId"] += ".later"
    back = call(again)
    assert "Welcome back" in back.text


def test_with_a_skill_id_an_envelope_without_context_is_refused_safely(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    event = load("alexa-net/LaunchRequest.json")
    monkeypatch.setenv(config.ENV_SKILL_ID, event["session"]["application"]["applicationId"])
    config.get_settings.cache_clear()
    lambda_function.reset()

    said = call(event)  # the SDK's own check would raise AttributeError here

    assert said.response == {}
    assert any("skill ID" in r.getMessage() for r in caplog.records)


def test_a_request_for_another_skill_is_refused_safely(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_SKILL_ID, "amzn1.ask.skill.11111111-2222-3333-4444-555555555555")
    config.get_settings.cache_clear()
    lambda_function.reset()

    said = call(load("jovo-v3/LaunchRequest.json"))

    assert said.response == {}
