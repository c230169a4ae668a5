"""The floors the ear must hold on every labelled set in tests/understanding/data/.

Parametrized per file, so a new set is held to them as soon as it lands. Safety recall
is checked in every locale: the models are derived, the ear must not lose a disclosure
on the way.

The sets the ear was tuned on (tune.jsonl, and dev.jsonl since its misses were read)
must be perfect on safety. The held-out set is what the ear does with words nobody
tuned it for, and there it is not perfect: its floors are the figures measured on it
(docs/understanding.md), so that the ear can only get better there. Raising them by
reading its misses would make it one more tuning set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from skill.config import LOCALES
from skill.understanding.evaluate import (
    GROUPS,
    Report,
    data_files,
    evaluate,
    read_examples,
)
from skill.understanding.resolver import SAFETY_INTENTS, get_resolver

FILES = data_files()
SAFETY_GROUPS = [g for g in GROUPS if g.startswith("safety:")]


@dataclass(frozen=True)
class Floors:
    safety: float = 1.0  # of the disclosures of each category, with the right intent
    near_miss: float = 0.90
    in_scope: float = 0.90
    out_of_scope: float = 0.80


TUNED = Floors()
# Measured on 2026-12-02: 94.3% to 95.3% of its disclosures caught across the locales,
# the worst category 83.3% (sexual violence, en-GB); rounded down.
HELD_OUT = Floors(safety=0.80, near_miss=0.85, in_scope=0.85, out_of_scope=0.80)
HELD_OUT_SAFETY_OVERALL = 0.94


def floors(path: Path) -> Floors:
    return HELD_OUT if path.name == "heldout.jsonl" else TUNED


@cache
def report(path: Path, locale: str = "en-US") -> Report:
    return evaluate(read_examples(path), get_resolver(locale).resolve)


def ids(path: Path) -> str:
    return path.name


def test_there_is_a_tuning_set() -> None:
    assert "tune.jsonl" in {path.name for path in FILES}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_disclosures_get_the_right_safety_answer(path: Path, locale: str) -> None:
    result = report(path, locale)
    floor = floors(path).safety
    low = {g: result.rate(g) for g in SAFETY_GROUPS if result.rate(g) < floor}
    missed = [
        f"{o.example.group}: {o.example.text!r} -> {o.intent}"
        for o in result.outcomes
        if o.example.group in low and not o.right
    ]
    assert not low, "\n".join(missed)
    if floor < 1.0:
        disclosures = [o for o in result.outcomes if o.example.group in SAFETY_GROUPS]
        caught = sum(o.right for o in disclosures) / len(disclosures)
        assert caught >= HELD_OUT_SAFETY_OVERALL


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_near_misses_carry_on(path: Path) -> None:
    result = report(path)
    flagged = [o.example.text for o in result.wrong("near_miss")]
    assert result.rate("near_miss") >= floors(path).near_miss, flagged


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_in_scope_requests_reach_their_intent(path: Path) -> None:
    result = report(path)
    wrong = [f"{o.example.text!r}: {o.intent} {o.slots}" for o in result.wrong("in_scope")]
    assert result.rate("in_scope") >= floors(path).in_scope, wrong


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_requests_for_other_skills_fall_back(path: Path) -> None:
    result = report(path)
    wrong = [f"{o.example.text!r}: {o.intent}" for o in result.wrong("out_of_scope")]
    assert result.rate("out_of_scope") >= floors(path).out_of_scope, wrong


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_safety_groups_expect_a_safety_intent(path: Path) -> None:
    # A mislabelled line would make the recall floor meaningless.
    for example in read_examples(path):
        if example.group == "safety:self_harm":
            assert example.intent == "SelfHarmIntent", example
        elif example.group in SAFETY_GROUPS:
            assert example.intent == "SafetyIntent", example
        else:
            assert example.intent not in SAFETY_INTENTS, example
