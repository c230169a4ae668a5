"""``python -m skill prerender``: render every reply the dialog can give, ahead of time.

The dialog is finite: from a handful of starting points (a new user, people part of the
way through, people who finished) every command applied to every state reached gives
the replies the skill can say. Rendering them at build time, into one JSON table per
locale and view (``en-US/welcome.json``), lets a cold Lambda answer without importing
Jinja2 or compiling a template, after parsing only the table of the view it says.
Replies the search does not reach (an unforeseen slot word) are rendered on demand.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from skill.config import LOCALES
from skill.core.dialog import Action, Command, Conversation, Reply, handle
from skill.core.program import TIP_COUNT
from skill.core.progress import Progress
from skill.speech.render import PRERENDERED_DIR, Speech, reply_key, templates_digest

NOW = 1_800_000_000  # any fixed time: replies depend on time only through these offsets
DAY = 86_400
DEPTH = 6  # turns from each start; deep enough to reach every view (a test checks)

STARTS = (
    Progress(),
    Progress(current_tip=2, finished_tips=frozenset({1, 2}), last_visit=NOW - 3600),
    Progress(current_tip=3, finished_tips=frozenset({1, 2, 3}), last_visit=NOW - 30 * DAY),
    Progress(
        current_tip=TIP_COUNT,
        finished_tips=frozenset(range(1, TIP_COUNT + 1)),
        program_finished=True,
        last_visit=NOW - DAY,
    ),
    Progress(
        current_tip=TIP_COUNT,
        finished_tips=frozenset(range(1, TIP_COUNT + 1)),
        program_finished=True,
        direction_finished=True,
        last_visit=NOW - DAY,
    ),
    Progress(direction_finished=True, last_visit=NOW - DAY),
)


def commands(partners: Iterable[str] = ("husband",)) -> list[Command]:
    """Every command, with tip numbers in and out of range and the partner words given."""
    plain = [Command(a) for a in Action if a not in (Action.GO_TO_TIP, Action.START_MOTIVATE)]
    tips = [Command(Action.GO_TO_TIP, tip=n, heard=str(n)) for n in (*range(1, TIP_COUNT + 1),)]
    wrong = [Command(Action.GO_TO_TIP, tip=n, heard=str(n)) for n in (0, TIP_COUNT + 1, 9)] + [
        Command(Action.GO_TO_TIP, heard="banana"),
        Command(Action.GO_TO_TIP),
    ]
    starts = [Command(Action.START_MOTIVATE)] + [
        Command(Action.START_MOTIVATE, partner=p) for p in partners
    ]
    return plain + tips + wrong + starts


def explore(
    partners: Iterable[str] = ("husband",), depth: int = DEPTH
) -> Iterator[tuple[Reply, str]]:
    """Each reply reachable within ``depth`` turns, with the path that reached it."""
    every = commands(partners)
    seen: set[tuple[str, str]] = set()
    frontier = [(Conversation(), p, "start") for p in STARTS]
    for _ in range(depth):
        next_frontier = []
        for conversation, progress, path in frontier:
            # "last" only feeds "repeat"; leaving it out of the key keeps the search small.
            key = (repr(conversation._replace(last=None).to_dict()), repr(progress.to_dict()))
            if key in seen:
                continue
            seen.add(key)
            for command in every:
                turn = handle(conversation, progress, command, NOW)
                label = f"{path} > {command.action.value}"
                yield turn.reply, label
                if not turn.reply.end_session:
                    next_frontier.append((turn.conversation, turn.progress, label))
        frontier = next_frontier


def reachable_replies(partners: Iterable[str] = ("husband",)) -> list[tuple[Reply, str]]:
    """The distinct replies with speech, each with one path that reaches it."""
    unique: dict[str, tuple[Reply, str]] = {}
    for reply, label in explore(partners):
        if reply.view is not None:
            unique.setdefault(reply_key(reply.view, reply.data, reply.card), (reply, label))
    return list(unique.values())


def partner_words(model_path: Path) -> list[str]:
    """The canonical partner words of the interaction model: what Alexa resolves slots to."""
    model = json.loads(model_path.read_text(encoding="utf-8"))
    for slot_type in model["interactionModel"]["languageModel"].get("types", []):
        if slot_type["name"] == "PartnerType":
            return [value["name"]["value"] for value in slot_type["values"]]
    return []


def build(out_dir: Path, locales: Iterable[str] = LOCALES, model_dir: Path | None = None) -> int:
    """Write ``<locale>/<view>.json`` tables into ``out_dir``; returns the number of replies
    per locale."""
    from skill.paths import MODEL_DIR

    model_dir = model_dir or MODEL_DIR
    speech = Speech(prerendered_dir=None)
    digest = templates_digest()
    count = 0
    explored: dict[tuple[str, ...], list[tuple[Reply, str]]] = {}
    for locale in locales:
        model = model_dir / f"{locale}.json"
        partners = tuple(partner_words(model if model.exists() else model_dir / "en-US.json"))
        if partners not in explored:  # the search is the same for locales with one model
            explored[partners] = reachable_replies(partners)
        tables: dict[str, dict[str, list[str | None]]] = {}
        for reply, _ in explored[partners]:
            assert reply.view is not None
            rendered = speech.render_now(locale, reply.view, reply.data, reply.card)
            key = reply_key(reply.view, reply.data, reply.card)
            tables.setdefault(reply.view, {})[key] = [
                rendered.speech,
                rendered.reprompt,
                rendered.card_title,
                rendered.card_text,
            ]
        folder = out_dir / locale
        if folder.is_dir():  # views renamed or removed since the last build must not linger
            for old in folder.glob("*.json"):
                old.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        for view, table in tables.items():
            document = {"templates": digest, "replies": table}
            text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            (folder / f"{view}.json").write_text(text + "\n", encoding="utf-8")
        count = sum(len(table) for table in tables.values())
    return count


def load(out_dir: Path, locale: str) -> dict[str, dict[str, Any]]:
    """The documents ``build`` wrote for ``locale``, by view."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((out_dir / locale).glob("*.json"))
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill prerender", description=__doc__)
    parser.add_argument(
        "--out",
        type=Path,
        default=PRERENDERED_DIR,
        help="folder for the tables (default: templates/_prerendered)",
    )
    parser.add_argument("--locale", action="append", help="only this locale (repeatable)")
    args = parser.parse_args(argv)
    count = build(args.out, args.locale or LOCALES)
    print(f"pre-rendered {count} replies per locale into {args.out}")
    return 0
