"""The check-in on the phone line, in every country it answers for: unclear words get one
question; "I'm safe" carries on, "no" gets that country's numbers; nothing is logged."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask

from skill.channels.phone.calls import MemoryCallStore
from skill.channels.phone.settings import COUNTRY_LOCALES
from skill.web import create_app

from phone_support import BASE, TOKEN, Caller, Heard, Recorder
from support import SAFETY_NUMBERS

NUMBERS = {country: SAFETY_NUMBERS[locale] for country, locale in COUNTRY_LOCALES.items()}


@pytest.fixture
def app(turns: Recorder) -> Flask:
    return create_app(
        {
            "VERIFY_REQUESTS": False,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": BASE,
            "PHONE_TURN_SERVICE": turns,
            "PHONE_CALL_STORE": MemoryCallStore(),
        }
    )


def has(heard: Heard, number: str) -> bool:
    return re.sub(r"\D", "", number) in re.sub(r"\D", "", heard.text)


@pytest.mark.parametrize("country", sorted(NUMBERS))
def test_are_you_safe_then_yes_goes_back_to_the_tip(
    app: Flask, turns: Recorder, country: str, caplog: pytest.LogCaptureFixture
) -> None:
    caller = Caller(app, country=country)
    caller.dial()
    caller.say("help me talk to my partner")
    caplog.set_level(logging.INFO)
    asked = caller.say("things at home are scary sometimes")
    assert turns.actions[-1] == "check_in"
    emergency, _, _ = NUMBERS[country]
    assert "safe right now" in asked.text and not has(asked, emergency)
    assert asked.listening
    fine = caller.say("yes im safe")
    assert "Thank you for telling me" in fine.text and "practice" in fine.text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "scary" not in logged and "Concern" not in logged and "check_in" not in logged


@pytest.mark.parametrize("country", sorted(NUMBERS))
def test_are_you_safe_then_no_gets_the_numbers(app: Flask, turns: Recorder, country: str) -> None:
    caller = Caller(app, country=country)
    caller.dial()
    caller.say("things at home are scary sometimes")
    heard = caller.say("no")
    emergency, helpline, _ = NUMBERS[country]
    assert turns.actions[-1] == "no" and has(heard, emergency) and has(heard, helpline)
    assert heard.listening


@pytest.mark.parametrize("country", sorted(NUMBERS))
def test_thoughts_of_suicide_yes_gets_the_crisis_line(
    app: Flask, turns: Recorder, country: str
) -> None:
    caller = Caller(app, country=country)
    caller.dial()
    asked = caller.say("whats the point anymore")
    assert "thoughts of suicide" in asked.text
    heard = caller.say("yes")
    emergency, _, crisis = NUMBERS[country]
    assert has(heard, crisis) and has(heard, emergency)
