"""The check-in on Alexa: real request envelopes through ``lambda_handler`` in every locale.

Alexa sends ConcernIntent or SelfHarmConcernIntent for worrying but unclear words (the
interaction model's samples decide). The coach asks one direct question; "I'm safe" goes
back to where the person was, "no" or anything unclear gets the safety answer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from skill.tools.locales import LOCALES

from support import SAFETY_NUMBERS, Said, Talk

COACHING = re.compile(r"\bTip \d\b|instead of saying|try saying", re.IGNORECASE)


def has_number(said: Said, number: str) -> bool:
    digits = re.sub(r"[^\d]", "", re.sub(r"<[^>]+>", "", said.ssml))
    return re.sub(r"[^\d]", "", number) in digits


def in_tip_one(talk: Talk) -> Said:
    talk.launch()
    said = talk.say("MotivatePartnerIntent")
    assert "Tip 1." in said.text
    return said


@pytest.mark.parametrize("locale", LOCALES)
def test_are_you_safe_then_yes_carries_on_with_the_tip(handler: Any, locale: str) -> None:
    talk = Talk(handler, locale=locale)
    in_tip_one(talk)
    asked = talk.say("ConcernIntent")
    assert "safe right now?" in asked.text
    assert not asked.ended and "yes, or no" in asked.reprompt
    assert not COACHING.search(asked.text)
    emergency, _helpline, _crisis = SAFETY_NUMBERS[locale]
    assert not has_number(asked, emergency)  # a question, not the alarm
    fine = talk.say("AMAZON.YesIntent")
    assert "Thank you for telling me" in fine.text
    assert "practice" in fine.text  # the question that was open before: tip 1's practice
    practice = talk.say("AMAZON.YesIntent")
    assert "practice" in practice.text.lower() and not has_number(practice, emergency)


@pytest.mark.parametrize("locale", LOCALES)
def test_are_you_safe_then_no_gets_the_emergency_number_and_the_helpline(
    handler: Any, locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    talk = Talk(handler, locale=locale)
    in_tip_one(talk)
    caplog.set_level(logging.INFO)
    talk.say("ConcernIntent")
    said = talk.say("AMAZON.NoIntent")
    emergency, helpline, _ = SAFETY_NUMBERS[locale]
    assert has_number(said, emergency) and has_number(said, helpline)
    assert not COACHING.search(said.text) and not said.ended
    held = talk.say("AMAZON.NextIntent")
    assert not COACHING.search(held.text)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "Concern" not in logged and "check_in" not in logged


@pytest.mark.parametrize("locale", LOCALES)
def test_thoughts_of_suicide_asked_directly_yes_gets_the_crisis_line(
    handler: Any, locale: str
) -> None:
    talk = Talk(handler, locale=locale)
    talk.launch()
    asked = talk.say("SelfHarmConcernIntent")
    assert "thoughts of suicide" in asked.text
    said = talk.say("AMAZON.YesIntent")
    emergency, _, crisis = SAFETY_NUMBERS[locale]
    assert has_number(said, crisis) and has_number(said, emergency)


@pytest.mark.parametrize("locale", LOCALES)
def test_thoughts_of_suicide_no_goes_back_to_the_welcome_question(
    handler: Any, locale: str
) -> None:
    talk = Talk(handler, locale=locale)
    welcome = talk.launch()
    talk.say("SelfHarmConcernIntent")
    fine = talk.say("AMAZON.NoIntent")
    assert "Thank you for telling me" in fine.text
    # The welcome's question again: yes starts the tips.
    assert welcome.reprompt.split(".")[0] in fine.text or "tips" in fine.text
    assert "Tip 1." in talk.say("AMAZON.YesIntent").text


def test_an_unclear_answer_to_the_check_in_gets_the_safety_answer(handler: Any) -> None:
    talk = Talk(handler)
    in_tip_one(talk)
    talk.say("ConcernIntent")
    said = talk.say("AMAZON.FallbackIntent")
    emergency, helpline, _ = SAFETY_NUMBERS["en-US"]
    assert has_number(said, emergency) and has_number(said, helpline)


def test_the_same_check_in_is_not_asked_twice_in_a_visit(handler: Any) -> None:
    talk = Talk(handler)
    in_tip_one(talk)
    talk.say("ConcernIntent")
    talk.say("MisunderstoodIntent")  # "I'm fine"
    again = talk.say("ConcernIntent")
    assert "safe right now?" not in again.text
    assert "I'm not safe" in again.text  # how to get the numbers, in one line


def test_a_hard_feeling_is_acknowledged_not_misheard(handler: Any) -> None:
    talk = Talk(handler)
    in_tip_one(talk)
    said = talk.say("FeelingsIntent")
    assert "didn't" not in said.text and "practice" in said.text
    assert not said.ended
