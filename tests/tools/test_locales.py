"""The English locales: derived models up to date, local words understood, and the safety
message giving each country's own emergency and helpline numbers in valid SSML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jinja2 import nodes

from skill.speech.render import TEMPLATES_DIR, Speech
from skill.speech.ssml import to_text, validate
from skill.speech.templating import build_environment
from skill.tools import locales
from skill.understanding.resolver import Resolver

# locale -> (emergency number, helpline number), as a person reads them on the card.
NUMBERS = {
    "en-US": ("911", "1-800-799-7233"),
    "en-GB": ("999", "0808 2000 247"),
    "en-CA": ("911", "211"),
    "en-AU": ("000", "1800 737 732"),
    "en-IN": ("112", "181"),
}
# locale -> the crisis line for thoughts of self-harm or suicide, as on the card.
CRISIS = {
    "en-US": "988",
    "en-GB": "116 123",
    "en-CA": "988",
    "en-AU": "13 11 14",
    "en-IN": "14416",
}
LOCALE_MACROS = {
    "counseling",
    "emergency",
    "emergency_card",
    "silent_call",
    "helpline",
    "helpline_card",
    "crisis_line",
    "crisis_card",
}


def test_numbers_cover_every_locale() -> None:
    assert sorted(NUMBERS) == sorted(locales.LOCALES) == sorted(CRISIS)


# Derived interaction models


def test_derived_models_are_up_to_date() -> None:
    stale = [p.name for p in locales.stale_files()]
    assert stale == [], f"run: python -m skill.tools.locales ({stale})"
    assert locales.main(["--check"]) == 0


def test_check_reports_a_stale_file(tmp_path: Path) -> None:
    (tmp_path / "en-US.json").write_text(
        (locales.MODEL_DIR / "en-US.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert len(locales.stale_files(tmp_path)) == len(locales.RULES)
    locales.write_all(tmp_path)
    assert locales.stale_files(tmp_path) == []
    (tmp_path / "en-GB.json").write_text("{}\n", encoding="utf-8")
    assert locales.stale_files(tmp_path) == [tmp_path / "en-GB.json"]


def _language(model: dict[str, Any]) -> dict[str, Any]:
    language: dict[str, Any] = model["interactionModel"]["languageModel"]
    return language


def _all_words(model: dict[str, Any]) -> str:
    language = _language(model)
    words = [s for i in language["intents"] for s in i.get("samples", [])]
    for slot_type in language["types"]:
        for value in slot_type["values"]:
            words += [value["name"]["value"], *value["name"].get("synonyms", [])]
    return "\n".join(words)


@pytest.mark.parametrize("locale", sorted(locales.RULES))
def test_derived_model_keeps_ids_and_uses_local_spelling(locale: str) -> None:
    source = locales.load_source()
    model = locales.derive(source, locale)
    words = _all_words(model)
    assert not re.search(r"\bcounsel(?:ing|or)\b", words)
    assert "counselling" in words
    ids = [[v.get("id") for v in t["values"]] for t in _language(model)["types"]]
    assert ids == [[v.get("id") for v in t["values"]] for t in _language(source)["types"]]
    assert _language(model)["invocationName"] == _language(source)["invocationName"]


def test_programme_is_british_and_indian_spelling() -> None:
    source = locales.load_source()
    for locale, spelled in [
        ("en-GB", "programme"),
        ("en-IN", "programme"),
        ("en-CA", "program"),
        ("en-AU", "program"),
    ]:
        assert f"start the {spelled}\n" in _all_words(locales.derive(source, locale)) + "\n"


def test_respell_keeps_capitals() -> None:
    assert locales.respell("Counseling and counselors", "en-GB") == "Counselling and counsellors"
    assert locales.respell("counseling", "en-US") == "counseling"


@pytest.mark.parametrize(
    ("locale", "words", "intent", "slots"),
    [
        (
            "en-GB",
            "how do I get my other half to go to relate",
            "MotivatePartnerIntent",
            {"partner": "partner", "support": "counselling"},
        ),
        (
            "en-GB",
            "my fella won't try couples counselling",
            "MotivatePartnerIntent",
            {"partner": "boyfriend", "support": "counselling"},
        ),
        (
            "en-AU",
            "my de facto refuses relationship counselling",
            "MotivatePartnerIntent",
            {"partner": "partner", "support": "counselling"},
        ),
        (
            "en-CA",
            "my common law partner won't go to counselling",
            "MotivatePartnerIntent",
            {"partner": "partner"},
        ),
        ("en-IN", "my life partner threatens me", "SafetyIntent", {"partner": "partner"}),
        ("en-IN", "start the programme", "MotivatePartnerIntent", {}),
        ("en-US", "my hubby hits me", "SafetyIntent", {"partner": "husband"}),
    ],
)
def test_local_words_resolve(locale: str, words: str, intent: str, slots: dict[str, str]) -> None:
    model = locales.derive(locales.load_source(), locale)
    resolution = Resolver(model).resolve(words)
    assert resolution.intent == intent
    for name, value in slots.items():
        assert resolution.slots.get(name) == value


# Speech


def _macros(path: Path) -> set[str]:
    env = build_environment()
    tree = env.parse(path.read_text(encoding="utf-8"))
    # A locale may keep helpers of its own ("_ndah"): private, never imported.
    return {macro.name for macro in tree.find_all(nodes.Macro) if not macro.name.startswith("_")}


def test_language_file_defines_the_locale_macros() -> None:
    assert _macros(TEMPLATES_DIR / "en" / "_locale.ssml.j2") == LOCALE_MACROS


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_locale_file_defines_the_same_macros_as_english(locale: str) -> None:
    path = TEMPLATES_DIR / locale / "_locale.ssml.j2"
    assert path.exists(), f"{locale} needs its own numbers"
    assert _macros(path) == _macros(TEMPLATES_DIR / "en" / "_locale.ssml.j2")


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_locale_file_cites_its_sources(locale: str) -> None:
    text = (TEMPLATES_DIR / locale / "_locale.ssml.j2").read_text(encoding="utf-8")
    comment = text.split("-#}")[0]
    assert "https://" in comment


@pytest.fixture(scope="module")
def speech() -> Speech:
    return Speech()


def _spoken_digits(ssml: str) -> str:
    """The SSML's text with its tags and commas taken out: digits as a person would read them."""
    text = re.sub(r"<[^>]+>", "", ssml).replace(",", "")
    return " ".join(text.split())


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_safety_view_gives_the_local_numbers(speech: Speech, locale: str) -> None:
    rendered = speech.render(locale, "safety", {}, card="numbers")
    assert rendered.speech and rendered.card_text
    validate(rendered.speech)
    emergency, helpline = NUMBERS[locale]
    spoken = _spoken_digits(rendered.speech)
    assert emergency in spoken
    assert helpline in spoken
    assert emergency in rendered.card_text
    assert helpline in rendered.card_text
    for other, (other_emergency, _) in NUMBERS.items():
        if other_emergency != emergency:
            alone = re.compile(rf"(?<![\d-]){other_emergency}(?![\d-])")
            assert not alone.search(spoken), f"{locale} speech names {other}'s number"
            assert not alone.search(rendered.card_text)


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_self_harm_view_gives_the_crisis_line_and_the_emergency_number(
    speech: Speech, locale: str
) -> None:
    rendered = speech.render(locale, "self_harm", {}, card="numbers")
    assert rendered.speech and rendered.card_text
    spoken = _spoken_digits(rendered.speech)
    emergency, helpline = NUMBERS[locale]
    assert CRISIS[locale].replace(" ", "") in spoken.replace(" ", "")
    assert emergency in spoken
    # No domestic-violence line in a self-harm answer: one clear thing to do.
    assert helpline not in spoken
    assert CRISIS[locale] in rendered.card_text and emergency in rendered.card_text
    # The card is discreet: the Alexa app is often shared.
    assert rendered.card_title == "Numbers to keep"
    for word in ("suicide", "abuse", "violence", "hurt", "safe"):
        assert word not in (rendered.card_title or "").lower()


@pytest.mark.parametrize("locale", locales.LOCALES)
@pytest.mark.parametrize("view", ["safety", "self_harm", "safety_numbers"])
def test_numbers_in_speech_are_marked_up(speech: Speech, locale: str, view: str) -> None:
    """Every digit Alexa speaks sits in <say-as> (digits or telephone) or <sub>, so it is
    read as a phone number and not as "nine hundred and eleven"."""
    ssml = speech.render(locale, view, {}).speech
    assert ssml
    root = ET.fromstring(f"<speak>{ssml}</speak>")

    def check(element: ET.Element, inside: bool) -> None:
        marked = (
            inside
            or (
                element.tag == "say-as"
                and element.attrib.get("interpret-as") in {"digits", "telephone"}
            )
            or element.tag == "sub"
        )
        if re.search(r"\d", element.text or "") and element.tag != "sub":
            assert marked, f"{locale}: unmarked digits in {element.text!r}"
        for child in element:
            check(child, marked)
            assert not re.search(r"\d", child.tail or ""), f"{locale}: {child.tail!r}"

    check(root, False)


def test_australian_numbers_are_said_the_australian_way(speech: Speech) -> None:
    text = to_text(speech.render("en-AU", "safety", {}).speech or "")
    assert "Triple Zero" in text
    assert "one eight hundred respect" in text
    assert "one eight hundred, 737, 732" in text


@pytest.mark.parametrize(
    ("locale", "spelling"),
    [("en-US", "counseling")] + [(locale, "counselling") for locale in sorted(locales.RULES)],
)
def test_content_uses_local_spelling(locale: str, spelling: str) -> None:
    path = f"{locale}/programs/motivate/unknown.ssml.j2"
    module = build_environment().get_template(path).make_module({})
    assert f"signed us up for {spelling}" in str(module.avoid())


def test_slot_names_are_not_respelled() -> None:
    assert locales.respell("start {program} program", "en-GB") == "start {program} programme"


def test_the_skill_speaks_the_locales_the_models_are_derived_for() -> None:
    from skill.config import LOCALES

    assert set(LOCALES) == set(locales.LOCALES)
