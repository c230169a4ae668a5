"""The intents and slots other code is written against, in every locale's model."""

from __future__ import annotations

import pytest

from skill.config import LOCALES
from skill.core.dialog import Action
from skill.service.intents import INTENT_ACTIONS
from skill.understanding.samples import load_model

NEW_INTENTS = {
    "SelfHarmIntent": {},
    "MisunderstoodIntent": {},
    "EyesOpenIntent": {},
    "GoBackIntent": {"count": "AMAZON.NUMBER"},
    "StartProgramIntent": {"program": "ProgramType"},
    "SlowerIntent": {},
    "FasterIntent": {},
    "MoreTimeIntent": {},
    "HowLongIntent": {},
    "AboutIntent": {},
    "DontKnowIntent": {},
    "GoToTipIntent": {
        "number": "AMAZON.NUMBER",
        "ordinal": "AMAZON.Ordinal",
        "position": "TipPositionType",
    },
}


def language(locale: str) -> dict[str, object]:
    return dict(load_model(locale)["interactionModel"]["languageModel"])


@pytest.mark.parametrize("locale", LOCALES)
def test_the_new_intents_and_slots_are_there(locale: str) -> None:
    intents = {i["name"]: i for i in language(locale)["intents"]}  # type: ignore[attr-defined]
    for name, slots in NEW_INTENTS.items():
        have = {s["name"]: s["type"] for s in intents[name].get("slots", [])}
        assert have == slots, name


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_types_for_programs_and_the_last_tip(locale: str) -> None:
    types = {t["name"]: t for t in language(locale)["types"]}  # type: ignore[attr-defined]
    programs = {v["id"]: v["name"] for v in types["ProgramType"]["values"]}
    assert programs["motivate"]["value"] == "motivate your partner"
    assert programs["direction"]["value"] == "set your direction"
    assert "the five tips" in programs["motivate"]["synonyms"]
    (last,) = types["TipPositionType"]["values"]
    assert last["name"]["value"] == "last" and "final" in last["name"]["synonyms"]


def test_the_last_tip_is_not_the_previous_one() -> None:
    intents = {i["name"]: i for i in language("en-US")["intents"]}  # type: ignore[attr-defined]
    assert "the last tip" not in intents["AMAZON.PreviousIntent"]["samples"]
    assert "the {position} tip" in intents["GoToTipIntent"]["samples"]


def test_every_new_intent_has_an_action() -> None:
    for name in NEW_INTENTS:
        assert name in INTENT_ACTIONS
    # Self-harm has an answer of its own, never the partner-danger one.
    assert INTENT_ACTIONS["SelfHarmIntent"] is Action.SELF_HARM
    assert INTENT_ACTIONS["SafetyIntent"] is Action.SAFETY
    assert INTENT_ACTIONS["GoToTipIntent"] is Action.GO_TO_STEP
    assert INTENT_ACTIONS["StartProgramIntent"] is Action.START_PROGRAM
