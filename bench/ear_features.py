"""What each block of the ear's features adds: ``python -m bench.ear_features [VARIANT ...]``.

Leaves six writers of the corpus out in turn (as ``python -m skill train-ear
--cross-validate`` does), trains the safety head and the intents head on the rest with one
set of feature blocks, and prints, over the whole utterance (no clause reading):

- disclosures caught and near misses alarmed / checked in at the shipped thresholds, and
  the most caught at any pair of thresholds within the issue's targets (near misses
  alarmed at most 5%, checked in at most 20%);
- the intents head's in-scope and other-skills figures.

Variants: ``ngrams`` (hashed words and letters, with the cues), ``e5`` (the sentence
vector alone), ``e5+ngrams`` (shipped), ``wordllama+ngrams`` (needs ``pip install
wordllama``). Takes about five minutes a variant on one core. docs/understanding.md has the
table.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from skill.config import LOCALES
from skill.understanding import features, safety
from skill.understanding.corpus import (
    FEELINGS,
    NONE,
    NOT_FOR_THE_INTENTS_HEAD,
    SAFETY_CLASSES,
    corpus_files,
    training_rows,
)
from skill.understanding.evaluate import read_examples
from skill.understanding.resolver import THRESHOLD
from skill.understanding.samples import FALLBACK
from skill.understanding.text import canonical
from skill.understanding.training import C_INTENTS, C_SAFETY, CachedEncoder

FOLDS = ("dev", "train_t1", "train_t3", "train_t6", "train_t12", "train_t13")
VARIANTS = ("ngrams", "e5", "e5+ngrams")


class Blocks:
    def __init__(self) -> None:
        self.encoder = CachedEncoder()
        self._wordllama: Any = None

    def wordllama(self, texts: list[str]) -> Any:
        if self._wordllama is None:
            import wordllama
            from wordllama import WordLlama

            # Its loader looks for tokenizer files beside the weights in a cache folder.
            cache = Path(tempfile.mkdtemp(prefix="wordllama-"))
            package = Path(wordllama.__file__).parent
            shutil.copytree(package / "weights", cache / "weights")
            shutil.copytree(package / "tokenizers", cache / "tokenizers")
            self._wordllama = WordLlama.load(cache_dir=cache, disable_download=True)
        vectors = np.asarray(self._wordllama.embed(texts), dtype=np.float32)
        return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)

    def matrix(self, texts: list[str], variant: str) -> Any:
        from scipy.sparse import csr_matrix, hstack

        parts = []
        if variant.startswith("e5"):
            parts.append(csr_matrix(self.encoder.encode(texts)))
        if variant.startswith("wordllama"):
            parts.append(csr_matrix(self.wordllama(texts)))
        if "ngrams" in variant:
            rows = [features.hashed(text) for text in texts]
            indptr = np.cumsum([0, *(len(i) for i, _ in rows)])
            parts.append(
                csr_matrix(
                    (
                        np.concatenate([v for _, v in rows]),
                        np.concatenate([i for i, _ in rows]),
                        indptr,
                    ),
                    shape=(len(texts), features.HASH_DIMENSIONS),
                )
            )
            parts.append(csr_matrix(np.array([features.cue_vector(t) for t in texts])))
        return hstack(parts).tocsr()


def compare(variant: str, blocks: Blocks) -> str:
    from sklearn.linear_model import LogisticRegression

    files = {path.stem: path for path in corpus_files()}
    disclosures: list[float] = []
    near: list[float] = []
    right = total = other_right = other = 0
    for name in FOLDS:
        rows = training_rows(LOCALES, leave_out=name)
        x = blocks.matrix([row.text for row in rows], variant)
        weights = [row.weight for row in rows]
        labels = [SAFETY_CLASSES.index(NONE if r.safety == FEELINGS else r.safety) for r in rows]
        safety_head = LogisticRegression(C=C_SAFETY, max_iter=5000).fit(x, labels, weights)
        keep = [i for i, row in enumerate(rows) if row.intent not in NOT_FOR_THE_INTENTS_HEAD]
        intents = sorted({rows[i].intent for i in keep})
        intents_head = LogisticRegression(C=C_INTENTS, max_iter=5000).fit(
            x[keep], [intents.index(rows[i].intent) for i in keep], [weights[i] for i in keep]
        )
        examples = read_examples(files[name])
        test = blocks.matrix([canonical(e.text) for e in examples], variant)
        danger = safety_head.predict_proba(test)[:, 1:].sum(axis=1)
        guessed = intents_head.predict_proba(test)
        for example, d, p in zip(examples, danger, guessed, strict=True):
            if example.group.startswith("safety:"):
                disclosures.append(float(d))
            elif example.group == "near_miss":
                near.append(float(d))
            best = int(p.argmax())
            intent = intents[best] if p[best] >= THRESHOLD else FALLBACK
            if example.group == "in_scope":
                total += 1
                right += intent == example.intent
            elif example.group == "out_of_scope":
                other += 1
                other_right += intent == FALLBACK
        blocks.encoder.save()
    d, n = np.array(disclosures), np.array(near)

    def at(alarm: float, check: float) -> tuple[float, float, float]:
        return (d >= check).mean(), (n >= alarm).mean(), ((n >= check) & (n < alarm)).mean()

    caught, alarmed, asked = at(safety.ALARM, safety.CHECK_IN)
    best = max(
        (float((d >= check).mean()), alarm, check)
        for alarm in np.arange(0.5, 0.96, 0.05)
        for check in np.arange(0.02, 0.5, 0.01)
        if (n >= alarm).mean() <= 0.05 and ((n >= check) & (n < alarm)).mean() <= 0.20
    )
    return (
        f"{variant:17} caught {caught:.1%}, near misses alarmed {alarmed:.1%} and checked in "
        f"{asked:.1%} at {safety.ALARM}/{safety.CHECK_IN}; best within the targets "
        f"{best[0]:.1%} ({best[1]:.2f}/{best[2]:.2f}); intents head: in scope "
        f"{right / total:.1%}, other skills {other_right / other:.1%}"
    )


def main(argv: list[str]) -> int:
    blocks = Blocks()
    for variant in argv or VARIANTS:
        print(compare(variant, blocks), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
