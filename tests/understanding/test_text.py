"""The canonical form and the speller: what typing and speech to text change, undone."""

from __future__ import annotations

import pytest

from skill.understanding.spelling import Speller, distance
from skill.understanding.text import canonical


@pytest.mark.parametrize(
    ("said", "canon"),
    [
        ("I'm ready!", "i am ready"),
        ("im ready", "i am ready"),
        ("I\u2019m ready", "i am ready"),
        ("he wont go", "he will not go"),
        ("she doesn't", "she does not"),
        ("gonna wanna gotta", "going to want to got to"),
        ("Um, Alexa, uh, next", "next"),
        ("couples counselling", "couples counseling"),
        ("my hubby", "my husband"),
        ("OK", "okay"),
        ("", ""),
    ],
)
def test_canonical(said: str, canon: str) -> None:
    assert canonical(said) == canon


def test_the_same_sentence_typed_three_ways_is_one() -> None:
    forms = {
        canonical(s) for s in ("I don't know", "i dont know", "I do not know.", "um, I don't know")
    }
    assert forms == {"i do not know"}


@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [("next", "next", 0), ("nxet", "next", 1), ("repaet", "repeat", 1), ("cat", "dog", 3)],
)
def test_distance(a: str, b: str, edits: int) -> None:
    assert distance(a, b, limit=3) == edits


def test_distance_stops_at_its_limit() -> None:
    assert distance("a", "abcdef", limit=1) == 2


def test_the_speller_corrects_only_words_it_does_not_know() -> None:
    speller = Speller(["repeat that", "my husband", "tip three", "not now"])
    assert speller.correct("repaet that") == "repeat that"
    assert speller.correct("my husbnad") == "my husband"
    assert speller.correct("tip three") == "tip three"
    # Too far from any known word, too short, or a number: left as it is.
    assert speller.correct("purple xy 42") == "purple xy 42"
