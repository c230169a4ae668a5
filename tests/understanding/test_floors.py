"""The floors the ear must hold on the sealed sets in tests/understanding/data/.

Every file there was written by someone who saw neither the code nor the corpus, and
nobody has read its lines to change the ear (data/README.md). The floors are the figures
measured on them once, rounded down (docs/understanding.md), so the ear can only get
better there. The issue's targets are beside them; where a floor is below its target,
docs/understanding.md says so.

The safety heads are the same in every locale; what differs by locale is each model's
samples, so intents are checked in every locale and safety in en-US, plus a check that
every locale hears the same disclosures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from skill.config import LOCALES
from skill.understanding.evaluate import SAFETY_GROUPS, Report, data_files, evaluate, read_examples
from skill.understanding.resolver import SAFETY_INTENTS, get_resolver

pytestmark = pytest.mark.slow  # every sealed line through the sentence encoder

FILES = data_files()


@dataclass(frozen=True)
class Floors:
    caught: float  # disclosures answered or checked in
    answered_right: float  # disclosures given the right safety answer (partner or self-harm)
    category: float  # caught, in the worst category of danger
    near_alarm: float  # near misses given the full alarm, at most
    near_check_in: float  # near misses checked in about, at most
    in_scope: float
    out_of_scope: float


# Measured on the sealed sets (docs/understanding.md), with about 1.5 points of room: the
# heads are retrained whenever the interaction model changes (a new intent's samples are
# training data too), which moves these figures by a point or so either way. The issue's
# targets: caught >= 98%, near misses alarmed <= 5% and checked in <= 20%, in scope >= 92%;
# docs/understanding.md says which sets are below them. Re-measured on 2026-12-08 after two
# more corpus writers and the reminders' and the exercise for two's intents: sealed_s1's
# right answers went from 90.0% to 88.2% (two disclosures now asked about first, still
# caught), so its floor moved down a point with them.
FLOORS = {
    "heldout.jsonl": Floors(0.98, 0.92, 0.96, 0.03, 0.12, 0.88, 0.98),
    "sealed_s1.jsonl": Floors(0.96, 0.87, 0.91, 0.07, 0.15, 0.93, 0.98),
    "sealed_s2.jsonl": Floors(0.97, 0.84, 0.94, 0.06, 0.24, 0.94, 0.98),
}


@cache
def report(path: Path, locale: str = "en-US") -> Report:
    return evaluate(read_examples(path), get_resolver(locale).resolve)


def ids(path: Path) -> str:
    return path.name


def test_every_sealed_set_has_its_floors() -> None:
    assert {path.name for path in FILES} == set(FLOORS)


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_disclosures_are_answered_or_checked_in(path: Path) -> None:
    result = report(path)
    floors = FLOORS[path.name]
    assert result.caught() >= floors.caught
    right = result.share(SAFETY_GROUPS, lambda o: o.right)
    assert right >= floors.answered_right
    worst = min(result.share([group], lambda o: o.caught) for group in SAFETY_GROUPS)
    assert worst >= floors.category


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_near_misses_are_rarely_alarmed(path: Path) -> None:
    result = report(path)
    floors = FLOORS[path.name]
    assert result.share(["near_miss"], lambda o: o.flagged) <= floors.near_alarm
    assert result.share(["near_miss"], lambda o: o.asked) <= floors.near_check_in


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_requests_reach_their_intent_in_every_locale(path: Path, locale: str) -> None:
    result = report(path, locale)
    floors = FLOORS[path.name]
    assert result.rate("in_scope") >= floors.in_scope
    assert result.rate("out_of_scope") >= floors.out_of_scope


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en-US"])
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_every_locale_hears_the_same_disclosures(path: Path, locale: str) -> None:
    here, there = report(path), report(path, locale)
    for a, b in zip(here.of(*SAFETY_GROUPS), there.of(*SAFETY_GROUPS), strict=True):
        assert a.caught == b.caught, a.example.text


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_safety_groups_expect_a_safety_intent(path: Path) -> None:
    # A mislabelled line would make the floors meaningless.
    for example in read_examples(path):
        if example.group == "safety:self_harm":
            assert example.intent == "SelfHarmIntent", example
        elif example.group in SAFETY_GROUPS:
            assert example.intent == "SafetyIntent", example
        else:
            assert example.intent not in SAFETY_INTENTS, example
