"""The statistical intent classifier: a linear model over character and word n-grams.

Trained when a resolver is made, from the interaction model's samples with their slots
filled in (``samples.Samples.training``) and a spread of requests for other skills as the
fallback class (``out_of_domain``). Nothing is downloaded and nothing is stored.

- Features: TF-IDF of character n-grams (2 to 5 letters, within words, so "counselling"
  and "counseling" or "nxt" and "next" share most of theirs) and of words and word
  pairs. Each block is scaled to length 1, so neither outweighs the other.
- Model: one weight vector per intent, learned by the averaged passive-aggressive
  algorithm (Crammer et al., 2006, "Online Passive-Aggressive Algorithms"): a linear
  max-margin classifier, like a linear SVM, that trains in one pass per epoch with numpy
  alone. docs/understanding.md has the measurements that chose it over scikit-learn and
  wordllama.
- Confidence: a softmax over the intents' scores, 0 to 1; the resolver turns a low one
  into the fallback.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

import numpy as np
import numpy.typing as npt

EPOCHS = 20
AGGRESSIVENESS = 1.0  # the C of PA-I: how far one mistake may move the weights
TEMPERATURE = 5.0  # score scale before the softmax; tuned on tests/understanding/data/tune.jsonl
SEED = 7

Vector = npt.NDArray[np.float32]


Grams = tuple[list[str], list[str]]


def _ngrams(words: str) -> Grams:
    """Character n-grams (marked "c") and words and word pairs (marked "w")."""
    tokens = words.split()
    chars = [
        "c" + padded[i : i + n]
        for padded in (f" {token} " for token in tokens)
        for n in (2, 3, 4, 5)
        for i in range(len(padded) - n + 1)
    ]
    grams = ["w" + token for token in tokens]
    grams += ["w" + a + " " + b for a, b in itertools.pairwise(tokens)]
    return chars, grams


class Features:
    """TF-IDF vectors over the n-grams of the training texts."""

    def __init__(self, texts: Sequence[str] | Sequence[Grams]) -> None:
        document_frequency: Counter[str] = Counter()
        for text in texts:
            chars, grams = _ngrams(text) if isinstance(text, str) else text
            document_frequency.update(set(chars) | set(grams))
        names = sorted(document_frequency)
        self.index = {name: i for i, name in enumerate(names)}
        total = len(texts)
        # Smoothed inverse document frequency: rarer n-grams say more.
        self.idf = [math.log((1 + total) / (1 + document_frequency[n])) + 1 for n in names]

    @property
    def size(self) -> int:
        return len(self.index)

    def vector(self, words: str | Grams) -> tuple[npt.NDArray[np.intp], Vector]:
        """The sparse vector of ``words``: feature indices and their values."""
        indices: list[int] = []
        values: list[float] = []
        known, idf = self.index, self.idf
        for block in _ngrams(words) if isinstance(words, str) else words:
            counts = Counter(known[gram] for gram in block if gram in known)
            weights = {i: (1 + math.log(count)) * idf[i] for i, count in counts.items()}
            # Each block to length 1/sqrt(2), so the whole vector has length 1.
            scale = math.sqrt(2) * (math.sqrt(sum(w * w for w in weights.values())) or 1.0)
            indices.extend(weights)
            values.extend(weight / scale for weight in weights.values())
        return np.array(indices, dtype=np.intp), np.array(values, dtype=np.float32)


class Classifier:
    """Intents from words; see the module's doc."""

    def __init__(
        self,
        pairs: Iterable[tuple[str, str]],
        *,
        epochs: int = EPOCHS,
        temperature: float = TEMPERATURE,
        seed: int = SEED,
    ) -> None:
        data = list(pairs)
        if not data:
            raise ValueError("nothing to learn from")
        self.intents: tuple[str, ...] = tuple(sorted({intent for _, intent in data}))
        self.temperature = temperature
        grams = [_ngrams(text) for text, _ in data]
        self.features = Features(grams)
        number = {intent: i for i, intent in enumerate(self.intents)}
        rows = [
            (*self.features.vector(g), number[intent])
            for g, (_, intent) in zip(grams, data, strict=True)
        ]
        self.weights, self.bias = _train(rows, self.features.size, len(self.intents), epochs, seed)

    def scores(self, words: str) -> Vector:
        indices, values = self.features.vector(words)
        result: Vector = values @ self.weights[indices] + self.bias
        return result

    def ranked(self, words: str, leave_out: Collection[str] = ()) -> list[tuple[str, float]]:
        """Every intent but ``leave_out`` with its confidence (0 to 1), best first."""
        scores = self.scores(words)
        kept = [i for i, intent in enumerate(self.intents) if intent not in leave_out]
        scaled = scores[kept] * self.temperature
        scaled = np.exp(scaled - scaled.max())
        confidence = scaled / scaled.sum()
        order = np.argsort(-confidence, kind="stable")
        return [(self.intents[kept[i]], float(confidence[i])) for i in order]

    def best(self, words: str, leave_out: Collection[str] = ()) -> tuple[str, float]:
        return self.ranked(words, leave_out)[0]


def _train(
    rows: list[tuple[npt.NDArray[np.intp], Vector, int]],
    features: int,
    classes: int,
    epochs: int,
    seed: int,
) -> tuple[Vector, Vector]:
    """Averaged multi-class passive-aggressive (PA-I) training; returns weights and bias."""
    weights = np.zeros((classes, features), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    # Sums of every update weighted by when it happened, for the average of all the
    # weight vectors seen (the averaged perceptron's trick): steadier than the last one.
    weighted = np.zeros_like(weights)
    weighted_bias = np.zeros_like(bias)
    order = list(range(len(rows)))
    shuffle = random.Random(seed).shuffle
    squares = [float(values @ values) for _, values, _ in rows]
    step = 1
    for _ in range(epochs):
        shuffle(order)
        for k in order:
            indices, values, right = rows[k]
            scores = weights[:, indices] @ values + bias
            right_score = float(scores[right])
            scores[right] = -np.inf
            wrong = int(scores.argmax())
            loss = 1.0 - (right_score - float(scores[wrong]))
            if loss > 0:
                tau = min(AGGRESSIVENESS, loss / (2.0 * (squares[k] + 1.0)))
                update = tau * values
                weights[right, indices] += update
                weights[wrong, indices] -= update
                bias[right] += tau
                bias[wrong] -= tau
                update *= step
                weighted[right, indices] += update
                weighted[wrong, indices] -= update
                weighted_bias[right] += step * tau
                weighted_bias[wrong] -= step * tau
            step += 1
    averaged: Vector = (weights - weighted / np.float32(step)).T.copy()
    averaged_bias: Vector = bias - weighted_bias / np.float32(step)
    return averaged, averaged_bias
