"""``python -m skill content --check``: is every program's content complete and speakable?

For every program and every locale it renders, through the real views, every reply the
dialog can give with that content (the dialog is explored as ``skill.speech.prerender``
does for the build), and checks what Alexa and the ear need:

* every step and every part of its practice is reached and renders (no missing template
  or macro, no missing value);
* the SSML is valid, every pause is within Alexa's 10-second limit, and a reply that
  keeps the session open has a reprompt that says what the user can say;
* no sentence is longer than one breath, and a reply asks one question at most;
* no sentence runs into a question after a comma ("If you'd like more, Would you like..."),
  and none reads as an order after "you finished" ("Last time, you finished tip 2. Show
  what your partner can gain.");
* every practice (a piece: ``piece`` in the reply's data) is one continuous piece: it never
  asks to "say ready", and at the slowest pace with the longest pauses it still plays
  within APL for Audio's limit (``skill.speech.timeline``);
* the sounds that can play under a practice (``sounds.json``) are the sound library's;
* what starts the program is in the interaction model: its start intents, and its names
  among the values of the ``ProgramType`` slot type.

A writer runs it on a folder of their own with ``--templates DIR``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from skill.config import LOCALES
from skill.core.dialog import Reply
from skill.core.program import Catalog, ContentError
from skill.core.progress import PACE_RANGE, ROOM_RANGE
from skill.paths import MODEL_DIR, TEMPLATES_DIR
from skill.speech.prerender import reachable_replies
from skill.speech.programs import get_catalog
from skill.speech.render import Rendered, Speech
from skill.speech.sounds import load_sounds
from skill.speech.ssml import to_text, validate
from skill.speech.timeline import BUDGET_MS, MAX_PIECE_MS, length_ms, segments

MAX_WORDS_PER_SENTENCE = 26  # about one breath when spoken
PROGRAM_SLOT_TYPE = "ProgramType"
# What a reprompt must contain so the user knows what to say.
_CUE = re.compile(r"\b(say|yes|no)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# A question word after a comma, capitalised: a sentence that runs into a question.
QUESTION_WORDS = (
    "Would Shall Should Do Does Did Can Could Will What How Why Where When Who Which Is Are"
)
_COMMA_QUESTION = re.compile(r",\s+(?:%s)\b" % QUESTION_WORDS.replace(" ", "|"))  # noqa: UP031
# How a sentence may begin after one that says "you finished": anything else (a tip's
# title, "Show what your partner can gain.") reads as an order.
_OPENERS = """I I'm I'll I've You You're You've We We're We'll Let's It It's That That's This
    There There's They Your Our My The A An Some All Now So And But Then Well Last Next Here
    Shall Would Do Did Can Could Will Is Are Good Great Welcome Hello"""
NOT_AN_ORDER = frozenset(_OPENERS.split())
_SAY_READY = re.compile(r"\bsay,? ready\b", re.IGNORECASE)


def long_sentences(ssml: str | None) -> list[str]:
    text = to_text(ssml, show_pauses=False) if ssml else ""
    return [s for s in _SENTENCE_END.split(text) if len(s.split()) > MAX_WORDS_PER_SENTENCE]


def sentences(ssml: str | None) -> list[str]:
    text = to_text(ssml, show_pauses=False) if ssml else ""
    return [s for s in _SENTENCE_END.split(text) if s]


def speech_problems(ssml: str | None) -> list[str]:
    """What reads badly in one speech or reprompt: two questions, a comma that runs into a
    question, an order after "you finished"."""
    found = []
    said = sentences(ssml)
    questions = [s for s in said if s.endswith("?")]
    if len(questions) > 1:
        found.append(f"more than one question: {questions!r}")
    for sentence in said:
        if _COMMA_QUESTION.search(sentence):
            found.append(f"a sentence runs into a question after a comma: {sentence!r}")
    for before, after in itertools.pairwise(said):
        first = after.split()[0].strip(",.") if after.split() else ""
        if "you finished" in before.lower() and first not in NOT_AN_ORDER:
            found.append(f"reads as an order after {before!r}: {after!r}")
    return found


def piece_problems(speech: Speech, locale: str, reply: Reply, rendered: Rendered) -> list[str]:
    """A practice is one continuous piece. As written it plays within the budget of
    ``skill.speech.timeline`` (nothing shortened), and at the slowest pace with the longest
    pauses within APL for Audio's limit."""
    if not reply.data.get("piece"):
        return []
    if not rendered.timeline:
        return ["a practice with no timeline"]
    found = []
    if _SAY_READY.search(to_text(rendered.timeline, show_pauses=False)):
        found.append("a practice that waits for 'say ready' inside it")
    assert reply.view is not None
    pace = int(reply.data.get("pace") or 0)
    if not pace and not reply.data.get("room"):
        ms = length_ms(segments(rendered.timeline))
        if ms > BUDGET_MS:
            found.append(f"a practice of about {ms / 1000:.0f} s as written, over {BUDGET_MS} ms")
    slowest = {**reply.data, "pace": PACE_RANGE[0], "room": ROOM_RANGE[1]}
    longest = speech.render_now(locale, reply.view, slowest, reply.card).timeline or ""
    ms = length_ms(segments(longest), PACE_RANGE[0])
    if ms > MAX_PIECE_MS:
        found.append(f"a practice of about {ms / 1000:.0f} s at the slowest pace")
    return found


def model_problems(catalog: Catalog, model_dir: Path, locales: Iterable[str]) -> list[str]:
    problems = []
    for locale in locales:
        path = model_dir / f"{locale}.json"
        if not path.exists():
            problems.append(f"{locale}: no interaction model at {path}")
            continue
        language = json.loads(path.read_text(encoding="utf-8"))["interactionModel"]
        model = language["languageModel"]
        intents = {intent["name"] for intent in model["intents"]}
        names: set[str] = set()
        for slot_type in model.get("types", []):
            if slot_type["name"] == PROGRAM_SLOT_TYPE:
                for value in slot_type["values"]:
                    names.add(value["name"]["value"].lower())
                    names.update(s.lower() for s in value["name"].get("synonyms", []))
        for program in catalog:
            for intent in program.start_intents:
                if intent not in intents:
                    problems.append(
                        f"{locale}: {program.id} starts with {intent}, not in the model"
                    )
            for name in program.names:
                if name.lower() not in names:
                    problems.append(
                        f"{locale}: {program.id} is called {name!r}, which is not a value or "
                        f"synonym of {PROGRAM_SLOT_TYPE}"
                    )
            if not program.start_intents and not program.names:
                problems.append(f"{program.id}: nothing in the model starts it")
    return problems


def check(
    root: Path = TEMPLATES_DIR, model_dir: Path = MODEL_DIR, locales: Iterable[str] = LOCALES
) -> list[str]:
    """Every problem found, as sentences; empty when all content is fine."""
    locales = list(locales)
    try:
        catalog = get_catalog(root)
    except ContentError as exc:
        return [str(exc)]
    problems = model_problems(catalog, model_dir, locales)
    problems += [f"sounds.json: {p}" for p in load_sounds(root).problems()]
    replies = reachable_replies(catalog)
    reached = {
        (r.data.get("program"), r.data.get("step_id")) for r, _ in replies if r.view == "step"
    }
    practiced = {
        (r.data.get("program"), r.data.get("step_id")) for r, _ in replies if r.view == "practice"
    }
    for program in catalog:
        for step in program.steps:
            if (program.id, step.id) not in reached:
                problems.append(f"{program.id}: step {step.id!r} is never reached")
            if step.practice and (program.id, step.id) not in practiced:
                problems.append(f"{program.id}: the practice of {step.id!r} is never reached")
    speech = Speech(root=root, prerendered_dir=None)
    for locale in locales:
        for reply, path in replies:
            assert reply.view is not None
            where = f"{locale}: {reply.view} ({path})"
            try:
                rendered = speech.render_now(locale, reply.view, reply.data, reply.card)
                validate(rendered.speech or "")
                problems += [
                    f"{where}: {p}" for p in piece_problems(speech, locale, reply, rendered)
                ]
                if locale == locales[0]:
                    for part in (rendered.speech, rendered.reprompt):
                        problems += [f"{where}: {p}" for p in speech_problems(part)]
                if reply.end_session:
                    continue
                if not rendered.reprompt:
                    problems.append(f"{where}: the session stays open with no reprompt")
                    continue
                validate(rendered.reprompt)
                if not _CUE.search(to_text(rendered.reprompt)):
                    problems.append(f"{where}: the reprompt does not say what to say")
            except Exception as exc:  # report every broken reply, not only the first
                problems.append(f"{where}: {type(exc).__name__}: {exc}")
                continue
            if locale == locales[0]:
                for sentence in long_sentences(rendered.speech) + long_sentences(rendered.reprompt):
                    problems.append(f"{where}: a sentence longer than one breath: {sentence!r}")
    return list(dict.fromkeys(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=".venv/bin/python -m skill content",
        description="Check every program's content in every locale.",
    )
    parser.add_argument("--check", action="store_true", help="check (the only action; default)")
    parser.add_argument("--templates", type=Path, default=TEMPLATES_DIR, help="content folder")
    parser.add_argument("--models", type=Path, default=MODEL_DIR, help="interaction models")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    problems = check(args.templates, args.models)
    for problem in problems[:200]:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.templates}", file=sys.stderr)
        return 1
    for program in get_catalog(args.templates):
        practices = sum(1 for step in program.steps if step.practice)
        print(
            f"{program.id}: {program.size} steps, {practices} with a practice, "
            f"checked in {', '.join(LOCALES)}"
        )
    print("content is complete and speakable")
    return 0
