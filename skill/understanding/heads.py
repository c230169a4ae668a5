"""The trained heads: linear read-outs of ``features``, trained at build time, shipped.

Two heads share one file, ``trained/ear.npz`` (the arrays) beside ``trained/ear.json``
(classes, the digest of what they were trained from, and when):

- **safety**: none / danger from a partner / self-harm;
- **feelings**: among what is no disclosure, a hard feeling or not;
- **intents**: every intent of the model but the safety ones, and the fallback.

A head is multinomial logistic regression: weights for the dense block, weights for the
hashed words block, a bias, and a softmax. Loading is reading two small files; no
training happens when a resolver is made (``python -m skill train-ear`` trains, see
``training``). A test checks that the shipped heads were trained from the corpus and
model in the checkout.
"""

from __future__ import annotations

import json
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from skill.understanding.features import Features

TRAINED_DIR = Path(__file__).resolve().parent / "trained"
ARRAYS = "ear.npz"
META = "ear.json"
HEADS = ("safety", "feelings", "intents")
_FIXED_DATE = (2020, 1, 1, 0, 0, 0)

Vector = npt.NDArray[np.float32]


class HeadsMissing(RuntimeError):
    """No trained heads where they should be: run ``python -m skill train-ear``."""


class Head(NamedTuple):
    classes: tuple[str, ...]
    dense: npt.NDArray[np.float32]  # DENSE_DIMENSIONS x classes
    sparse: npt.NDArray[np.float16]  # HASH_DIMENSIONS x classes
    bias: npt.NDArray[np.float32]

    def scores(self, row: Features) -> Vector:
        result: Vector = row.dense @ self.dense + self.bias
        if len(row.indices):
            result = result + row.values @ self.sparse[row.indices].astype(np.float32)
        return result

    def probabilities(self, row: Features) -> Vector:
        scores = self.scores(row)
        scores = np.exp(scores - scores.max())
        result: Vector = scores / scores.sum()
        return result

    def probability(self, row: Features) -> dict[str, float]:
        return dict(zip(self.classes, (float(p) for p in self.probabilities(row)), strict=True))


class Heads(NamedTuple):
    safety: Head
    feelings: Head
    intents: Head
    meta: dict[str, Any]


def save(directory: Path, heads: dict[str, Head], meta: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, head in heads.items():
        arrays[f"{name}_dense"] = head.dense.astype(np.float32)
        arrays[f"{name}_sparse"] = head.sparse.astype(np.float16)
        arrays[f"{name}_bias"] = head.bias.astype(np.float32)
    classes = {name: list(head.classes) for name, head in heads.items()}
    # The .npz is written by hand, not with np.savez_compressed, which stamps every member
    # with the time of writing: in a fixed order and with a fixed date, the same training
    # gives the same bytes, so the committed file changes only when the heads do.
    with zipfile.ZipFile(directory / ARRAYS, "w", zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            member = zipfile.ZipInfo(f"{key}.npy", date_time=_FIXED_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w") as out:
                np.lib.format.write_array(out, arrays[key], allow_pickle=False)
    (directory / META).write_text(
        json.dumps({**meta, "classes": classes}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def load(directory: Path = TRAINED_DIR) -> Heads:
    try:
        meta: dict[str, Any] = json.loads((directory / META).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS) as arrays:
            heads = {
                name: Head(
                    tuple(meta["classes"][name]),
                    arrays[f"{name}_dense"],
                    arrays[f"{name}_sparse"],
                    arrays[f"{name}_bias"],
                )
                for name in HEADS
            }
    except (OSError, KeyError, ValueError) as exc:
        raise HeadsMissing(
            f"the ear's trained heads are missing or unreadable in {directory}: "
            "run `python -m skill train-ear`"
        ) from exc
    return Heads(heads["safety"], heads["feelings"], heads["intents"], meta)


@lru_cache(maxsize=1)
def shipped() -> Heads:
    return load()
