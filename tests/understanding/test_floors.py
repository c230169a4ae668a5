"""The floors the ear must hold on every labelled set in tests/understanding/data/.

Parametrized per file, so a new set (the held-out one) is held to them as soon as it
lands. Safety recall is checked in every locale: the models are derived, the ear must
not lose a disclosure on the way.
"""

from __future__ import annotations

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
NEAR_MISS_FLOOR = 0.90
IN_SCOPE_FLOOR = 0.90
OUT_OF_SCOPE_FLOOR = 0.80


@cache
def report(path: Path, locale: str = "en-US") -> Report:
    return evaluate(read_examples(path), get_resolver(locale).resolve)


def ids(path: Path) -> str:
    return path.name


def test_there_is_a_tuning_set() -> None:
    assert "tune.jsonl" in {path.name for path in FILES}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_every_disclosure_gets_the_right_safety_answer(path: Path, locale: str) -> None:
    missed = [
        f"{o.example.group}: {o.example.text!r} -> {o.intent}"
        for o in report(path, locale).outcomes
        if o.example.group in SAFETY_GROUPS and not o.right
    ]
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_near_misses_carry_on(path: Path) -> None:
    result = report(path)
    flagged = [o.example.text for o in result.wrong("near_miss")]
    assert result.rate("near_miss") >= NEAR_MISS_FLOOR, flagged


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_in_scope_requests_reach_their_intent(path: Path) -> None:
    result = report(path)
    wrong = [f"{o.example.text!r}: {o.intent} {o.slots}" for o in result.wrong("in_scope")]
    assert result.rate("in_scope") >= IN_SCOPE_FLOOR, wrong


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_requests_for_other_skills_fall_back(path: Path) -> None:
    result = report(path)
    wrong = [f"{o.example.text!r}: {o.intent}" for o in result.wrong("out_of_scope")]
    assert result.rate("out_of_scope") >= OUT_OF_SCOPE_FLOOR, wrong


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
