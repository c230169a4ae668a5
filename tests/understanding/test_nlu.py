"""The offline resolver the chat and the phone line use."""

from __future__ import annotations

import pytest

from skill.understanding.resolver import get_resolver


@pytest.mark.parametrize(
    ("words", "intent", "slots"),
    [
        ("help me talk to my partner", "MotivatePartnerIntent", {}),
        (
            "How do I get my Wife to try couples counselling?",
            "MotivatePartnerIntent",
            {"partner": "wife", "support": "counseling"},
        ),
        ("tip three", "GoToTipIntent", {"number": "3"}),
        ("go to tip 3", "GoToTipIntent", {"number": "3"}),
        ("the third tip", "GoToTipIntent", {"ordinal": "3"}),
        ("tip nine", "GoToTipIntent", {"number": "9"}),
        ("list the tips", "ListTipsIntent", {}),
        ("which tip am I on", "WhereAmIIntent", {}),
        ("set your direction", "SetDirectionIntent", {}),
        ("I want to work on myself", "SetDirectionIntent", {}),
        ("go back", "AMAZON.PreviousIntent", {}),
        ("start over", "AMAZON.StartOverIntent", {}),
        ("yes", "AMAZON.YesIntent", {}),
        ("nope", "AMAZON.NoIntent", {}),
        ("my partner hits me", "SafetyIntent", {}),
        ("I'm afraid of my partner", "SafetyIntent", {}),
        ("I don't feel safe at home", "SafetyIntent", {}),
        ("my partner is abusive", "SafetyIntent", {}),
        ("he threatened me last night", "SafetyIntent", {}),
        ("nxt", "AMAZON.NextIntent", {}),
        ("repaet", "AMAZON.RepeatIntent", {}),
        ("purple monkey dishwasher", "AMAZON.FallbackIntent", {}),
        ("tip banana", "AMAZON.FallbackIntent", {}),
    ],
)
def test_resolves(words: str, intent: str, slots: dict[str, str]) -> None:
    resolution = get_resolver().resolve(words)
    assert resolution.intent == intent
    assert not resolution.launch
    for name, value in slots.items():
        assert resolution.slots[name] == value


@pytest.mark.parametrize(
    ("words", "intent"),
    [
        ("open ally coach", None),
        ("Alexa, open Ally Coach", None),
        ("launch ally coach", None),
        ("ask ally coach to help me talk to my partner", "MotivatePartnerIntent"),
        ("tell ally coach I want to work on myself", "SetDirectionIntent"),
        ("open ally coach and go to tip two", "GoToTipIntent"),
    ],
)
def test_invocations(words: str, intent: str | None) -> None:
    resolution = get_resolver().resolve(words)
    assert resolution.launch
    assert resolution.intent == intent


def test_other_skills_are_not_ours() -> None:
    assert not get_resolver().resolve("open some other skill").launch


def test_hints_are_short_phrases_from_the_model() -> None:
    hints = get_resolver().hints(50)
    assert "next" in hints and "yes" in hints
    assert all("{" not in h for h in hints)
