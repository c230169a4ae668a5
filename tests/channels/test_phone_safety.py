"""Safety on the phone line, in every country it answers for: what a caller says in their
own words reaches the safety answer with that country's numbers, and the line stays open."""

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

# country -> (emergency number, helpline, crisis line)
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
def test_a_caller_who_wants_to_die_hears_the_crisis_line(
    app: Flask, turns: Recorder, country: str, caplog: pytest.LogCaptureFixture
) -> None:
    caller = Caller(app, country=country)
    caller.dial()
    caller.say("help me talk to my partner")
    caplog.set_level(logging.INFO)
    heard = caller.say("honestly i dont want to be here anymore")
    assert turns.actions[-1] == "self_harm"
    emergency, _, crisis = NUMBERS[country]
    assert has(heard, crisis) and has(heard, emergency)
    assert "Tip" not in heard.text
    assert heard.listening and not heard.hung_up
    # What the caller said is not in the log, nor which answer they got.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "want to be here" not in logged and "SelfHarm" not in logged


@pytest.mark.parametrize("country", sorted(NUMBERS))
def test_a_caller_hurt_by_a_partner_hears_the_helpline_then_can_undo_a_false_alarm(
    app: Flask, turns: Recorder, country: str
) -> None:
    caller = Caller(app, country=country)
    caller.dial()
    caller.say("help me talk to my partner")
    heard = caller.say("um last night my husband grabbed me by the neck")
    assert turns.actions[-1] == "safety"
    emergency, helpline, _ = NUMBERS[country]
    assert has(heard, emergency) and has(heard, helpline)
    assert heard.listening
    back = caller.say("no you misunderstood me")
    assert turns.actions[-1] == "misunderstood"
    assert back.listening and not has(back, helpline)
    on = caller.say("next")
    assert "Tip 2" in on.text


@pytest.mark.parametrize(
    ("country", "given", "not_given"),
    [
        # The Men's Advice Line, not the Helpline run for women.
        ("GB", "0808 801 0327", "0808 2000 247"),
        # No national line for men in India: the emergency number, not the Women Helpline.
        ("IN", "112", "181"),
    ],
)
def test_a_caller_whose_wife_hits_him_is_not_sent_to_a_line_for_women(
    app: Flask, turns: Recorder, country: str, given: str, not_given: str
) -> None:
    caller = Caller(app, country=country)
    caller.dial()
    heard = caller.say("my wife hits me")
    assert turns.actions[-1] == "safety"
    assert has(heard, given) and not has(heard, not_given)
    assert "women" not in heard.text.lower() and heard.listening
