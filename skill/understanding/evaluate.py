"""Measure the ear: ``python -m skill evaluate [--set FILE ...] [--locale en-US]``.

Reads labelled utterances (JSON lines: text, intent, group, optional slots; see
docs/understanding.md) and prints, for each set, what each reader made of them:

- disclosures answered (a safety intent), checked in about (a concern intent), missed;
- near misses alarmed, checked in about, left alone;
- in-scope requests right (intent and slots); out-of-scope requests to the fallback.

The readers are the ear (``resolver``), the interaction model's samples alone (exact
matching with slot checks), and a nearest-sample reader (``nearest``): every utterance
takes the intent of the model sample nearest in meaning, a neutral stand-in for Alexa,
whose only lever is the samples. The floors the tests hold are computed here too.
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
from skill.understanding.corpus import SAFETY_INTENTS
from skill.understanding.resolver import ASKING_INTENTS, Resolution, Resolver, get_resolver
from skill.understanding.samples import FALLBACK
from skill.understanding.text import canonical

DATA_DIR = ROOT / "tests" / "understanding" / "data"
SAFETY_GROUPS = (
    "safety:physical",
    "safety:threats",
    "safety:fear",
    "safety:sexual",
    "safety:coercive_control",
    "safety:stalking",
    "safety:self_harm",
)
GROUPS = (*SAFETY_GROUPS, "near_miss", "in_scope", "out_of_scope")


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
        """The full alarm: a safety answer."""
        return self.intent in SAFETY_INTENTS

    @property
    def asked(self) -> bool:
        """A check-in: "are you safe right now?"."""
        return self.intent in ASKING_INTENTS

    @property
    def verdict(self) -> str:
        group = self.example.group
        if group.startswith("safety:"):
            return "answered" if self.flagged else "checked in" if self.asked else "missed"
        if group == "near_miss":
            return "alarmed" if self.flagged else "checked in" if self.asked else "left alone"
        return "right" if self.right else "wrong"

    @property
    def right(self) -> bool:
        """What the group asks for. A disclosure: the right safety answer. A near miss: no
        alarm and no check-in. Else the right intent (and slots)."""
        group = self.example.group
        if group == "near_miss":
            return not self.flagged and not self.asked
        if self.intent != self.example.intent:
            return False
        return all(self.slots.get(k) == v for k, v in self.example.slots.items())

    @property
    def caught(self) -> bool:
        """A disclosure answered or checked in about."""
        return self.flagged or self.asked


def outcome_of(example: Example, heard: Resolution) -> Outcome:
    return Outcome(example, heard.intent, heard.slots, heard.category)


@dataclass
class Report:
    outcomes: list[Outcome]

    def by_group(self) -> dict[str, list[Outcome]]:
        groups: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            groups.setdefault(outcome.example.group, []).append(outcome)
        return groups

    def of(self, *groups: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.example.group in groups]

    def rate(self, group: str) -> float:
        outcomes = self.of(group)
        return sum(o.right for o in outcomes) / len(outcomes) if outcomes else 1.0

    def share(self, groups: Iterable[str], test: Callable[[Outcome], bool]) -> float:
        outcomes = self.of(*groups)
        return sum(test(o) for o in outcomes) / len(outcomes) if outcomes else 1.0

    def caught(self) -> float:
        """Disclosures answered or checked in about."""
        return self.share(SAFETY_GROUPS, lambda o: o.caught)

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
    return Report([outcome_of(example, resolve(example.text)) for example in examples])


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
    for group in GROUPS:
        outcomes = groups.get(group)
        if not outcomes:
            continue
        counts = Counter(o.verdict for o in outcomes)
        parts = ", ".join(f"{verdict} {n}" for verdict, n in counts.most_common())
        lines.append(f"  {group:<24} {len(outcomes):>4}: {parts}")
    disclosures = report.of(*SAFETY_GROUPS)
    near = report.of("near_miss")
    if disclosures:
        lines.append(
            f"  disclosures caught (answered or checked in): {report.caught():.1%}"
            f" of {len(disclosures)}"
        )
    if near:
        alarmed = report.share(["near_miss"], lambda o: o.flagged)
        asked = report.share(["near_miss"], lambda o: o.asked)
        lines.append(f"  near misses alarmed {alarmed:.1%}, checked in {asked:.1%} of {len(near)}")
    for group in ("in_scope", "out_of_scope"):
        if groups.get(group):
            lines.append(f"  {group} right: {report.rate(group):.1%} of {len(groups[group])}")
    common = report.confusions().most_common(confusions)
    if common and confusions:
        lines.append("  most common confusions (expected -> got):")
        lines += [f"    {n:>3}  {want} -> {got}" for (want, got), n in common]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill evaluate",
        description="What the ear, the samples alone and a nearest-sample reader make of "
        "labelled utterances.",
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
        "--confusions", type=int, default=10, help="how many confusions to list (default 10)"
    )
    parser.add_argument(
        "--misses",
        action="store_true",
        help="list every miss (never on a sealed set: reading it unseals it)",
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
    from skill.understanding.nearest import NearestSample

    resolver = get_resolver(args.locale)
    nearest = NearestSample(resolver.samples)
    for path, examples in sets:
        print(f"{path.name}: {len(examples)} utterances, {args.locale}\n")
        ear = evaluate(examples, resolver.resolve)
        print(format_report("the ear", ear, args.confusions))
        if args.misses:
            for o in ear.wrong():
                print(f"    [{o.example.group}] {o.example.text!r}: {o.intent}")
        print()
        print(
            format_report(
                "the model's samples alone", evaluate(examples, samples_alone(resolver)), 0
            )
        )
        print()
        print(
            format_report(
                "nearest sample (a stand-in for Alexa)", evaluate(examples, nearest.resolve), 0
            )
        )
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
