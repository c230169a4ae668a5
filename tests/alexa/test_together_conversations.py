"""Issue 26 through ``lambda_handler``: "Try one together", a listening exercise for two
people in the room, taking turns by voice. Turn-taking is content (``turn`` and ``swap``
in program.json): these walk it as two people would, on a device that plays APL for Audio
documents (a minute of real silence in one document) and on one that does not."""

from __future__ import annotations

import json
import re

import pytest

from skill.lambda_function import lambda_handler
from skill.speech.timeline import MAX_BREAK_MS

from apla_rules import silences_ms
from support import WITH_APLA, WITHOUT_APLA, Said, Talk

MINUTE_MS = 60_000


@pytest.fixture
def couple() -> Talk:
    return Talk(lambda_handler, user_id="amzn1.ask.account.COUPLE", device=WITH_APLA)


def turn(said: Said) -> str | None:
    """Who the turn said is for ("one", "other", "both"), when it is a turn."""
    return said.data.get("turn") if said.view == "step" else None


def open_question(said: Said) -> str | None:
    conversation = said.attributes.get("conversation") or {}
    return conversation.get("question")


def test_the_whole_exercise_by_voice_with_names_a_skip_and_a_switch(couple: Talk) -> None:
    couple.launch()
    said = couple.say("TryTogetherIntent")
    assert said.step == 1 and turn(said) == "both" and open_question(said) == "turn"
    assert said.data["piece"] and not said.ended
    named = couple.say("OurNamesIntent", first="Sam", second="Alex")
    assert named.view == "names" and "Sam" in named.text and "Alex" in named.text
    assert open_question(named) == "turn"  # the names do not move the exercise on
    # "Done": the first one shares, a minute of real silence in one document.
    said = couple.say("ReadyIntent")
    assert said.step == 2 and turn(said) == "one" and said.data["one"] == "Sam"
    assert said.document is not None and MINUTE_MS in silences_ms(said.document)
    assert said.text.startswith("Sam") or " Sam," in said.text
    # "Skip this": on to the next part, the listener saying back, addressed by name.
    said = couple.say("LeavePracticeIntent")
    assert said.step == 3 and turn(said) == "other" and "Alex" in said.text
    # "Switch": the roles change over, the other one shares now.
    said = couple.say("SwitchTurnIntent")
    assert said.step == 4 and turn(said) == "other" and "Alex" in said.text
    assert MINUTE_MS in silences_ms(said.document or {})
    said = couple.say("ReadyIntent")
    assert said.step == 5 and turn(said) == "one" and "Sam" in said.text
    # The closing question is a yes/no for both.
    said = couple.say("ReadyIntent")
    assert said.step == 6 and open_question(said) == "reflect"
    assert said.text.rstrip().endswith("?") and said.reprompt
    done = couple.say("AMAZON.YesIntent")
    assert done.view == "program_done" and done.data["done"] == "together"
    assert done.data["answered"] is True and not done.ended
    # The progress knows the exercise is done, and nothing of the names.
    progress = done.attributes["progress"]
    assert progress["programs"]["together"]["finished"] is True
    assert "Sam" not in json.dumps(progress) and "Alex" not in json.dumps(progress)
    # Names are for the session only: a new session does not know them.
    couple.say("AMAZON.StopIntent")
    couple.launch()
    said = couple.say("TryTogetherIntent")
    assert "names" not in (said.attributes.get("conversation") or {})


def test_we_are_finished_goes_to_the_closing_question_then_the_end(couple: Talk) -> None:
    couple.launch()
    couple.say("TryTogetherIntent")
    couple.say("ReadyIntent")
    said = couple.say("WeAreFinishedIntent")
    assert said.step == 6 and open_question(said) == "reflect"
    done = couple.say("WeAreFinishedIntent")
    assert done.view == "program_done" and done.data["answered"] is None
    # Passed over on purpose: no offer of the parts skipped.
    assert done.attributes["progress"]["programs"]["together"]["finished"] is True


def test_a_fallback_during_a_timed_turn_never_cuts_anyone_short(couple: Talk) -> None:
    couple.launch()
    couple.say("TryTogetherIntent")
    couple.say("ReadyIntent")
    # Far more than the four misses that end a session anywhere else.
    for _ in range(6):
        said = couple.say("AMAZON.FallbackIntent")
        assert said.view == "turn_wait" and not said.ended and said.reprompt
        assert open_question(said) == "turn"
    # "Repeat" plays the turn again, not the quiet word; "no" is more time.
    assert couple.say("AMAZON.RepeatIntent").step == 2
    assert couple.say("AMAZON.NoIntent").view == "turn_wait"
    assert couple.say("ReadyIntent").step == 3


def test_a_disclosure_mid_exercise_gets_the_safety_answer_and_does_not_resume(
    couple: Talk,
) -> None:
    couple.launch()
    couple.say("TryTogetherIntent")
    couple.say("OurNamesIntent", first="Sam", second="Alex")
    couple.say("ReadyIntent")
    said = couple.say("SafetyIntent")
    assert said.view == "safety" and said.document is None and not said.ended
    # Nothing brings the exercise back by itself: not done, switch, skip or yes.
    for intent in ("ReadyIntent", "SwitchTurnIntent", "LeavePracticeIntent", "AMAZON.YesIntent"):
        held = couple.say(intent)
        assert held.view == "safety_hold" and held.step is None, intent
    # A misreading undone: back where they were, and the turn still waits for them.
    back = couple.say("MisunderstoodIntent")
    assert back.view == "misunderstood" and back.document is None
    assert open_question(back) == "turn"
    assert couple.say("ReadyIntent").step == 3


def test_the_end_of_the_five_tips_offers_it_and_it_starts_from_there(couple: Talk) -> None:
    couple.launch()
    for n in range(1, 5):
        couple.say("GoToTipIntent", number=str(n))
    said = couple.say("GoToTipIntent", position="last")
    said = couple.say("AMAZON.NextIntent")
    assert said.view == "program_done" and said.data["done"] == "motivate"
    # The invitation is the words a person is to say: they are the behaviour.
    assert "let's do it together" in said.text.lower()
    started = couple.say("TryTogetherIntent")
    assert started.step == 1 and started.data["program"] == "together"


def test_tip_three_practice_invites_to_try_it_together_later(couple: Talk) -> None:
    couple.launch()
    couple.say("GoToTipIntent", number="3")
    couple.say("AMAZON.YesIntent")  # the practice
    said = couple.say("AMAZON.YesIntent")  # its question
    assert said.view == "practice_done" and "let's do it together" in said.text.lower()
    other = Talk(lambda_handler, user_id="amzn1.ask.account.TIPTWO", device=WITH_APLA)
    other.launch()
    other.say("GoToTipIntent", number="2")
    other.say("AMAZON.YesIntent")
    assert "together" not in other.say("AMAZON.YesIntent").text.lower()


def test_without_apla_a_turn_is_ssml_with_breaks_of_at_most_ten_seconds() -> None:
    talk = Talk(lambda_handler, user_id="amzn1.ask.account.OLDCOUPLE", device=WITHOUT_APLA)
    talk.launch()
    talk.say("TryTogetherIntent")
    said = talk.say("ReadyIntent")
    assert said.document is None and said.step == 2
    assert sum(pause for pause in said.pauses) >= 60
    assert all(
        int(ms.rstrip("ms")) <= MAX_BREAK_MS
        for ms in re.findall(r'<break time="(\d+)ms"', said.ssml)
    )


def test_switch_and_we_are_finished_elsewhere_do_no_harm(couple: Talk) -> None:
    couple.launch()
    said = couple.say("SwitchTurnIntent")
    assert said.view == "fallback" and not said.ended
    assert couple.say("MotivatePartnerIntent").step == 1
    said = couple.say("WeAreFinishedIntent")
    assert said.view == "goodbye" and said.ended


def test_the_menu_names_it(couple: Talk) -> None:
    couple.launch()
    said = couple.say("AMAZON.NavigateHomeIntent")
    assert said.view == "menu" and "together" in said.data["others"].split()
