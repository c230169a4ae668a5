"""The skill through its Lambda entry point, with real Alexa request envelopes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from skill.lambda_function import lambda_handler

from support import Said, Talk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def call(event: dict[str, Any]) -> Said:
    return Said(lambda_handler(event, None))


@pytest.fixture
def person() -> Talk:
    return Talk(lambda_handler)


def test_launch_fixture_welcomes_with_disclaimer_and_reprompt() -> None:
    said = call(fixture("launch_request.json"))
    assert "Welcome to Ally Coach" in said.text
    assert "not a therapist" in said.text
    assert not said.ended
    assert "yes" in said.reprompt.lower()


def test_one_shot_intent_uses_the_resolved_partner_word_escaped() -> None:
    said = call(fixture("motivate_intent_one_shot.json"))
    # Entity resolution turned "hubby" into the canonical "husband".
    assert "inviting your husband to try" in said.text
    assert "Tip 1." in said.text
    assert said.card and said.card["title"].startswith("Tip 1:")


def test_slot_text_is_escaped_in_ssml() -> None:
    event = fixture("motivate_intent_one_shot.json")
    slot = event["request"]["intent"]["slots"]["partner"]
    del slot["resolutions"]
    slot["value"] = "mister <break time='9s'/> & co"
    said = call(event)  # Said validates the SSML: raw markup here would fail
    assert "&lt;break" in said.ssml and "&amp; co" in said.ssml


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("go_to_tip_ordinal.json", "Tip 3."),
        ("go_to_tip_nine.json", "There's no tip 9."),
        ("go_to_tip_unknown.json", "Say a number from one to 5"),
        ("unknown_intent.json", "Sorry, I didn't quite get that."),
    ],
)
def test_mid_session_fixtures(name: str, expected: str) -> None:
    said = call(fixture(name))
    assert expected in said.text
    assert not said.ended and said.reprompt


def test_safety_fixture_gives_numbers_and_holds_coaching() -> None:
    said = call(fixture("safety_intent.json"))
    assert "911" in said.text and "1-800-799-7233" in said.text
    # Open only so that a misreading can be undone; no coaching in it.
    assert not said.ended and "you misunderstood me" in said.reprompt
    assert "tip" not in said.text.lower().replace("these tips", "")
    assert said.card and "1-800-799-7233" in said.card["text"]


@pytest.mark.parametrize(
    "name", ["session_ended_user.json", "session_ended_error.json", "system_exception.json"]
)
def test_requests_answered_without_speech(name: str) -> None:
    said = call(fixture(name))
    assert "outputSpeech" not in said.response


def test_whole_walkthrough_with_navigation(person: Talk) -> None:
    assert person.launch().view == "welcome"
    said = person.say("AMAZON.YesIntent")
    assert said.step == 1 and said.data["program"] == "motivate"
    said = person.say("AMAZON.YesIntent")  # the practice: one piece, its question at the end
    assert said.view == "practice" and said.data["piece"] is True
    assert 'time="10000ms"' in said.ssml  # silences past 10 s, chained for SSML
    assert said.data["question"] == "reflect" and "ready" not in said.text.lower()
    said = person.say("AMAZON.YesIntent")
    assert said.view == "practice_done" and said.data["step"] == 1
    said = person.say("AMAZON.YesIntent")
    assert said.step == 2
    assert person.say("AMAZON.RepeatIntent").step == 2
    assert person.say("AMAZON.PreviousIntent").step == 1
    assert person.say("GoToTipIntent", number="4").step == 4
    said = person.say("WhereAmIIntent")
    assert said.view == "where_am_i" and (said.data["step"], said.data["count"]) == (4, 5)
    assert person.say("ListTipsIntent").view == "list_steps"
    assert person.say("AMAZON.NextIntent").step == 5
    # Tip 3 was skipped: past the last tip the program is not finished, tip 3 is offered.
    said = person.say("AMAZON.NextIntent")
    assert said.view == "steps_missed"
    assert (said.data["heard"], said.data["count"], said.data["first_missed"]) == (4, 5, 3)
    assert person.say("AMAZON.YesIntent").step == 3
    assert person.say("GoToTipIntent", position="last").step == 5
    said = person.say("AMAZON.NextIntent")
    assert said.view == "program_done" and said.data["done"] == "motivate"
    assert said.data["offer"] == "direction"
    said = person.say("AMAZON.YesIntent")  # the reflection: three steps, one piece
    assert said.view == "step" and said.data["program"] == "direction" and said.data["piece"]
    said = person.say("AMAZON.YesIntent")
    assert said.view == "program_done" and said.data["done"] == "direction"
    said = person.say("AMAZON.StopIntent")
    assert said.ended and said.view == "goodbye"
    assert all(s.response for s in person.log)


def test_quitting_and_reopening_offers_to_resume(person: Talk) -> None:
    person.launch()
    person.say("AMAZON.YesIntent")
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.NextIntent")  # tip 3 heard
    person.end()
    said = person.launch()
    assert said.view == "welcome_back"
    assert (said.data["last_step"], said.data["next_step"]) == (3, 4)
    assert person.say("AMAZON.YesIntent").step == 4


def test_long_absence_gets_a_one_sentence_recap(person: Talk) -> None:
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    person.launch(now=start)
    person.say("MotivatePartnerIntent", now=start)
    person.say("AMAZON.StopIntent", now=start)
    said = person.launch(now=start + timedelta(days=20))
    assert said.view == "welcome_back" and said.data["recap"]
    said = person.launch(now=start + timedelta(days=21))
    assert said.view == "welcome_back" and not said.data["recap"]


def test_help_and_fallback_say_what_can_be_said_here(person: Talk) -> None:
    person.launch()
    said = person.say("AMAZON.HelpIntent")
    assert "not a therapist" in said.text  # what it is not is said in so many words
    assert said.view == "help" and said.data["question"] == "offer"
    person.say("AMAZON.YesIntent")
    said = person.say("AMAZON.FallbackIntent")  # the first miss: short
    assert said.view == "fallback" and said.data["level"] == 1
    said = person.say("AMAZON.FallbackIntent")  # the second: two things to say here
    assert said.data["level"] == 2 and said.data["question"] == "practice"
    said = person.say("AMAZON.FallbackIntent")  # the third: help, or a way out
    assert said.data["level"] == 3 and not said.ended
    assert "say help" in said.text and "say stop" in said.text  # the way out, as said
    said = person.say("AMAZON.RepeatIntent")  # understood: the count starts again
    said = person.say("AMAZON.FallbackIntent")
    assert said.data["level"] == 1


def test_pause_resume_and_navigate_home(person: Talk) -> None:
    person.launch()
    person.say("SetDirectionIntent")
    said = person.say("AMAZON.PauseIntent")
    assert said.view == "paused" and not said.ended
    said = person.say("AMAZON.ResumeIntent")
    assert said.view == "step" and said.data["program"] == "direction"
    said = person.say("AMAZON.NavigateHomeIntent")
    assert said.view == "menu" and said.data["offer"] == "motivate" and not said.ended


def test_cancel_ends_with_a_short_goodbye(person: Talk) -> None:
    person.launch()
    said = person.say("AMAZON.CancelIntent")
    assert said.ended and len(said.text.split()) < 20


def test_forget_my_progress_deletes_after_confirmation(person: Talk) -> None:
    person.launch()
    person.say("MotivatePartnerIntent")
    person.say("AMAZON.NextIntent")
    said = person.say("ForgetProgressIntent")
    assert said.view == "forget_confirm" and said.data["question"] == "forget"
    said = person.say("AMAZON.YesIntent")
    assert said.ended and said.view == "forgotten"
    assert person.launch().view == "welcome"  # a fresh start


def test_a_broken_template_context_is_a_bug_not_a_silence(
    person: Talk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """StrictUndefined turns a missing value into an error; the user hears an apology
    and the traceback is logged for us."""
    from skill.core import dialog

    original = dialog._Dialog.step

    def broken(*args: Any, **kwargs: Any) -> Any:
        turn = original(*args, **kwargs)
        data = dict(turn.reply.data)
        del data["step"]
        return turn._replace(reply=turn.reply._replace(data=data))

    monkeypatch.setattr(dialog._Dialog, "step", broken)
    person.launch()
    said = person.say("AMAZON.YesIntent")
    assert "something went wrong" in said.text and not said.ended
    assert any("unhandled error" in r.message and r.exc_info for r in caplog.records)
