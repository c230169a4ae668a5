"""The classifier on its own: it learns, ranks, leaves out, and is repeatable."""

from __future__ import annotations

import math

import pytest

from skill.understanding.classifier import Classifier

PAIRS = [
    ("turn on the light", "light"),
    ("switch the lights on", "light"),
    ("make it bright", "light"),
    ("play some music", "music"),
    ("put on a song", "music"),
    ("play my playlist", "music"),
    ("what is the weather", "weather"),
    ("will it rain today", "weather"),
    ("is it sunny outside", "weather"),
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(PAIRS)


def test_it_generalises_beyond_its_examples(classifier: Classifier) -> None:
    assert classifier.best("please turn the lights on")[0] == "light"
    assert classifier.best("play a song for me")[0] == "music"
    assert classifier.best("is it going to rain")[0] == "weather"


def test_it_forgives_typos(classifier: Classifier) -> None:
    assert classifier.best("wether today")[0] == "weather"


def test_confidences_are_a_ranking_that_sums_to_one(classifier: Classifier) -> None:
    ranked = classifier.ranked("play music")
    assert [c for _, c in ranked] == sorted((c for _, c in ranked), reverse=True)
    assert math.isclose(sum(c for _, c in ranked), 1.0, rel_tol=1e-5)
    assert {i for i, _ in ranked} == {"light", "music", "weather"}


def test_left_out_intents_are_never_answered(classifier: Classifier) -> None:
    ranked = classifier.ranked("play music", leave_out={"music"})
    assert "music" not in {i for i, _ in ranked}
    assert math.isclose(sum(c for _, c in ranked), 1.0, rel_tol=1e-5)


def test_training_is_repeatable() -> None:
    first, second = Classifier(PAIRS), Classifier(PAIRS)
    assert (first.weights == second.weights).all()


def test_nothing_to_learn_from_is_an_error() -> None:
    with pytest.raises(ValueError):
        Classifier([])
