"""How the ear does on words nobody tuned for, before any sealed set is opened:
``python -m skill train-ear --cross-validate``.

Each writer of the corpus is left out in turn: the heads are trained on everything else
(the model's samples and the other writers) and judged on that writer's lines, through
the resolver's own steps and thresholds. A writer's voice is never in the heads that
judge it, so the figures say what a new writer's words would get. The same run sweeps the
safety thresholds over the left-out danger scores: that table is how ``safety.ALARM`` and
``safety.CHECK_IN`` were chosen (docs/understanding.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from skill.config import LOCALES
from skill.understanding.corpus import (
    CORPUS_DIR,
    PARTNER,
    SELF_HARM,
    corpus_files,
    training_rows,
)
from skill.understanding.encoder import Encoder
from skill.understanding.evaluate import Outcome, outcome_of, read_examples
from skill.understanding.features import Features
from skill.understanding.heads import Heads
from skill.understanding.resolver import Resolver
from skill.understanding.samples import load_model
from skill.understanding.text import canonical

ALARMS = (0.5, 0.6, 0.7, 0.8, 0.9)
CHECK_INS = (0.05, 0.1, 0.15, 0.2, 0.3)


class Judged(NamedTuple):
    outcome: Outcome
    danger: float  # the safety head's partner + self-harm probability, left out


def folds(names: Iterable[str] | None = None) -> list[str]:
    """The corpus files left out in turn: every writer's set with disclosures in it."""
    wanted = set(names) if names else None
    return [
        path.stem
        for path in corpus_files()
        if (wanted is None or path.stem in wanted)
        and any(e.group.startswith("safety:") for e in read_examples(path))
    ]


def cross_validate(left_out: Sequence[str], encoder: Encoder) -> list[Judged]:
    from skill.understanding.training import train

    judged: list[Judged] = []
    known: dict[str, Features] = {}
    files = {path.stem: path for path in corpus_files(CORPUS_DIR)}
    for name in left_out:
        rows = training_rows(LOCALES, CORPUS_DIR, leave_out=name)
        trained = train(rows, encoder, known)
        heads = Heads(trained["safety"], trained["feelings"], trained["intents"], {})
        resolver = Resolver(load_model("en-US"), heads, encoder)
        for example in read_examples(files[name]):
            said = canonical(example.text)
            row = known.get(said) or resolver.features(said)
            p = heads.safety.probability(row)
            outcome = outcome_of(example, resolver.resolve(example.text))
            judged.append(Judged(outcome, p[PARTNER] + p[SELF_HARM]))
        print(f"  left out {name}: {len(judged)} judged so far", flush=True)
    return judged


def summary(judged: Sequence[Judged]) -> str:
    counts: Counter[str] = Counter()
    for j in judged:
        counts[f"{j.outcome.example.group.split(':')[0]}:{j.outcome.verdict}"] += 1
    lines = []
    for group in ("safety", "near_miss", "in_scope", "out_of_scope"):
        total = sum(n for key, n in counts.items() if key.startswith(group + ":"))
        if total:
            parts = ", ".join(
                f"{key.split(':')[1]} {n} ({n / total:.1%})"
                for key, n in sorted(counts.items())
                if key.startswith(group + ":")
            )
            lines.append(f"  {group:<13} {total:>5}: {parts}")
    return "\n".join(lines)


def sweep(judged: Sequence[Judged]) -> str:
    """Disclosures caught and near misses alarmed or checked in, for each pair of
    thresholds (alarm at or above the first, check-in from the second)."""
    disclosures = [j.danger for j in judged if j.outcome.example.group.startswith("safety:")]
    near = [j.danger for j in judged if j.outcome.example.group == "near_miss"]
    lines = ["  alarm  check-in   caught  alarmed  near misses alarmed  checked in"]
    for alarm in ALARMS:
        for check in CHECK_INS:
            caught = sum(d >= check for d in disclosures) / len(disclosures)
            answered = sum(d >= alarm for d in disclosures) / len(disclosures)
            alarmed = sum(d >= alarm for d in near) / len(near)
            asked = sum(check <= d < alarm for d in near) / len(near)
            lines.append(
                f"  {alarm:5.2f}  {check:8.2f}  {caught:7.1%}  {answered:7.1%}"
                f"  {alarmed:19.1%}  {asked:10.1%}"
            )
    return "\n".join(lines)


def save(judged: Sequence[Judged], path: Path) -> None:
    """Every left-out judgement, for reading the corpus's misses (never a sealed set's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for j in judged:
            o = j.outcome
            item = {
                "text": o.example.text,
                "group": o.example.group,
                "want": o.example.intent,
                "got": o.intent,
                "verdict": o.verdict,
                "danger": round(j.danger, 4),
            }
            out.write(json.dumps(item) + "\n")
