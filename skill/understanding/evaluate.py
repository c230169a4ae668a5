"""Measure the ear: ``python -m skill evaluate [--set FILE ...] [--locale en-US]``.

Reads labelled utterances (JSON lines: text, intent, group, optional slots; see
docs/understanding.md) and prints, per group, how often the resolver got them right,
then the confusions. It does the same for the interaction model's samples alone (exact
matching with slot checks, no safety check and no classifier), which shows how much of
the way people talk the samples cover by themselves, as a baseline.

The floors the tests hold (tests/understanding/test_floors.py) are computed here too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.paths import ROOT
from skill.understanding.resolver import SAFETY_INTENTS, Resolution, Resolver, get_resolver
from skill.understanding.samples import FALLBACK
from skill.understanding.text import canonical

DATA_DIR = ROOT / "tests" / "understanding" / "data"
GROUPS = (
    "safety:physical",
    "safety:threats",
    "safety:fear",
    "safety:sexual",
    "safety:coercive_control",
    "safety:stalking",
    "safety:self_harm",
    "near_miss",
    "in_scope",
    "out_of_scope",
)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    group: str
    slots: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    example: Example
    intent: str | None
    slots: Mapping[str, str | None]
    category: str | None

    @property
    def flagged(self) -> bool:
        return self.intent in SAFETY_INTENTS

    @property
    def right(self) -> bool:
        """What the group asks for: the right intent (and slots), or for a near miss,
        no safety answer."""
        group = self.example.group
        if group == "near_miss":
            return not self.flagged
        if self.intent != self.example.intent:
            return False
        return all(self.slots.get(k) == v for k, v in self.example.slots.items())


@dataclass
class Report:
    outcomes: list[Outcome]

    def by_group(self) -> dict[str, list[Outcome]]:
        groups: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            groups.setdefault(outcome.example.group, []).append(outcome)
        return groups

    def rate(self, group: str) -> float:
        outcomes = self.by_group().get(group, [])
        return sum(o.right for o in outcomes) / len(outcomes) if outcomes else 1.0

    def wrong(self, group: str | None = None) -> list[Outcome]:
        return [
            o for o in self.outcomes if not o.right and (group is None or o.example.group == group)
        ]

    def confusions(self) -> Counter[tuple[str, str]]:
        return Counter(
            (o.example.intent, o.intent or "(nothing)")
            for o in self.outcomes
            if o.intent != o.example.intent
        )


def read_examples(path: Path) -> list[Example]:
    """The labelled utterances of one JSON-lines file; a bad line is an error."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row: dict[str, Any] = json.loads(line)
            example = Example(
                row["text"], row["intent"], row["group"], dict(row.get("slots") or {})
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a labelled utterance ({error})") from error
        if example.group not in GROUPS:
            raise ValueError(f"{path}:{number}: unknown group {example.group!r}")
        examples.append(example)
    return examples


def data_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


Resolve = Callable[[str], Resolution]


def evaluate(examples: Iterable[Example], resolve: Resolve) -> Report:
    outcomes = []
    for example in examples:
        heard = resolve(example.text)
        outcomes.append(Outcome(example, heard.intent, heard.slots, heard.category))
    return Report(outcomes)


def samples_alone(resolver: Resolver) -> Resolve:
    """The model's samples by themselves: exact matches, else the fallback."""

    def resolve(text: str) -> Resolution:
        match = resolver.samples.match(canonical(text))
        if match is None:
            return Resolution(FALLBACK, score=0.0, source="fallback")
        return Resolution(match.intent, match.slots, source="exact")

    return resolve


def format_report(title: str, report: Report, confusions: int = 15) -> str:
    lines = [title, "-" * len(title)]
    groups = report.by_group()
    for group in (*GROUPS, *sorted(set(groups) - set(GROUPS))):
        outcomes = groups.get(group)
        if not outcomes:
            continue
        right = sum(o.right for o in outcomes)
        what = "not flagged" if group == "near_miss" else "right"
        lines.append(
            f"  {group:<24} {right:>4}/{len(outcomes):<4} {right / len(outcomes):6.1%} {what}"
        )
    total = len(report.outcomes)
    right = sum(o.right for o in report.outcomes)
    if total:
        lines.append(f"  {'all':<24} {right:>4}/{total:<4} {right / total:6.1%}")
    common = report.confusions().most_common(confusions)
    if common:
        lines.append("  most common confusions (expected -> got):")
        lines += [f"    {n:>3}  {want} -> {got}" for (want, got), n in common]
    wrong = report.wrong()
    if wrong:
        lines.append("  misses:")
        for o in wrong[: confusions * 2]:
            lines.append(f"    [{o.example.group}] {o.example.text!r}: {o.intent}")
        if len(wrong) > confusions * 2:
            lines.append(f"    ... and {len(wrong) - confusions * 2} more")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill evaluate",
        description="Per-group accuracy and confusions of the text channels' ear.",
    )
    parser.add_argument(
        "--set",
        dest="sets",
        type=Path,
        action="append",
        help="a JSON-lines file of labelled utterances (default: every file in "
        "tests/understanding/data/); may be given more than once",
    )
    parser.add_argument("--locale", default="en-US", help="whose model to resolve against")
    parser.add_argument(
        "--confusions", type=int, default=15, help="how many confusions to list (default 15)"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    files: list[Path] = args.sets or data_files()
    if not files:
        print(f"no data files given or found in {DATA_DIR}", file=sys.stderr)
        return 1
    sets: list[tuple[Path, list[Example]]] = []
    for path in files:
        try:
            sets.append((path, read_examples(path)))
        except (OSError, ValueError) as error:
            print(f"evaluate: {error}", file=sys.stderr)
            return 1
    resolver = get_resolver(args.locale)
    for path, examples in sets:
        print(f"{path.name}: {len(examples)} utterances, {args.locale}\n")
        print(format_report("resolver", evaluate(examples, resolver.resolve), args.confusions))
        print()
        alone = evaluate(examples, samples_alone(resolver))
        print(format_report("the model's samples alone", alone, args.confusions))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
