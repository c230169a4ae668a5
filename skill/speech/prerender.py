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
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from skill.config import LOCALES
from skill.core.dialog import (
    MAX_MISSES,
    VARIANTS,
    Action,
    Command,
    Conversation,
    Reply,
    Turn,
    handle,
)
from skill.core.program import LONG_ABSENCE_SECONDS, Catalog
from skill.core.progress import ProgramProgress, Progress
from skill.digest import sha256
from skill.paths import ROOT
from skill.speech.programs import get_catalog
from skill.speech.render import PRERENDERED_DIR, Speech, reply_key, templates_digest

NOW = 1_800_000_000  # any fixed time: replies depend on time only through these offsets
DAY = 86_400
DEPTH = 5  # turns from each start; deep enough to reach every view and step (tests check)


def starts(catalog: Catalog) -> list[Progress]:
    """Where people can be when they open the skill: new, part way through each program
    (recently and after a long absence), having finished it, having done them all, and
    with a practice the last session closed in."""
    found = [Progress()]
    for program in catalog:
        n = program.size
        part_way = ProgramProgress(position=min(2, n), heard=frozenset(range(1, min(2, n) + 1)))
        done = ProgramProgress(position=n, heard=frozenset(range(1, n + 1)), finished=True)
        practices = [k for k, step in enumerate(program.steps, 1) if step.practice]
        guided = [k for k, step in enumerate(program.steps, 1) if step.kind == "guided"]
        left = (practices or guided or [0])[0]
        closed_in = ProgramProgress(
            position=left, heard=frozenset(range(1, left + 1)), unfinished=left
        )
        for program_progress, visit in (
            (part_way, NOW - 3600),
            (part_way, NOW - 30 * DAY),
            (done, NOW - DAY),
            *([(closed_in, NOW - DAY)] if left else []),
        ):
            found.append(
                replace(Progress().with_program(program.id, program_progress), last_visit=visit)
            )
    everything = Progress()
    for program in catalog:
        n = program.size
        everything = everything.with_program(
            program.id, ProgramProgress(position=n, heard=frozenset(range(1, n + 1)), finished=True)
        )
    found.append(replace(everything, last_visit=NOW - DAY))
    return found


def commands(catalog: Catalog, partners: Iterable[str] = ("husband",)) -> list[Command]:
    """Every command, with step numbers in and out of range and the partner words given.

    Of the numbers in range only the first, a middle one and the last are asked for: the
    others give the same replies with another number (walking with "next" reaches them
    all), and each jump multiplies the progress the search must follow.
    """
    plain = [Command(a) for a in Action if a not in (Action.GO_TO_STEP, Action.START_PROGRAM)]
    most = (
        max(program.size for program in catalog if program.numbered)
        if any(program.numbered for program in catalog)
        else 1
    )
    steps = [
        Command(Action.GO_TO_STEP, number=n, heard=str(n))
        for n in sorted({1, (most + 1) // 2, most})
    ]
    steps += [Command(Action.GO_TO_STEP, position="last"), Command(Action.PREVIOUS, number=2)]
    wrong = [Command(Action.GO_TO_STEP, number=n, heard=str(n)) for n in (0, most + 1)] + [
        Command(Action.GO_TO_STEP, heard="banana"),
        Command(Action.GO_TO_STEP),
    ]
    begin = [Command(Action.START_PROGRAM, program=program.id) for program in catalog]
    begin += [
        Command(Action.START_PROGRAM, program=program.id, partner=partner)
        for program in catalog
        for partner in partners
    ]
    begin += [Command(Action.START_PROGRAM, heard="banana"), Command(Action.START_PROGRAM)]
    # The partner-danger answer depends on who the partner is; what follows it does not.
    danger = [Command(Action.SAFETY, partner=partner) for partner in partners]
    return plain + steps + wrong + begin + danger


def _key(conversation: Conversation, progress: Progress, catalog: Catalog) -> str:
    """What the replies from here on depend on, coarsely: states that agree on it are
    searched once. "last" only feeds "repeat" and the visit time only whether a launch
    recaps. Which variant a view is said in (the conversation's ``uses``, the visits) is
    left out: every variant of each reply is rendered anyway (``variants``). Of a
    program's progress, the replies see the step reached, whether it was heard and
    practised, how many were heard, where a resume would go and whether it is done;
    which of the other steps were heard or practised only changes a later reply about
    them, which another path reaches too."""
    absent = progress.last_visit is not None and NOW - progress.last_visit > LONG_ABSENCE_SECONDS
    programs = []
    for program in catalog:
        p = progress.of(program.id)
        at = min(p.position, program.size)
        programs.append(
            (
                at,
                at in p.heard,
                at in p.practiced,
                len([n for n in p.heard if n <= program.size]),
                p.resume_step(program.size),
                p.heard_all(program.size),
                p.finished,
            )
        )
    pacing = (progress.pace, progress.room)
    return repr((_coarse(conversation), programs, progress.current, absent, pacing))


def _coarse(conversation: Conversation) -> Conversation:
    """The conversation as far as the replies from here on depend on it. "quiet" (a hard
    moment this visit) only stops a reminder being offered, and only a channel that can
    set one is offered one: without ``can_remind`` it changes no reply. (Kept, it doubled
    the states searched: every answer to a disclosure or a feeling sets it.)"""
    state = conversation._replace(last=None, uses=())
    if not state.can_remind:
        state = state._replace(quiet=False)
    if state.before is not None:
        state = state._replace(before=_coarse(state.before))
    return state


def variants(reply: Reply) -> list[Reply]:
    """The reply in each of its variants (``v``), and a fallback at each level of
    escalation, or itself when it has neither."""
    found = [reply]
    if reply.view == "fallback":
        found = [reply._replace(data={**reply.data, "level": n}) for n in range(1, MAX_MISSES + 1)]
    if "v" not in reply.data:
        return found
    return [r._replace(data={**r.data, "v": v}) for r in found for v in range(VARIANTS)]


def _onwards(before: Progress, turn: Turn) -> bool:
    """Whether the search goes on from this turn's state. Not after a fallback (the same
    state, one miss further: ``variants`` renders every level) nor a change of pace (the
    same words at another rate: the pace is applied after the templates, and the replies
    of one pace change show it is)."""
    if turn.reply.end_session or turn.reply.view == "fallback":
        return False
    return (turn.progress.pace, turn.progress.room) == (before.pace, before.room)


def walk(
    catalog: Catalog, partners: Iterable[str] = ("husband",), depth: int = DEPTH
) -> Iterator[tuple[Reply | None, Command, Turn, str]]:
    """Every turn the search takes: the reply said before it (None at a session's start),
    the command, the turn and the path that reached it. Each state (by ``_key``) is
    searched from once, from the first path that reaches it."""
    every = commands(catalog, partners)
    seen: set[str] = set()
    where = starts(catalog)
    frontier: list[tuple[Conversation, Progress, Reply | None, str]] = [
        (Conversation(), p, None, "start") for p in where
    ]
    # A channel that can set reminders (Alexa) is offered one after a practice; one start
    # part way through the first program reaches that offer and what follows it. (From
    # every start, it would add half as many states again for the same replies.)
    frontier += [(Conversation(can_remind=True), p, None, "start") for p in where[1:2]]
    for _ in range(depth):
        next_frontier: list[tuple[Conversation, Progress, Reply | None, str]] = []
        for conversation, progress, before, path in frontier:
            key = _key(conversation, progress, catalog)
            if key in seen:
                continue
            seen.add(key)
            for command in every:
                turn = handle(conversation, progress, command, NOW, catalog)
                label = f"{path} > {command.action.value}"
                yield before, command, turn, label
                if _onwards(progress, turn):
                    next_frontier.append((turn.conversation, turn.progress, turn.reply, label))
                if command.action is Action.FALLBACK and turn.reply.view == "fallback":
                    # The search stops at a fallback (``variants`` renders every level):
                    # the miss after the last level, which ends the session, is here.
                    missed = conversation._replace(misses=MAX_MISSES)
                    last = handle(missed, progress, command, NOW, catalog)
                    yield before, command, last, f"{label} x{MAX_MISSES + 1}"
        frontier = next_frontier


def explore(
    catalog: Catalog, partners: Iterable[str] = ("husband",), depth: int = DEPTH
) -> Iterator[tuple[Reply, str]]:
    """Each reply reachable within ``depth`` turns, with the path that reached it."""
    for _, _, turn, label in walk(catalog, partners, depth):
        yield turn.reply, label


def reachable_replies(
    catalog: Catalog | None = None,
    partners: Iterable[str] = ("husband",),
    found: Iterable[tuple[Reply, str]] | None = None,
) -> list[tuple[Reply, str]]:
    """The distinct replies with speech, each with one path that reaches it. The search
    takes seconds and a build or a test run asks for it more than once, so it is kept per
    catalog; ``found`` gives the replies of a walk already made (``walk``), to keep instead
    of searching again."""
    key = (catalog or get_catalog(), tuple(partners))
    replies = _REACHABLE.get(key)
    if replies is None:
        replies = distinct(found) if found is not None else _searched(*key)
        _REACHABLE[key] = replies
        while len(_REACHABLE) > KEPT_SEARCHES:
            del _REACHABLE[next(iter(_REACHABLE))]
    return list(replies)


KEPT_SEARCHES = 8
_REACHABLE: dict[tuple[Catalog, tuple[str, ...]], tuple[tuple[Reply, str], ...]] = {}
# Searches kept on disk, by the digest of all they depend on (the dialog core's code, this
# module's, the catalog and the partner words): the next build, check or test run of the
# same sources reads the replies instead of searching again. Where build/ is not writable
# (an installed package, Lambda), every process searches.
SEARCH_CACHE = ROOT / "build" / "explored"


def _searched(catalog: Catalog, partners: tuple[str, ...]) -> tuple[tuple[Reply, str], ...]:
    digest = sha256(repr((catalog.programs, partners)).encode())
    for module in [*sorted((ROOT / "skill" / "core").glob("*.py")), Path(__file__)]:
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    path = SEARCH_CACHE / f"{digest.hexdigest()[:24]}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return tuple((Reply.from_dict(reply), label) for reply, label in stored)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not searched yet for these sources, or unreadable: search
    replies = distinct(explore(catalog, partners))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_text(
            json.dumps([[reply.to_dict(), label] for reply, label in replies]), encoding="utf-8"
        )
        partial.replace(path)
    except OSError:
        pass
    return replies


def distinct(found: Iterable[tuple[Reply, str]]) -> tuple[tuple[Reply, str], ...]:
    """Each distinct reply with speech, in every variant, with the first path to it."""
    unique: dict[str, tuple[Reply, str]] = {}
    first: dict[str, tuple[Reply, str]] = {}
    for reply, label in found:
        if reply.view is not None:
            first.setdefault(reply_key(reply.view, reply.data, reply.card), (reply, label))
    for reply, label in first.values():
        for each in variants(reply):
            assert each.view is not None
            unique.setdefault(reply_key(each.view, each.data, each.card), (each, label))
    return tuple(unique.values())


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
    catalog = get_catalog()
    digest = templates_digest()
    count = 0
    explored: dict[tuple[str, ...], list[tuple[Reply, str]]] = {}
    for locale in locales:
        model = model_dir / f"{locale}.json"
        partners = tuple(partner_words(model if model.exists() else model_dir / "en-US.json"))
        if partners not in explored:  # the search is the same for locales with one model
            explored[partners] = reachable_replies(catalog, partners)
        tables: dict[str, dict[str, list[str | None]]] = {}
        for reply, _ in explored[partners]:
            assert reply.view is not None
            rendered = speech.render_now(locale, reply.view, reply.data, reply.card)
            key = reply_key(reply.view, reply.data, reply.card)
            tables.setdefault(reply.view, {})[key] = list(rendered)
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
