"""Train the ear's heads at build time: ``python -m skill train-ear [--check]``.

Reads every locale's samples and the corpus (``corpus``), computes their features
(``features``), fits the two heads with scikit-learn's multinomial logistic regression,
and writes ``skill/understanding/trained/`` (``heads``). The file records the digest of
everything it was trained from; ``--check`` (and a test) fails when the checkout has
changed since, so a shipped head always matches its corpus and model.

scikit-learn is a build-time tool here (the ``dev`` extra): the shipped heads are plain
arrays that numpy reads. Sentence vectors are cached under ``build/ear/`` by text, so a
second training after a small corpus change embeds only the new lines.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from skill.config import LOCALES
from skill.paths import MODEL_DIR, ROOT
from skill.understanding import encoder as encoder_module
from skill.understanding.corpus import (
    CORPUS_DIR,
    FEELING_CLASSES,
    FEELINGS,
    NONE,
    NOT_FOR_THE_INTENTS_HEAD,
    SAFETY_CLASSES,
    Row,
    corpus_files,
    training_rows,
)
from skill.understanding.features import DENSE_DIMENSIONS, HASH_DIMENSIONS, Features
from skill.understanding.heads import TRAINED_DIR, Head, load, save

CACHE_DIR = ROOT / "build" / "ear"
# Inverse regularisation strength of the logistic regressions, chosen by leaving one
# writer out at a time (docs/understanding.md, "How the ear was chosen").
C_SAFETY = 10.0
C_INTENTS = 10.0
MAX_ITERATIONS = 5000

_HERE = Path(__file__).resolve().parent
# The code whose change changes what the heads mean.
_CODE = [
    _HERE / "features.py",
    _HERE / "corpus.py",
    _HERE / "training.py",
    _HERE / "text.py",
    _HERE / "out_of_domain.py",
    _HERE / "cues" / "engine.py",
    _HERE / "cues" / "patterns.py",
]


def digest(corpus_dir: Path = CORPUS_DIR, model_dir: Path = MODEL_DIR) -> str:
    """What the heads were trained from: corpus, models, feature code, encoder."""
    sha = hashlib.sha256()
    sha.update(f"{encoder_module.VARIANT} {HASH_DIMENSIONS} {C_SAFETY} {C_INTENTS}".encode())
    inputs = [*corpus_files(corpus_dir), *(model_dir / f"{loc}.json" for loc in LOCALES)]
    for path in [*inputs, *_CODE]:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


class CachedEncoder(encoder_module.Encoder):
    """The encoder with a disk cache, for builds: texts embedded once per machine."""

    def __init__(self, directory: Path = CACHE_DIR) -> None:
        super().__init__(cache_size=1 << 20)
        self.path = directory / f"vectors-{self.variant}.npz"
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as saved:
                for text, vector in zip(saved["texts"], saved["vectors"], strict=True):
                    self._cache[str(text)] = vector

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = np.array(list(self._cache), dtype=str)
        vectors = np.array(list(self._cache.values()), dtype=np.float32)
        np.savez(self.path, texts=texts, vectors=vectors)


def design(rows: Sequence[Features]) -> Any:
    """The rows as one sparse matrix: dense block, then the hashed words."""
    from scipy.sparse import csr_matrix, hstack

    dense = csr_matrix(np.array([row.dense for row in rows], dtype=np.float32))
    indptr = np.cumsum([0, *(len(row.indices) for row in rows)])
    words = csr_matrix(
        (
            np.concatenate([row.values for row in rows]),
            np.concatenate([row.indices for row in rows]),
            indptr,
        ),
        shape=(len(rows), HASH_DIMENSIONS),
        dtype=np.float32,
    )
    return hstack([dense, words]).tocsr()


def fit(matrix: Any, labels: Sequence[str], classes: Sequence[str], weights: Any, c: float) -> Head:
    """A multinomial logistic regression as a ``Head``."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise SystemExit("training the ear needs scikit-learn: pip install -e '.[dev]'") from exc
    index = {name: i for i, name in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    model = LogisticRegression(C=c, max_iter=MAX_ITERATIONS)
    model.fit(matrix, y, sample_weight=weights)
    # sklearn orders classes by label number; every class must have been seen.
    if list(model.classes_) != list(range(len(classes))):
        raise ValueError(f"a class has no examples: {sorted(set(classes) - set(labels))}")
    coef: npt.NDArray[np.float32] = model.coef_.T.astype(np.float32)
    intercept = model.intercept_.astype(np.float32)
    if len(classes) == 2:
        # Two classes: sklearn keeps one weight vector (the second class's log-odds); a
        # softmax over [0, that] gives the same probabilities.
        coef = np.hstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]], dtype=np.float32)
    return Head(
        tuple(classes),
        coef[:DENSE_DIMENSIONS].copy(),
        coef[DENSE_DIMENSIONS:].astype(np.float16),
        intercept,
    )


def train(
    rows: Sequence[Row],
    encoder: encoder_module.Encoder,
    known: dict[str, Features] | None = None,
) -> dict[str, Head]:
    """Both heads from ``rows``; ``known`` holds features already computed, by text."""
    from skill.understanding.features import featurize

    known = {} if known is None else known
    missing = list(dict.fromkeys(row.text for row in rows if row.text not in known))
    known.update(zip(missing, featurize(missing, encoder), strict=True))
    matrix = design([known[row.text] for row in rows])
    weights = np.array([row.weight for row in rows], dtype=np.float64)
    # A hard feeling is no disclosure: the safety head only tells danger from none, and
    # the feelings head, trained on what is not a disclosure, tells a hard feeling.
    labels = [NONE if r.safety == FEELINGS else r.safety for r in rows]
    safety = fit(matrix, labels, SAFETY_CLASSES, weights, C_SAFETY)
    calm = [i for i, row in enumerate(rows) if row.safety in FEELING_CLASSES]
    feelings = fit(
        matrix[calm], [rows[i].safety for i in calm], FEELING_CLASSES, weights[calm], C_SAFETY
    )
    keep = [i for i, row in enumerate(rows) if row.intent not in NOT_FOR_THE_INTENTS_HEAD]
    intents = sorted({rows[i].intent for i in keep})
    intent_head = fit(
        matrix[keep], [rows[i].intent for i in keep], intents, weights[keep], C_INTENTS
    )
    return {"safety": safety, "feelings": feelings, "intents": intent_head}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill train-ear",
        description="Train the ear's heads from the corpus and the interaction model.",
    )
    parser.add_argument(
        "--check", action="store_true", help="only say whether the shipped heads are current"
    )
    parser.add_argument(
        "--cross-validate",
        nargs="*",
        metavar="WRITER",
        help="leave each writer's corpus file out in turn (or only those named), train on "
        "the rest and report what the ear makes of the file left out; writes nothing",
    )
    parser.add_argument("--out", type=Path, default=TRAINED_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.cross_validate is not None:
        from skill.understanding import crossval

        encoder = CachedEncoder()
        left_out = crossval.folds(args.cross_validate)
        print(f"leaving out, in turn: {', '.join(left_out)}")
        judged = crossval.cross_validate(left_out, encoder)
        encoder.save()
        crossval.save(judged, CACHE_DIR / "crossval.jsonl")
        print(crossval.summary(judged))
        print(crossval.sweep(judged))
        print(f"every judgement: {CACHE_DIR / 'crossval.jsonl'}")
        return 0
    wanted = digest()
    if args.check:
        try:
            shipped = load(args.out).meta.get("digest")
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        if shipped != wanted:
            print(
                "the ear's heads are older than the corpus, the model or the feature code: "
                "run `python -m skill train-ear`",
                file=sys.stderr,
            )
            return 1
        print("the ear's heads are current")
        return 0
    rows = training_rows(LOCALES)
    encoder = CachedEncoder()
    print(f"training the ear on {len(rows)} lines ({len(corpus_files())} corpus files)")
    heads = train(rows, encoder)
    encoder.save()
    save(args.out, heads, {"digest": wanted, "lines": len(rows), "variant": encoder.variant})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
