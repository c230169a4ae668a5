"""The ear's parts: the encoder, the features, the shipped heads and their freshness."""

from __future__ import annotations

import math

import numpy as np
import pytest

from skill.understanding import features, heads, training
from skill.understanding.corpus import SAFETY_CLASSES, corpus_files, read_corpus, safety_class
from skill.understanding.encoder import DIMENSIONS, Encoder, shared
from skill.understanding.samples import FALLBACK


def test_the_encoder_reads_meaning_not_words() -> None:
    a, b, c = shared().encode(
        ["he put his hands round my throat", "he strangled me", "can we skip to the next tip"]
    )
    assert a.shape == (DIMENSIONS,) and math.isclose(float(a @ a), 1.0, rel_tol=1e-4)
    assert float(a @ b) > float(a @ c) + 0.05


def test_the_encoder_remembers_recent_texts_and_loads_on_first_use() -> None:
    encoder = Encoder(cache_size=2)
    assert encoder._model is None  # nothing loaded before the first text
    first = encoder.encode(["hello there"])[0]
    assert encoder._model is not None
    encoder._model = None  # a cached text needs no engine
    assert np.array_equal(encoder.encode(["hello there"])[0], first)


def test_hashed_words_are_the_same_on_every_run_and_unit_length() -> None:
    indices, values = features.hashed("i packed a bag and hid it")
    again, _ = features.hashed("i packed a bag and hid it")
    assert np.array_equal(indices, again)
    assert math.isclose(float(np.linalg.norm(values)), features.WORDS_WEIGHT, rel_tol=1e-5)
    assert all(0 <= i < features.HASH_DIMENSIONS for i in indices)


def test_the_shipped_heads_match_the_corpus_model_and_code_in_the_checkout() -> None:
    # Fails when the corpus, a model or the feature code changed without retraining:
    # run `python -m skill train-ear` and commit skill/understanding/trained/.
    assert heads.shipped().meta["digest"] == training.digest()


def test_the_heads_cover_every_class_and_every_intent_but_the_safety_ones() -> None:
    shipped = heads.shipped()
    assert shipped.safety.classes == SAFETY_CLASSES
    assert FALLBACK in shipped.intents.classes
    assert "SafetyIntent" not in shipped.intents.classes
    assert "ConcernIntent" not in shipped.intents.classes
    row = features.featurize(["list the tips"])[0]
    probabilities = shipped.intents.probabilities(row)
    assert math.isclose(float(probabilities.sum()), 1.0, rel_tol=1e-4)
    assert shipped.intents.classes[int(probabilities.argmax())] == "ListTipsIntent"


def test_missing_heads_say_how_to_make_them(tmp_path: object) -> None:
    with pytest.raises(heads.HeadsMissing, match="train-ear"):
        heads.load(tmp_path)  # type: ignore[arg-type]


def test_heads_saved_and_loaded_give_the_same_answers(tmp_path: object) -> None:
    shipped = heads.shipped()
    parts = {"safety": shipped.safety, "feelings": shipped.feelings, "intents": shipped.intents}
    heads.save(tmp_path, parts, {"x": 1})  # type: ignore[arg-type]
    loaded = heads.load(tmp_path)  # type: ignore[arg-type]
    row = features.featurize(["he hit me"])[0]
    assert np.allclose(loaded.safety.probabilities(row), shipped.safety.probabilities(row))


@pytest.mark.parametrize(
    ("group", "intent", "kind", "expected"),
    [
        ("safety:self_harm", "SelfHarmIntent", "hint", "self_harm"),
        ("safety:stalking", "SafetyIntent", "direct", "partner"),
        ("near_miss", FALLBACK, "hard_feelings", "feelings"),
        ("near_miss", FALLBACK, "everyday_complaint", "feelings"),
        ("near_miss", FALLBACK, "joke", "none"),
        ("near_miss", "MotivatePartnerIntent", "hard_feelings", "none"),
        ("in_scope", "ListTipsIntent", "", "none"),
    ],
)
def test_corpus_labels_become_the_safety_heads_classes(
    group: str, intent: str, kind: str, expected: str
) -> None:
    assert safety_class(group, intent, kind) == expected


def test_the_corpus_has_many_writers_and_both_sides_of_the_line() -> None:
    files = corpus_files()
    writers = [p for p in files if p.stem.startswith("train_")]
    assert len(writers) >= 15
    rows = [row for path in files for row in read_corpus(path, 1.0)]
    disclosures = sum(row.safety in ("partner", "self_harm") for row in rows)
    assert len(rows) >= 10_000
    near = sum(
        1 for path in files for line in path.read_text().splitlines() if '"near_miss"' in line
    )
    assert near >= disclosures  # at least as many hard near misses as disclosures
