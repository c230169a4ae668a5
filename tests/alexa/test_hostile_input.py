"""Input no one should send, through the Lambda entry point with real envelopes: slot values
SSML cannot carry, slot values far too long, numbers that are not tip numbers, a renderer
that fails, a configuration that is wrong. The skill answers each one as Alexa allows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.skill_builder import build_skill
from skill.lambda_function import invoke
from skill.service.replies import MAX_SPEECH_CHARS
from skill.speech.render import Rendered, Speech
from skill.store.sqlite import SqliteProgressStore

from support import Said, Talk

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def one_shot(partner: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / "motivate_intent_one_shot.json").read_text())
    slot = event["request"]["intent"]["slots"]["partner"]
    slot.pop("resolutions", None)
    slot["value"] = partner
    return event


def speech_length(said: Said) -> int:
    return len(said.ssml)


# --- what SSML cannot carry -----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "hus\x00band\x07",  # control characters
        "hus\ud800band",  # a lone surrogate (JSON can carry one: "\\ud800")
        "husband\ufffe\uffff",  # noncharacters
        "husband\x85\x9f",  # C1 controls
        "hus\tband\r\n",  # whitespace is whitespace
    ],
)
def test_slot_values_are_stripped_of_what_ssml_cannot_carry(talk: Talk, value: str) -> None:
    said = Said(talk.handler(one_shot(value), None))  # Said parses the SSML as Alexa would

    assert "inviting your hus" in said.text
    for bad in ("\x00", "\x07", "\ud800", "\ufffe", "\uffff", "\x85"):
        assert bad not in said.ssml


def test_a_lone_surrogate_straight_from_json_text_is_stripped(talk: Talk) -> None:
    raw = json.dumps(one_shot("PLACEHOLDER")).replace("PLACEHOLDER", "wife\\ud83d")
    said = Said(talk.handler(json.loads(raw), None))
    assert "inviting your wife" in said.text


def test_a_nine_kilobyte_slot_value_is_bounded(talk: Talk) -> None:
    said = Said(talk.handler(one_shot("darling " * 1150), None))  # about 9 KB

    assert "Tip 1." in said.text
    assert said.text.count("darling") <= 13  # a few words, not the whole 9 KB
    assert speech_length(said) < MAX_SPEECH_CHARS


# --- numbers that are no tip ----------------------------------------------------------


def go_to_tip(talk: Talk, value: str) -> Said:
    talk.launch()
    return talk.say("GoToTipIntent", number=value)


def test_a_number_alexa_did_not_catch_asks_which_tip(talk: Talk) -> None:
    said = go_to_tip(talk, "?")  # what Alexa sends for a number it did not understand

    assert "Which tip would you like?" in said.text
    assert "by?" not in said.text and "by ?" not in said.text
    assert not said.ended and said.reprompt


@pytest.mark.parametrize("value", ["12²", "١٢٣٤٥٦٧٨٩٠", "9" * 5000, "3" * 12 + "rd", "-1"])
def test_digits_that_are_no_tip_number_are_out_of_range(talk: Talk, value: str) -> None:
    said = go_to_tip(talk, value)

    assert "There are 5 tips" in said.text
    assert value not in said.text  # nothing read back digit by digit
    assert not said.ended and speech_length(said) < 1000


def test_a_tip_number_of_other_digits_still_works(talk: Talk) -> None:
    assert "Tip 3." in go_to_tip(talk, "٣").text  # Arabic-Indic three is a decimal digit


# --- Alexa's size limits --------------------------------------------------------------


class Oversized(Speech):
    """Renders every view but the apology far past Alexa's 8000 characters."""

    def render(self, locale: str | None, view: str | None, data: Any, card: Any = None) -> Rendered:
        rendered = super().render(locale, view, data, card)
        if view == "error" or rendered.speech is None:
            return rendered
        return rendered._replace(speech=rendered.speech + " More." * 2000)


def test_a_reply_over_alexas_limit_is_replaced_by_the_apology(
    sqlite_store: SqliteProgressStore,
) -> None:
    skill = build_skill(sqlite_store, speech=Oversized())
    talk = Talk(lambda event, context=None: invoke(skill, event, context))

    said = talk.launch()

    assert "something went wrong" in said.text
    assert speech_length(said) < MAX_SPEECH_CHARS


class Broken(Speech):
    """A renderer that fails for everything, the apology included."""

    def render(self, *args: Any, **kwargs: Any) -> Rendered:
        raise RuntimeError("the templates are gone")


def test_when_even_the_apology_cannot_be_rendered_the_answer_is_still_valid(
    sqlite_store: SqliteProgressStore, caplog: pytest.LogCaptureFixture
) -> None:
    skill = build_skill(sqlite_store, speech=Broken())
    envelope = json.loads((FIXTURES / "launch_request.json").read_text())

    response = invoke(skill, envelope)  # must not raise

    said = Said(response)
    assert said.response == {"shouldEndSession": True}
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


# --- configuration --------------------------------------------------------------------


@pytest.mark.slow
def test_a_log_level_logging_does_not_know_warns_and_uses_info(tmp_path: Path) -> None:
    code = (
        "import json, logging, sys\n"
        "from skill.lambda_function import lambda_handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "response = lambda_handler(event, None)\n"
        "assert 'Welcome' in response['response']['outputSpeech']['ssml']\n"
        "print(logging.getLevelName(logging.getLogger().level))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKILL_", "AWS_"))}
    env.update(SKILL_LOG_LEVEL="verbose", SKILL_DB_PATH=str(tmp_path / "p.sqlite3"))
    result = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / "launch_request.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "INFO"
    assert "SKILL_LOG_LEVEL='verbose' is not a log level" in result.stderr
