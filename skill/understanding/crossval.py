"""How the ear does on words nobody tuned for, before any sealed set is opened:
``python -m skill train-ear --cross-validate``.

Each writer of the corpus is left out in turn: the heads are trained on everything else
(the model's samples and the other writers) and judged on that writer's lines, through
the resolver's own steps and thresholds. A writer's voice is never in the heads that
judge it, so the figures say what a new writer's words would get; the thresholds in
``safety`` and ``resolver`` were chosen on them (docs/understanding.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from skill.config import LOCALES
from skill.understanding.corpus import CORPUS_DIR, corpus_files, model_rows, read_corpus
from skill.understanding.evaluate import Outcome, Report, outcome_of, read_examples
from skill.understanding.heads import Heads
from skill.understanding.resolver import Resolver
from skill.understanding.samples import load_model


def folds(names: Iterable[str] | None = None) -> list[str]:
    """The corpus files left out in turn: every writer's set with disclosures in it."""
    wanted = set(names) if names else None
    return [
        path.stem
        for path in corpus_files()
        if (wanted is None or path.stem in wanted)
        and any(e.group.startswith("safety:") for e in read_examples(path))
    ]


def cross_validate(left_out: Sequence[str], encoder: object) -> Report:
    from skill.understanding.training import CORPUS_WEIGHT, train  # noqa: PLC0415

    outcomes: list[Outcome] = []
    base = list(model_rows(LOCALES))
    files = {path.stem: path for path in corpus_files(CORPUS_DIR)}
    for name in left_out:
        rows = base + [
            row
            for stem, path in files.items()
            if stem != name
            for row in read_corpus(path, CORPUS_WEIGHT)
        ]
        trained = train(rows, encoder)  # type: ignore[arg-type]
        heads = Heads(trained["safety"], trained["intents"], {})
        resolver = Resolver(load_model("en-US"), heads, encoder)  # type: ignore[arg-type]
        for example in read_examples(files[name]):
            outcomes.append(outcome_of(example, resolver.resolve(example.text)))
        print(f"  left out {name}: {len(outcomes)} judged so far", flush=True)
    return Report(outcomes)


def summary(report: Report) -> str:
    counts: Counter[str] = Counter()
    for o in report.outcomes:
        counts[f"{o.example.group.split(':')[0]}:{o.verdict}"] += 1
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
