"""What the trained heads read of an utterance: its meaning, its words, and the cues.

Three blocks, side by side, each of length about 1:

- **meaning**: the sentence encoder's vector (``encoder``, 384 numbers). It carries what
  is meant when no word gives it away ("I packed a bag and hid it at my sister's").
- **words**: character n-grams (3 to 5 letters, inside words) and words and word pairs,
  hashed into ``HASH_DIMENSIONS`` buckets (CRC-32, the same on every machine) with
  sublinear counts. They carry the small words that turn meaning round, which a pooled
  sentence vector blurs: "jk", "lol", "years ago", "in his sleep", "for the boat".
- **cues**: the readable safety cues (``cues.check``): which category held, or that a
  cue was taken back (a near miss), or none.

Measured on the corpus, each block adds to the others (docs/understanding.md); the
sparse words block is what made near misses separable from disclosures.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections import Counter
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from skill.understanding import cues
from skill.understanding.encoder import DIMENSIONS, Encoder, shared

HASH_DIMENSIONS = 1 << 15
CUE_DIMENSIONS = len(cues.CATEGORIES) + 2  # a category held; taken back; nothing matched
# How much each block weighs against the others (1 = the encoder's unit vector).
WORDS_WEIGHT = 1.0
CUES_WEIGHT = 1.0


class Features(NamedTuple):
    """One utterance as the heads read it: a dense block and a sparse one."""

    dense: npt.NDArray[np.float32]  # meaning, then cues: DIMENSIONS + CUE_DIMENSIONS
    indices: npt.NDArray[np.int64]  # hashed n-gram buckets
    values: npt.NDArray[np.float32]


DENSE_DIMENSIONS = DIMENSIONS + CUE_DIMENSIONS


def grams(words: str) -> list[str]:
    """Words, word pairs and character n-grams of canonical words."""
    tokens = words.split()
    found = ["w" + token for token in tokens]
    found += ["w" + a + " " + b for a, b in itertools.pairwise(tokens)]
    found += [
        "c" + padded[i : i + n]
        for padded in (f" {token} " for token in tokens)
        for n in (3, 4, 5)
        for i in range(len(padded) - n + 1)
    ]
    return found


def hashed(words: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The words block: bucket indices and values, scaled to length ``WORDS_WEIGHT``."""
    counts = Counter(zlib.crc32(gram.encode()) % HASH_DIMENSIONS for gram in grams(words))
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
    values = np.fromiter((1.0 + math.log(c) for c in counts.values()), np.float32, len(counts))
    values *= WORDS_WEIGHT / float(np.linalg.norm(values))
    return indices, values


def cue_vector(words: str) -> npt.NDArray[np.float32]:
    vector = np.zeros(CUE_DIMENSIONS, dtype=np.float32)
    finding = cues.check(words)
    if finding.category is not None:
        vector[cues.CATEGORIES.index(finding.category)] = CUES_WEIGHT
    elif finding.near_miss:
        vector[len(cues.CATEGORIES)] = CUES_WEIGHT
    else:
        vector[len(cues.CATEGORIES) + 1] = CUES_WEIGHT
    return vector


def featurize(texts: list[str], encoder: Encoder | None = None) -> list[Features]:
    """Features of canonical ``texts``; the encoder embeds them in one batch."""
    meaning = (encoder or shared()).encode(texts)
    rows = []
    for text, vector in zip(texts, meaning, strict=True):
        indices, values = hashed(text)
        dense = np.concatenate([vector, cue_vector(text)])
        rows.append(Features(dense, indices, values))
    return rows
