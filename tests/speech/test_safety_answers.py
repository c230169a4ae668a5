"""The answers to a disclosure, as rendered, in every locale and for every partner: short,
with the right numbers said the way people say them, a line that serves the person
speaking, no police procedure in the answer to thoughts of self-harm, valid SSML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from skill.core.dialog import Action, Command, Conversation, handle
from skill.core.progress import Progress
from skill.speech import prerender
from skill.speech.programs import get_catalog
from skill.speech.render import Rendered, Speech
from skill.speech.ssml import to_text, validate
from skill.tools.locales import LOCALES

from support import PARTNER_WORDS, SAFETY_LINES, SAFETY_NUMBERS, WOMEN_ONLY_LINES

MAX_WORDS = 90
SAFETY_VIEWS = ("safety", "self_harm", "safety_numbers", "safety_goodbye", "safety_hold")
PARTNERS = [(who, word) for who, words in PARTNER_WORDS.items() for word in words]
COACHING = re.compile(r"\bTip \d\b|instead of saying|try saying|couple|therapy", re.IGNORECASE)
# The emergency number as a listener hears it (to_text of the locale's emergency()).
EMERGENCY_SAID = {
    "en-US": "911",
    "en-GB": "999",
    "en-CA": "911",
    "en-AU": "Triple Zero",
    "en-IN": "112",
}
# Numbers as people say them, in the text a listener hears (aliases spoken, digit groups as
# <say-as> digits, which tests/tools/test_locales.py checks are marked up).
SAID_AS = {
    "en-US": ["1-800-799-7233", "text START to 88788"],
    "en-GB": ["oh eight oh eight, two thousand, 247", "oh eight oh eight, 801, 0327"],
    "en-CA": ["211"],
    "en-AU": ["one eight hundred respect", "one eight hundred, 737, 732"],
    "en-IN": ["181"],
}
CRISIS_SAID_AS = {
    "en-US": "text 988",
    "en-GB": "116, 123",
    "en-CA": "text 988",
    "en-AU": "Lifeline, any time, on thirteen eleven fourteen",
    "en-IN": "14416",
}


@pytest.fixture(scope="module")
def speech() -> Speech:
    return Speech(prerendered_dir=None)


def render(
    speech: Speech, locale: str, view: str, partner: str | None = None, closing: bool = False
) -> Rendered:
    data: dict[str, object] = {"partner": partner} if partner else {}
    if closing:
        data["closing"] = True  # the phone line's answer when it cannot run the skill
    rendered = speech.render_now(locale, view, data, "numbers")
    assert rendered.speech
    validate(rendered.speech)
    if rendered.reprompt:
        validate(rendered.reprompt)
    return rendered


def heard(rendered: Rendered) -> str:
    return to_text(rendered.speech or "", show_pauses=False)


def words(rendered: Rendered) -> int:
    return len(heard(rendered).split())


def unmarked(ssml: str) -> str:
    """The SSML's text without its tags, the digits as written (a <sub> keeps "1800")."""
    return re.sub(r"<[^>]+>", "", ssml)


def says_number(rendered: Rendered, number: str) -> bool:
    """The number's digit groups in order, with at most a comma and spaces between them."""
    groups = re.findall(r"\d+", number)
    pattern = r"(?<!\d)" + r"[\s,-]{0,3}".join(groups) + r"(?!\d)"
    return re.search(pattern, unmarked(rendered.speech or "")) is not None


def all_lines(locale: str) -> set[str]:
    return {line for lines in SAFETY_LINES[locale].values() for line in lines}


def test_the_tables_cover_every_locale_and_partner() -> None:
    assert sorted(SAFETY_LINES) == sorted(LOCALES) == sorted(SAFETY_NUMBERS)
    for lines in SAFETY_LINES.values():
        assert sorted(lines) == sorted(PARTNER_WORDS)


# --- every answer: short, warm, the emergency number, no coaching ------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("view", SAFETY_VIEWS)
@pytest.mark.parametrize(("who", "partner"), PARTNERS)
@pytest.mark.parametrize("closing", [False, True])
def test_every_safety_answer_is_short_with_the_emergency_number_and_no_coaching(
    speech: Speech, locale: str, view: str, who: str, partner: str | None, closing: bool
) -> None:
    rendered = render(speech, locale, view, partner, closing)
    assert words(rendered) <= MAX_WORDS, f"{words(rendered)} words: {heard(rendered)}"
    assert says_number(rendered, SAFETY_NUMBERS[locale][0])
    assert not COACHING.search(heard(rendered))
    # The partner word is never said back (the Alexa app and the room may be shared).
    if partner:
        assert partner not in heard(rendered).lower()
        assert partner not in (rendered.card_text or "").lower()


# --- the partner-danger answer: lines that serve the person speaking ----------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("who", "partner"), PARTNERS)
def test_the_partner_danger_answer_gives_the_lines_for_who_the_partner_is(
    speech: Speech, locale: str, who: str, partner: str | None
) -> None:
    rendered = render(speech, locale, "safety", partner)
    given = SAFETY_LINES[locale][who]
    for line in given:
        assert says_number(rendered, line), f"{locale} {partner}: no {line}: {heard(rendered)}"
    for line in all_lines(locale) - set(given):
        assert not says_number(rendered, line), f"{locale} {partner}: {line} is not for them"
    # Every line the locale has stays on the card, whoever the partner is.
    for line in all_lines(locale) | {SAFETY_NUMBERS[locale][0]}:
        assert line in (rendered.card_text or ""), line


@pytest.mark.parametrize("locale", sorted(WOMEN_ONLY_LINES))
@pytest.mark.parametrize("partner", PARTNER_WORDS["female"])
def test_a_man_whose_wife_hurts_him_is_not_given_a_line_for_women_only(
    speech: Speech, locale: str, partner: str
) -> None:
    rendered = render(speech, locale, "safety", partner)
    assert not says_number(rendered, WOMEN_ONLY_LINES[locale])
    assert "for women" not in heard(rendered) and "Women Helpline" not in heard(rendered)


def test_in_india_a_woman_partner_gets_the_emergency_number_alone(speech: Speech) -> None:
    text = heard(render(speech, "en-IN", "safety", "wife"))
    assert re.findall(r"\d+", text) == ["112", "112"]  # said, then said again


@pytest.mark.parametrize("who", ["male", ""])
def test_in_india_the_women_helpline_is_offered_to_women(speech: Speech, who: str) -> None:
    text = heard(render(speech, "en-IN", "safety", PARTNER_WORDS[who][0]))
    assert "If you're a woman, you can also talk in confidence with the Women Helpline" in text


def test_in_britain_a_woman_partner_gets_the_mens_line_and_the_lgbt_line(
    speech: Speech,
) -> None:
    text = heard(render(speech, "en-GB", "safety", "girlfriend"))
    assert "Men's Advice Line, on oh eight oh eight, 801, 0327" in text
    assert "L G B T plus, Galop" in text and "oh eight hundred, 999, 5428" in text


@pytest.mark.parametrize("partner", [*PARTNER_WORDS["male"], *PARTNER_WORDS[""]])
def test_in_britain_the_line_for_women_comes_with_the_line_for_men(
    speech: Speech, partner: str | None
) -> None:
    text = heard(render(speech, "en-GB", "safety", partner))
    assert "National Domestic Abuse Helpline, for women, day or night" in text
    assert "Men can call the Men's Advice Line" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_numbers_are_said_as_people_say_them(speech: Speech, locale: str) -> None:
    text = heard(render(speech, locale, "safety"))
    for phrase in SAID_AS[locale]:
        assert phrase in text, f"{locale}: {phrase!r} not in {text!r}"
    crisis = heard(render(speech, locale, "self_harm"))
    assert CRISIS_SAID_AS[locale] in crisis


def test_lifeline_is_thirteen_eleven_fourteen_not_digits(speech: Speech) -> None:
    for view in ("self_harm", "safety_numbers"):
        rendered = render(speech, "en-AU", view)
        assert "thirteen eleven fourteen" in heard(rendered)
        assert not re.search(r'interpret-as="digits">1[134]<', rendered.speech or "")
        assert "Triple Zero" in heard(rendered)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("who", "partner"), PARTNERS)
def test_every_digit_spoken_is_marked_up(
    speech: Speech, locale: str, who: str, partner: str | None
) -> None:
    """Digits sit in <say-as> (digits or telephone) or <sub>: "911" is never "nine hundred
    and eleven", in any partner's answer."""
    for view in SAFETY_VIEWS:
        root = ET.fromstring(f"<speak>{render(speech, locale, view, partner).speech}</speak>")
        for element in root.iter():
            marked = element.tag == "sub" or (
                element.tag == "say-as"
                and element.attrib.get("interpret-as") in {"digits", "telephone"}
            )
            if not marked:
                assert not re.search(r"\d", element.text or ""), (locale, view, element.text)
            assert not re.search(r"\d", element.tail or ""), (locale, view, element.tail)


# --- clauses that read right aloud ---------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_right_away_belongs_to_the_emergency_call(speech: Speech, locale: str) -> None:
    text = heard(render(speech, locale, "self_harm"))
    assert f"you've already hurt yourself, call {EMERGENCY_SAID[locale]} right away." in text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("view", SAFETY_VIEWS)
def test_the_emergency_number_is_said_alone(speech: Speech, locale: str, view: str) -> None:
    """The emergency macro is the number only: "call 999 right away", never a phrase that
    carries another clause along with it."""
    text = heard(render(speech, locale, view))
    calls = re.findall(r"\bcall (.+?)[.,]", text)
    emergency = [c for c in calls if EMERGENCY_SAID[locale] in c]
    assert emergency and all(
        c in (EMERGENCY_SAID[locale], f"{EMERGENCY_SAID[locale]} right away") for c in emergency
    ), calls


# --- self-harm: no police procedure, one clear thing to do --------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("closing", [False, True])
def test_no_silent_call_instruction_in_the_self_harm_answer(
    speech: Speech, locale: str, closing: bool
) -> None:
    rendered = render(speech, locale, "self_harm", closing=closing)
    assert "55" not in unmarked(rendered.speech or "")
    assert "press" not in heard(rendered).lower()
    assert "police" not in heard(rendered).lower()


def test_the_silent_solution_is_said_right_in_the_british_partner_danger_answer(
    speech: Speech,
) -> None:
    text = heard(render(speech, "en-GB", "safety"))
    assert "call 999. On a mobile, if you can't speak, press 55 when asked." in text
    card = render(speech, "en-GB", "safety").card_text or ""
    assert "press 55 when asked, to be put through to the police" in card


# --- honest descriptions -------------------------------------------------------------------


def test_the_us_answer_says_the_hotline_takes_texts(speech: Speech) -> None:
    for view in ("safety", "safety_numbers"):
        text = heard(render(speech, "en-US", view))
        assert "If it isn't safe to talk, you can text START to 88788." in text
    assert "text START to 88788" in (render(speech, "en-US", "safety").card_text or "")


def test_canada_211_is_described_as_information_and_referral(speech: Speech) -> None:
    text = heard(render(speech, "en-CA", "safety"))
    about_211 = [s for s in re.split(r"(?<=[.?!])\s+", text) if "211" in s]
    assert about_211 and not any("plan" in s or "listen" in s for s in about_211)
    assert "put you in touch with a shelter or a crisis line near you" in text
    assert "They are there to listen" not in text


# --- the dialog: the partner word reaches this answer only, and the build stays finite -----


def test_the_core_gives_the_partner_to_the_answer_and_keeps_none_of_it() -> None:
    catalog = get_catalog()
    turn = handle(Conversation(), Progress(), Command(Action.SAFETY, partner="wife"), 0, catalog)
    assert turn.reply.view == "safety" and turn.reply.data == {"partner": "wife"}
    assert turn.conversation.hold and "wife" not in repr(turn.conversation.to_dict())
    again = handle(turn.conversation, turn.progress, Command(Action.REPEAT), 0, catalog)
    assert again.reply.view == "safety_numbers" and "partner" not in again.reply.data
    harm = handle(Conversation(), Progress(), Command(Action.SELF_HARM, partner="wife"), 0, catalog)
    assert dict(harm.reply.data) == {}


def test_the_partner_danger_answers_rendered_ahead_are_finite() -> None:
    partners = ("husband", "wife", "partner")
    safety = {
        reply.data.get("partner")
        for reply, _ in prerender.reachable_replies(get_catalog(), partners)
        if reply.view == "safety"
    }
    assert safety == {None, *partners}
