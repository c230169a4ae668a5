"""The offline resolver the chat and the phone line use, through its public entry point."""

from __future__ import annotations

import pytest

from skill.config import LOCALES
from skill.nlu import get_resolver


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


@pytest.mark.parametrize(
    ("words", "intent", "slots"),
    [
        # how people type and how speech to text writes it
        ("My husband won't go to counseling", "MotivatePartnerIntent", {"partner": "husband"}),
        ("my husband wont go to counselling", "MotivatePartnerIntent", {"partner": "husband"}),
        ("um my wife is gonna say no to therapy", "MotivatePartnerIntent", {"partner": "wife"}),
        ("alexa next tip please", "AMAZON.NextIntent", {}),
        ("uh go back one", "GoBackIntent", {"count": "1"}),
        ("sure why not", "AMAZON.YesIntent", {}),
        ("not right now", "AMAZON.NoIntent", {}),
        ("im ready", "ReadyIntent", {}),
        ("repaet that", "AMAZON.RepeatIntent", {}),
        (
            "so my boyfriend never wants to talk about anything and hes like totally against "
            "couples therapy what do i even do",
            "MotivatePartnerIntent",
            {"partner": "boyfriend"},
        ),
        # slots the new intents carry
        ("the last tip", "GoToTipIntent", {"position": "last"}),
        ("go to the final tip", "GoToTipIntent", {"position": "last"}),
        ("go back two", "GoBackIntent", {"count": "2"}),
        ("back three tips", "GoBackIntent", {"count": "3"}),
        ("start set your direction", "StartProgramIntent", {"program": "set your direction"}),
        ("let's do the five tips", "StartProgramIntent", {"program": "motivate your partner"}),
        ("I want to do the reflection", "StartProgramIntent", {"program": "set your direction"}),
        ("let's do the reflection", "StartProgramIntent", {"program": "set your direction"}),
        ("open set my direction", "StartProgramIntent", {"program": "set your direction"}),
        ("it's not safe, I'm driving", "EyesOpenIntent", {}),
        ("I can't close my eyes", "EyesOpenIntent", {}),
        ("you misunderstood me", "MisunderstoodIntent", {}),
        ("no I'm safe, I was talking about therapy", "MisunderstoodIntent", {}),
        ("false alarm", "MisunderstoodIntent", {}),
        ("slow down", "SlowerIntent", {}),
        ("speed up", "FasterIntent", {}),
        ("give me a minute", "MoreTimeIntent", {}),
        ("how long does this take", "HowLongIntent", {}),
        ("are you a real person", "AboutIntent", {}),
        ("no idea", "DontKnowIntent", {}),
        ("what's the weather like", "AMAZON.FallbackIntent", {}),
    ],
)
def test_everyday_phrasing(words: str, intent: str, slots: dict[str, str]) -> None:
    resolution = get_resolver().resolve(words)
    assert (resolution.intent, resolution.slots | slots) == (intent, resolution.slots)


def test_the_last_tip_is_no_longer_the_previous_one() -> None:
    assert get_resolver().resolve("the last tip").intent == "GoToTipIntent"


def test_scores_are_confidences_from_0_to_100() -> None:
    resolver = get_resolver()
    exact = resolver.resolve("list the tips")
    assert (exact.score, exact.source) == (100.0, "exact")
    guessed = resolver.resolve("tell me which tips there are please")
    assert guessed.source == "classifier" and 0 < guessed.score < 100
    unknown = resolver.resolve("what's the capital of peru")
    assert unknown.intent == "AMAZON.FallbackIntent" and 0 <= unknown.score <= 100


def test_empty_input_means_nothing() -> None:
    for words in ("", "   ", "?!", "um uh"):
        resolution = get_resolver().resolve(words)
        assert resolution.intent is None and not resolution.launch


def test_a_launch_with_a_disclosure_gets_the_safety_answer() -> None:
    resolution = get_resolver().resolve("open ally coach, I want to die")
    assert resolution.launch and resolution.intent == "SelfHarmIntent"
    resolution = get_resolver().resolve("ask ally coach what to do, my husband hits me")
    # Answered, or asked about ("are you safe right now?"): never coached.
    assert resolution.launch and resolution.intent in ("SafetyIntent", "ConcernIntent")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("words", "intent"),
    [
        ("my husband won't go to counselling", "MotivatePartnerIntent"),
        ("next tip please", "AMAZON.NextIntent"),
        ("he pushed me against the wall", "SafetyIntent"),
        ("I want to hurt myself", "SelfHarmIntent"),
        ("he's not abusive, just distant", None),
        ("what's the weather", "AMAZON.FallbackIntent"),
    ],
)
def test_every_locale_hears_the_same(locale: str, words: str, intent: str | None) -> None:
    resolution = get_resolver(locale).resolve(words)
    if intent is None:
        assert resolution.intent not in ("SafetyIntent", "SelfHarmIntent")
    else:
        assert resolution.intent == intent


def test_every_intent_it_answers_is_in_the_model() -> None:
    resolver = get_resolver()
    names = {*resolver.samples.intents}
    for words in ("hello there", "tip four", "my partner hits me", "I want to die", "bye"):
        assert resolver.resolve(words).intent in names
