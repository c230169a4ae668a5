"""Safety, as a person hears it: real request envelopes through ``lambda_handler`` in every
locale, from a disclosure in the middle of coaching to the numbers, the hold on coaching,
a false alarm undone, and the eyes-open practices in a car."""

from __future__ import annotations

import copy
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from skill.tools.locales import LOCALES

from support import SAFETY_NUMBERS, Said, Talk

FIXTURES = Path(__file__).parent.parent / "fixtures"

NUMBERS = SAFETY_NUMBERS
COACHING = re.compile(r"\bTip \d\b|instead of saying|try saying", re.IGNORECASE)


def digits(said: Said) -> str:
    # From the SSML, not its text: "1800" may be read by its <sub> alias.
    return re.sub(r"[^\d]", "", re.sub(r"<[^>]+>", "", said.ssml))


def has_number(said: Said, number: str) -> bool:
    return re.sub(r"[^\d]", "", number) in digits(said)


def in_coaching(talk: Talk) -> Said:
    talk.launch()
    said = talk.say("MotivatePartnerIntent")
    assert "Tip 1." in said.text
    return said


def test_every_locale_has_its_numbers() -> None:
    assert sorted(NUMBERS) == sorted(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_self_harm_in_the_middle_of_a_tip_gets_the_crisis_line_and_stops_coaching(
    handler: Any, locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    talk = Talk(handler, locale=locale)
    in_coaching(talk)
    caplog.set_level(logging.INFO)
    said = talk.say("SelfHarmIntent")
    emergency, helpline, crisis = NUMBERS[locale]
    assert has_number(said, crisis) and has_number(said, emergency)
    assert not has_number(said, helpline)  # one clear thing to do
    assert not COACHING.search(said.text)
    # The session stays open, with a reprompt that says what can be said.
    assert not said.ended and said.reprompt
    assert said.card and said.card["title"] == "Numbers to keep"
    # Nothing in the log ties the disclosure to the person.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "SelfHarm" not in logged and "self_harm" not in logged

    held = talk.say("AMAZON.NextIntent")
    assert not COACHING.search(held.text), "coaching must stay held after a disclosure"
    assert not held.ended and held.reprompt
    again = talk.say("AMAZON.RepeatIntent")
    assert has_number(again, crisis)


@pytest.mark.parametrize("locale", LOCALES)
def test_danger_from_a_partner_gets_the_emergency_number_and_the_helpline(
    handler: Any, locale: str
) -> None:
    talk = Talk(handler, locale=locale)
    in_coaching(talk)
    said = talk.say("SafetyIntent", partner="husband")
    emergency, helpline, _ = NUMBERS[locale]
    assert has_number(said, emergency) and has_number(said, helpline)
    assert not COACHING.search(said.text)
    # Domestic-violence services advise against couples counselling where there is abuse.
    assert "therapy" not in said.text.lower() and "couple" not in said.text.lower()
    assert not said.ended and said.reprompt
    assert said.card and emergency in json.dumps(said.card)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_false_alarm_is_undone_in_one_step_and_coaching_goes_on(
    handler: Any, locale: str
) -> None:
    talk = Talk(handler, locale=locale)
    in_coaching(talk)
    talk.say("AMAZON.NextIntent")  # tip 2
    alarm = talk.say("SafetyIntent")
    assert has_number(alarm, NUMBERS[locale][0])
    back = talk.say("MisunderstoodIntent")
    assert not back.ended and back.reprompt
    assert not has_number(back, NUMBERS[locale][1])
    # Coaching is no longer held: the next tip plays.
    on = talk.say("AMAZON.NextIntent")
    assert "Tip 3." in on.text


@pytest.mark.parametrize("locale", LOCALES)
def test_after_a_disclosure_stop_ends_kindly_with_the_emergency_number(
    handler: Any, locale: str
) -> None:
    talk = Talk(handler, locale=locale)
    in_coaching(talk)
    talk.say("SelfHarmIntent")
    bye = talk.say("AMAZON.StopIntent")
    assert bye.ended
    assert has_number(bye, NUMBERS[locale][0])
    assert bye.card and NUMBERS[locale][2] in json.dumps(bye.card)


def _in_a_car(handler: Any) -> Any:
    """The handler as Alexa calls it from a vehicle: ``context.Automotive`` on every request,
    in the shape of the published automotive envelope."""
    fixture = json.loads(
        (FIXTURES / "real" / "jovo-v3" / "AutomotiveLaunchRequest.json").read_text()
    )
    automotive = fixture["context"]["Automotive"]

    def call(event: dict[str, Any], context: Any = None) -> Any:
        event = copy.deepcopy(event)
        event["context"]["Automotive"] = automotive
        return handler(event, context)

    return call


def practice(talk: Talk) -> Said:
    in_coaching(talk)
    offer = talk.say("AMAZON.NextIntent")
    for _ in range(6):
        if "practice" in offer.text.lower() or "exercise" in offer.text.lower():
            break
        offer = talk.say("AMAZON.NextIntent")
    return talk.say("AMAZON.YesIntent")


def test_in_a_car_practices_never_ask_to_close_the_eyes(handler: Any) -> None:
    car = Talk(_in_a_car(handler), user_id="amzn1.ask.account.CAR")
    home = Talk(handler, user_id="amzn1.ask.account.HOME")
    at_home = practice(home)
    in_car = practice(car)
    assert "close your eyes" in at_home.text.lower()
    assert "close your eyes" not in in_car.text.lower()
    assert "eyes open" in in_car.text.lower()


def test_the_published_automotive_launch_envelope_gets_a_welcome(handler: Any) -> None:
    fixture = json.loads(
        (FIXTURES / "real" / "jovo-v3" / "AutomotiveLaunchRequest.json").read_text()
    )
    said = Said(handler(fixture, None))
    assert said.text and not said.ended and said.reprompt


def test_asking_for_eyes_open_mid_practice_replays_it_with_open_eyes(handler: Any) -> None:
    talk = Talk(handler)
    guided = practice(talk)
    assert "close your eyes" in guided.text.lower()
    opened = talk.say("EyesOpenIntent")
    assert "close your eyes" not in opened.text.lower()
    assert not opened.ended and opened.reprompt


def _safety_envelope(locale: str, heard: str, resolved: str) -> dict[str, Any]:
    """The published SafetyIntent envelope, as Alexa sends it in ``locale`` when someone says
    "my {heard} hits me": the slot with the words heard and entity resolution's value."""
    event: dict[str, Any] = json.loads((FIXTURES / "safety_intent.json").read_text())
    event["request"]["locale"] = locale
    skill_id = event["context"]["System"]["application"]["applicationId"]
    event["request"]["intent"]["slots"]["partner"] = {
        "name": "partner",
        "value": heard,
        "confirmationStatus": "NONE",
        "source": "USER",
        "resolutions": {
            "resolutionsPerAuthority": [
                {
                    "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.PartnerType",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": resolved, "id": resolved}}],
                }
            ]
        },
    }
    return event


# locale -> (what must be said, what must not be) when the partner who hurts is a woman.
WIFE_LINES = {
    # The Men's Advice Line and Galop; not the Helpline run for women.
    "en-GB": (["0808 801 0327", "0800 999 5428"], ["0808 2000 247"]),
    # No national line for men: the emergency number alone, not the Women Helpline.
    "en-IN": (["112"], ["181"]),
}


@pytest.mark.parametrize("locale", sorted(WIFE_LINES))
def test_a_man_whose_wife_hits_him_hears_a_line_that_serves_him(
    locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    from skill.lambda_function import lambda_handler

    caplog.set_level(logging.INFO)
    said = Said(lambda_handler(_safety_envelope(locale, "missus", "wife"), None))
    given, not_given = WIFE_LINES[locale]
    for number in given:
        assert has_number(said, number), f"{number} not in {said.text!r}"
    for number in not_given:
        assert not has_number(said, number), f"{number} in {said.text!r}"
    assert "women" not in said.text.lower()
    assert not said.ended and said.reprompt
    # Every line is still on the discreet card.
    assert said.card and all(
        re.sub(r"\D", "", n) in re.sub(r"\D", "", json.dumps(said.card)) for n in given + not_given
    )
    # Who the partner is is not kept in the session, nor logged, nor said back.
    kept = json.dumps(said.attributes)
    logged = " ".join(r.getMessage() for r in caplog.records)
    for word in ("wife", "missus"):
        assert word not in kept and word not in logged and word not in said.text.lower()

    # "Repeat", in the same session: every number, for anyone; the partner is not known.
    follow = _safety_envelope(locale, "missus", "wife")
    follow["session"]["attributes"] = said.attributes
    follow["request"]["intent"] = {
        "name": "AMAZON.RepeatIntent",
        "confirmationStatus": "NONE",
        "slots": {},
    }
    again = Said(lambda_handler(follow, None))
    emergency, helpline, crisis = NUMBERS[locale]
    assert has_number(again, emergency) and has_number(again, crisis)
    assert has_number(again, helpline)
