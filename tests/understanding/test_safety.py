"""The safety check: every category heard, denials and figures of speech not."""

from __future__ import annotations

import logging

import pytest

from skill.understanding import cues as safety
from skill.understanding.resolver import Resolution, get_resolver
from skill.understanding.text import canonical


def heard(text: str) -> safety.Finding:
    return safety.check(canonical(text))


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("he slapped me across the face", safety.PHYSICAL),
        ("my wife shoves me around when she's drunk", safety.PHYSICAL),
        ("he grabbed my throat", safety.PHYSICAL),
        ("she threw a glass at me", safety.PHYSICAL),
        ("I've got a black eye from him", safety.PHYSICAL),
        ("he gets violent", safety.PHYSICAL),
        ("my husband said he'd kill me if I ever left", safety.THREATS),
        ("she threatens to take the kids away from me", safety.THREATS),
        ("he told me I'd never see my daughter again", safety.THREATS),
        ("he showed me his gun and smiled", safety.THREATS),
        ("I'm scared of my boyfriend", safety.FEAR),
        ("I'm afraid to go home tonight", safety.FEAR),
        ("I don't feel safe with him", safety.FEAR),
        ("I fear for my safety", safety.FEAR),
        ("he forced me to have sex", safety.SEXUAL),
        ("my husband raped me", safety.SEXUAL),
        ("he touches me when I tell him to stop", safety.SEXUAL),
        ("he takes all my money", safety.COERCIVE_CONTROL),
        ("she won't let me see my family", safety.COERCIVE_CONTROL),
        ("my partner reads my messages", safety.COERCIVE_CONTROL),
        ("he tracks my location", safety.COERCIVE_CONTROL),
        ("he locks me in the bedroom", safety.COERCIVE_CONTROL),
        ("he calls me worthless and says no one else would want me", safety.COERCIVE_CONTROL),
        ("my ex is stalking me", safety.STALKING),
        ("my ex keeps showing up at my work", safety.STALKING),
        ("my ex won't leave me alone", safety.STALKING),
        ("I want to kill myself", safety.SELF_HARM),
        ("I want to die", safety.SELF_HARM),
        ("I took a bunch of pills", safety.SELF_HARM),
        ("everyone would be better off without me", safety.SELF_HARM),
        ("I've been cutting my arms", safety.SELF_HARM),
        ("there's no reason to live", safety.SELF_HARM),
    ],
)
def test_every_category_is_heard(text: str, category: str) -> None:
    assert heard(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        "he's not abusive, just distant",
        "he never hits me, he just ignores me",
        "we argue but it's never violent",
        "nobody is hurting me",
        "he would never ever hurt me",
        "I'm not afraid of him",
        "I don't think he'd hurt me",
        "I'm not in danger",
        "I'm not suicidal",
        "she has never threatened me",
        "there's no abuse, we just grew apart",
    ],
)
def test_a_denial_is_a_near_miss_not_a_disclosure(text: str) -> None:
    finding = heard(text)
    assert not finding.flagged
    assert finding.near_miss


@pytest.mark.parametrize(
    "text",
    [
        "he doesn't hit me anymore",  # it happened
        "he never hit me again after that night",
        "no, he hit me",  # "no" answers a question here
        "I didn't tell anyone he hit me",  # the "not" is about telling
        "he's not just distant, he's violent",
        "I'm not sure if he would hurt me",  # doubt is not denial
        "I'm not sure he wouldn't hurt me",
        "I don't know if he'd hit me again",
        "I don't feel safe at home",  # a negative cue stays a cue
        "I don't want to live anymore",
        "he never hits me but he chokes me",
    ],
)
def test_what_only_looks_like_a_denial_is_heard(text: str) -> None:
    assert heard(text).flagged


@pytest.mark.parametrize(
    "text",
    [
        "she'd kill me if she knew I was doing this",
        "my husband is going to kill me when he sees the bill",
        "my wife will murder me when she finds out",
        "this traffic is killing me",
        "it just hit me that we've been together ten years",
        "he pushes my buttons",
        "my boyfriend pushes me to be a better person",
        "he follows me on instagram",
        "I could die of embarrassment",
        "I'm dying to hear the next tip",
        "he broke my heart",
        "she kicked me out of the bedroom",
        "he'll kill me for telling you this",
        "he keeps me up at night snoring",
    ],
)
def test_figures_of_speech_are_not_disclosures(text: str) -> None:
    finding = heard(text)
    assert not finding.flagged
    assert finding.near_miss  # so the classifier cannot call them disclosures either


def test_a_reported_threat_is_not_a_figure_of_speech() -> None:
    assert heard("he said he'd kill me if he found out").category == safety.THREATS


@pytest.mark.parametrize(
    "text",
    [
        "my partner feels threatened by therapy",
        "my husband finds the idea of counselling threatening",
        "she sees counseling as a threat",
        "I'm afraid of how he'll react",
        "I'm scared he'll say no",
        "I'm afraid of my wife's reaction",
        "I'm afraid of him saying no to therapy",
        "I'm afraid of what he'll say",
        "I'm worried she'll get angry if I mention counselling",
        "we fight about money all the time",
        "he spends too much money",
    ],
)
def test_therapy_as_the_threat_and_fear_of_a_no_are_not_disclosures(text: str) -> None:
    assert not heard(text).flagged


@pytest.mark.parametrize(
    "text",
    [
        "it's not safe, I'm driving",
        "its not safe im in the car",
        "it's not safe to close my eyes right now",
    ],
)
def test_not_safe_while_driving_is_about_the_road(text: str) -> None:
    assert not heard(text).flagged


def test_driving_does_not_hide_a_disclosure() -> None:
    assert heard("I'm driving to my sister's because he hit me").category == safety.PHYSICAL


def test_the_most_specific_category_wins() -> None:
    assert heard("he sexually abused me").category == safety.SEXUAL
    assert heard("my ex follows me and checks my phone").category == safety.STALKING


def test_the_resolver_answers_disclosures_with_the_safety_intents() -> None:
    resolver = get_resolver()
    assert resolver.resolve("I want to hurt myself").intent == "SelfHarmIntent"
    assert resolver.resolve("I want to kill myself").intent == "SelfHarmIntent"
    hit = resolver.resolve("my husband hit me")
    assert (hit.intent, hit.slots.get("partner")) == ("SafetyIntent", "husband")
    assert hit.source == "safety"


def test_self_harm_is_not_mistaken_for_working_on_oneself() -> None:
    # The bug that opened issue 11: the fuzzy match paired these with "work on myself".
    resolver = get_resolver()
    assert resolver.resolve("I want to work on myself").intent == "SetDirectionIntent"
    assert resolver.resolve("I want to hurt myself").intent == "SelfHarmIntent"


def test_a_near_miss_never_gets_a_safety_intent_from_the_classifier() -> None:
    resolver = get_resolver()
    for text in ("he never hits me, he just ignores me", "he's not violent, he's just shut down"):
        assert resolver.resolve(text).intent not in ("SafetyIntent", "SelfHarmIntent"), text


def test_a_typo_does_not_hide_a_disclosure() -> None:
    assert get_resolver().resolve("he slaped me").intent == "SafetyIntent"


def test_what_was_disclosed_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    get_resolver().resolve("he choked me last night")
    assert not caplog.records


def test_the_category_stays_out_of_the_resolutions_text() -> None:
    # repr() is what ends up in logs and tracebacks.
    resolution = get_resolver().resolve("he choked me last night")
    assert resolution.category == "partner"
    assert "partner" not in repr(resolution)
    assert "category" not in repr(Resolution(category=safety.SELF_HARM))


def test_the_models_own_disclosure_samples_are_answered_at_once() -> None:
    # What help tells people to say, and every SafetyIntent/SelfHarmIntent sample.
    resolver = get_resolver("en-US")
    for text in ("I'm not safe", "I am not safe", "I want to die", "I'm in danger"):
        heard = resolver.resolve(text)
        assert heard.intent in ("SafetyIntent", "SelfHarmIntent") and heard.source == "safety"


def test_the_models_unclear_samples_are_asked_about() -> None:
    resolver = get_resolver("en-US")
    assert resolver.resolve("things at home are scary sometimes").intent == "ConcernIntent"
    assert resolver.resolve("what's the point anymore").intent == "SelfHarmConcernIntent"


def test_a_disclosure_said_in_passing_is_heard_in_its_clause() -> None:
    # Long, and mostly about something else: the clause carries it (skill.understanding.safety).
    heard = get_resolver("en-US").resolve(
        "we have been together nine years and mostly it is fine. anyway he broke my wrist "
        "last month. but my real question is how to get him to try counselling"
    )
    assert heard.intent in ("SafetyIntent", "ConcernIntent")


def test_other_skills_requests_go_to_the_fallback() -> None:
    for text in ("whats the weather tomorrow", "play some jazz", "set a timer for ten minutes"):
        assert get_resolver("en-US").resolve(text).intent == "AMAZON.FallbackIntent", text
