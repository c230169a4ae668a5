"""What the ear learns from: the interaction model's samples and the labelled corpus.

The corpus (``interaction_model/corpus/*.jsonl``) is what people say, written by
independent writers, each in their own voice (its README says who and how): disclosures
of every kind, at least as many near misses that share their words, everyday requests
and requests for other skills. Each line is labelled as in the evaluation sets
(``evaluate.read_examples``), with a ``kind`` and a ``locale`` besides.

Rows become the safety head's classes (none, partner danger, self-harm), the feelings
head's (a hard feeling or not, among what is not a disclosure) and the intents head's
intents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from skill.paths import ROOT
from skill.understanding.out_of_domain import OUT_OF_DOMAIN
from skill.understanding.samples import FALLBACK, samples_for
from skill.understanding.text import canonical

CORPUS_DIR = ROOT / "interaction_model" / "corpus"

SAFETY_INTENT = "SafetyIntent"
SELF_HARM_INTENT = "SelfHarmIntent"
CONCERN_INTENTS = frozenset({"ConcernIntent", "SelfHarmConcernIntent"})
SAFETY_INTENTS = frozenset({SAFETY_INTENT, SELF_HARM_INTENT})
# Intents the intents head never answers: the safety head decides these.
NOT_FOR_THE_INTENTS_HEAD = SAFETY_INTENTS | CONCERN_INTENTS | {"FeelingsIntent", "RemarkIntent"}

NONE, FEELINGS, PARTNER, SELF_HARM = "none", "feelings", "partner", "self_harm"
SAFETY_CLASSES = (NONE, PARTNER, SELF_HARM)
FEELING_CLASSES = (NONE, FEELINGS)

# A near miss that is a hard feeling or an everyday complaint, not a request: the ear
# answers it with a short acknowledgement instead of "I didn't catch that". The writers
# named their kinds freely; these are the words they used for such lines.
_FEELING_KINDS = re.compile(
    r"feel|complain|vent|grie[fv]|sad|stress|tired|frustrat|lonel|upset|argu|fight|"
    r"exhaust|cry|resent|bored|hard",
    re.IGNORECASE,
)


_SAMPLE_SAFETY = {SAFETY_INTENT: PARTNER, SELF_HARM_INTENT: SELF_HARM, "FeelingsIntent": FEELINGS}


class Row(NamedTuple):
    text: str  # canonical
    intent: str
    safety: str  # NONE, FEELINGS, PARTNER or SELF_HARM
    source: str  # "model", "other skills", or the corpus file's stem (its writer)
    weight: float


def safety_class(group: str, intent: str, kind: str) -> str:
    if group == "safety:self_harm":
        return SELF_HARM
    if group.startswith("safety:"):
        return PARTNER
    if group == "near_miss" and intent == FALLBACK and _FEELING_KINDS.search(kind):
        return FEELINGS
    return NONE


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def read_corpus(path: Path, weight: float) -> Iterator[Row]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            group, intent = str(item["group"]), str(item["intent"])
            text = canonical(str(item["text"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled line ({exc})") from exc
        if text:
            yield Row(
                text,
                intent,
                safety_class(group, intent, str(item.get("kind", ""))),
                path.stem,
                weight,
            )


def model_rows(locales: Iterable[str]) -> Iterator[Row]:
    """Every locale's samples with their slots filled, and requests for other skills."""
    seen: set[tuple[str, str]] = set()
    for locale in locales:
        for text, intent in samples_for(locale).training():
            if (text, intent) in seen:
                continue
            seen.add((text, intent))
            if intent in CONCERN_INTENTS:
                continue  # unclear on purpose: the corpus teaches where the check-in lies
            yield Row(text, intent, _SAMPLE_SAFETY.get(intent, NONE), "model", 1.0)
    for text in OUT_OF_DOMAIN:
        yield Row(canonical(text), FALLBACK, NONE, "other skills", 1.0)


# What people wrote counts more than the samples, which are many and alike.
CORPUS_WEIGHT = 3.0


def training_rows(
    locales: Iterable[str], directory: Path = CORPUS_DIR, leave_out: str | None = None
) -> list[Row]:
    """Samples and corpus lines; ``leave_out`` names a corpus file to train without.

    Many of the model's samples were taken from the corpus (docs/understanding.md): those
    are read as corpus lines, with the writer's labels, and not twice. So leaving a writer
    out leaves out their lines in the samples too."""
    corpus = [
        row
        for path in corpus_files(directory)
        if path.stem != leave_out
        for row in read_corpus(path, CORPUS_WEIGHT)
    ]
    everything = {row.text for path in corpus_files(directory) for row in read_corpus(path, 1.0)}
    return [row for row in model_rows(locales) if row.text not in everything] + corpus
