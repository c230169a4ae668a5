"""Issue 13 through ``lambda_handler`` with real envelopes: the dialog's loose ends,
escalating fallbacks, pacing remembered across sessions, how long and about."""

from __future__ import annotations

import re

import pytest

from skill.lambda_function import lambda_handler

from support import Talk


@pytest.fixture
def person() -> Talk:
    return Talk(lambda_handler)


def test_no_to_resuming_then_yes_to_the_beginning_plays_tip_one(person: Talk) -> None:
    person.launch()
    person.say("MotivatePartnerIntent")
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.StopIntent")
    assert "Shall we go on with tip 3" in person.launch().text
    assert "from the beginning" in person.say("AMAZON.NoIntent").text
    said = person.say("AMAZON.YesIntent")
    assert "Tip 1." in said.text and "Tip 3." not in said.text


def test_a_jump_to_the_last_tip_tells_one_story(person: Talk) -> None:
    person.launch()
    assert "Tip 5." in person.say("GoToTipIntent", position="last").text
    said = person.say("AMAZON.NextIntent")
    assert "heard one of the 5" in said.text and "tip 1" in said.text and not said.ended
    assert "heard one tip so far" in person.say("WhereAmIIntent").text
    person.say("AMAZON.StopIntent")
    back = person.launch()
    assert "heard all five" not in back.text
    assert "heard one tip so far" in back.text and "go on with tip 1" in back.text


def test_go_back_two(person: Talk) -> None:
    person.launch()
    person.say("GoToTipIntent", number="4")
    assert "Tip 2." in person.say("GoBackIntent", count="2").text


def test_i_dont_know_is_answered_gently(person: Talk) -> None:
    person.launch()
    said = person.say("DontKnowIntent")
    assert "That's okay" in said.text and said.text.endswith("?") and not said.ended


def test_fallbacks_escalate_then_offer_a_way_out(person: Talk) -> None:
    person.launch()
    first = person.say("AMAZON.FallbackIntent")
    second = person.say("AMAZON.FallbackIntent")
    third = person.say("AMAZON.FallbackIntent")
    assert len(first.text.split()) < len(second.text.split())
    assert "five tips" in second.text and "set my direction" in second.text
    assert "say help" in third.text and "say stop" in third.text and not third.ended


def test_slower_is_heard_and_remembered_next_session(person: Talk) -> None:
    person.launch()
    person.say("AMAZON.YesIntent")
    person.say("AMAZON.YesIntent")  # the practice
    said = person.say("SlowerIntent")  # the practice again, more slowly
    assert '<prosody rate="90%">' in said.ssml and "Think of one complaint" in said.text
    said = person.say("MoreTimeIntent")
    breaks = [int(ms) for ms in re.findall(r'<break time="(\d+)ms"/>', said.ssml)]
    assert breaks and max(breaks) <= 10_000 and 3000 in breaks  # 2 s, half as long again
    person.say("AMAZON.StopIntent")
    assert '<prosody rate="90%">' in person.launch().ssml


def test_how_long_and_what_is_this(person: Talk) -> None:
    person.launch()
    said = person.say("HowLongIntent")
    assert "All 5 tips take about 15 minutes" in said.text
    said = person.say("AboutIntent")
    assert "not a therapist" in said.text and "not a person" in said.text
