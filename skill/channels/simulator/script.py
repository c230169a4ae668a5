"""Dialog scripts: a conversation recorded in the simulator, replayed as a test.

A script is YAML (or JSON): a locale and the turns of one person, in order, each with
what must be heard. ``replay`` runs it through a skill handler (the tests use
``lambda_handler``) with the same resolver and device as the simulator, and fails on the
first turn whose answer is missing something. docs/simulator.md describes the format::

    name: safety disclosure
    locale: en-US
    turns:
      - say: help me talk to my partner     # what the person said (or: silent / leave)
        intent: MotivatePartnerIntent       # what the resolver must make of it
        hear: [Tip 1, Focus on the relationship]   # words the answer must contain
        card: "Tip 1: Focus on the relationship"   # in the card's title
      - say: my husband hits me
        hear: ["911", 1-800-799-7233]
        not_hear: [Tip 2]
        ends: true                          # the answer closes the session

Matching ignores case and punctuation, so a script holds on to content (a tip's words,
a helpline's number), not to the phrasing of greetings that other work may vary.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill.channels.simulator.device import LEAVE, NOT_OPEN, SAY, SILENT, Device, Exchange, Handler
from skill.channels.simulator.speech_plan import plan
from skill.config import LOCALES
from skill.speech.apla import check_document
from skill.speech.ssml import parse, tag_name, to_text, validate

REPLAY_USER = "amzn1.ask.account.DIALOGSCRIPT"
STEP_KINDS = ("say", "silent", "leave")
EXPECTATIONS = ("intent", "hear", "not_hear", "card", "pauses", "ends")
PRACTICE_PAUSE_MS = 2000  # a line followed by a silence this long is a guided practice's
HEADER = (
    "# A dialog script for Ally Coach, recorded in the simulator (docs/simulator.md).\n"
    "# tests/test_dialogs.py replays it through lambda_handler: every turn must be heard.\n"
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CARD_PIECE = re.compile(r'[.!?:"\n]+')
_SLUG = re.compile(r"[^a-z0-9]+")


class ScriptError(ValueError):
    """A script file that cannot be read: says which file and turn, and why."""


class DialogMismatch(AssertionError):
    """A replayed turn did not say what the script says must be heard."""


def plain(text: str) -> str:
    """Lower case words and numbers only: what matching compares."""
    return _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'").replace("'", "")).strip()


def heard_in(phrase: str, text: str) -> bool:
    needle = plain(phrase)
    return bool(needle) and f" {needle} " in f" {plain(text)} "


@dataclass(frozen=True)
class Step:
    """One turn of the person and what the answer to it must contain."""

    say: str | None = None
    silent: bool = False
    leave: bool = False
    intent: str | None = None
    hear: tuple[str, ...] = ()
    not_hear: tuple[str, ...] = ()
    card: str | None = None
    pauses: tuple[float, ...] = ()  # seconds, in order; others may come between
    ends: bool = False

    @property
    def label(self) -> str:
        if self.say is not None:
            return f"you said {self.say!r}"
        return "you stayed silent" if self.silent else "you left"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.say is not None:
            out["say"] = self.say
        elif self.silent:
            out["silent"] = True
        else:
            out["leave"] = True
        if self.intent:
            out["intent"] = self.intent
        if self.hear:
            out["hear"] = list(self.hear)
        if self.not_hear:
            out["not_hear"] = list(self.not_hear)
        if self.card:
            out["card"] = self.card
        if self.pauses:
            out["pauses"] = [int(p) if float(p).is_integer() else p for p in self.pauses]
        if self.ends:
            out["ends"] = True
        return out


@dataclass(frozen=True)
class Script:
    name: str
    locale: str = "en-US"
    steps: tuple[Step, ...] = field(default_factory=tuple)
    source: str = field(default="", compare=False)  # the file it was read from

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "locale": self.locale,
            "turns": [step.to_dict() for step in self.steps],
        }


# --- reading and writing ------------------------------------------------------------------


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        raise ScriptError(f"{where}: {key} must be a list of words")
    return tuple(str(v) for v in value)


def _step(data: Any, where: str) -> Step:
    if not isinstance(data, Mapping):
        raise ScriptError(f"{where}: a turn is a mapping such as {{say: yes}}")
    unknown = set(data) - set(STEP_KINDS) - set(EXPECTATIONS)
    if unknown:
        raise ScriptError(f"{where}: unknown keys {sorted(unknown)}")
    kinds = [k for k in STEP_KINDS if k in data and data[k] not in (None, False)]
    if len(kinds) != 1:
        raise ScriptError(f"{where}: say exactly one of {', '.join(STEP_KINDS)}")
    say = data.get("say")
    if isinstance(say, bool):
        # YAML reads a bare yes, no, on or off as true or false.
        raise ScriptError(f"{where}: say: {say} is not words; quote them, as in say: 'yes'")
    if say is not None and not isinstance(say, str | int | float):
        raise ScriptError(f"{where}: say must be the words said")
    pauses = _strings(data.get("pauses", []), where, "pauses")
    try:
        seconds = tuple(float(p) for p in pauses)
    except ValueError:
        raise ScriptError(f"{where}: pauses are seconds, such as [2, 8, 10]") from None
    intent = data.get("intent")
    card = data.get("card")
    return Step(
        say=str(say) if say is not None else None,
        silent=kinds == ["silent"],
        leave=kinds == ["leave"],
        intent=str(intent) if intent else None,
        hear=_strings(data.get("hear", []), where, "hear"),
        not_hear=_strings(data.get("not_hear", []), where, "not_hear"),
        card=str(card) if card else None,
        pauses=seconds,
        ends=bool(data.get("ends", False)),
    )


def from_dict(data: Any, source: str = "script") -> Script:
    if not isinstance(data, Mapping):
        raise ScriptError(f"{source}: a script is a mapping with name, locale and turns")
    locale = str(data.get("locale") or "en-US")
    if locale not in LOCALES:
        raise ScriptError(f"{source}: locale {locale!r} is not one of {', '.join(LOCALES)}")
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ScriptError(f"{source}: turns must be a non-empty list")
    steps = tuple(_step(turn, f"{source}, turn {i}") for i, turn in enumerate(turns, 1))
    name = str(data.get("name") or Path(source).stem)
    return Script(name=name, locale=locale, steps=steps, source=source)


def load(path: Path) -> Script:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        raise ScriptError(f"{path}: {exc}") from exc
    return from_dict(data, str(path))


def dump(script: Script, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(script.to_dict(), indent=2, ensure_ascii=False) + "\n"
    data = script.to_dict()
    for turn in data["turns"]:
        if "pauses" in turn:
            turn["pauses"] = _Inline(turn["pauses"])
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)
    return HEADER + body


class _Inline(list[Any]):
    """A list written on one line: ``pauses: [2, 8, 10]``."""


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, short lists of numbers inline."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Dumper.add_representer(
    _Inline, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)


def slug(name: str) -> str:
    """A file name for a script's name: letters, digits and dashes."""
    return _SLUG.sub("-", name.lower()).strip("-")[:60]


# --- recording: what must be heard --------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def numbers(ssml: str) -> list[str]:
    """What the answer reads out with ``say-as`` (phone numbers, 911...), in order."""
    found: list[str] = []
    for element in parse(ssml).iter():
        if tag_name(element) == "say-as" and (element.text or "").strip():
            value = (element.text or "").strip()
            if value not in found:
                found.append(value)
    return found


def practice_lines(ssml: str) -> list[str]:
    """The last sentence before each long silence: a guided practice's instructions."""
    lines: list[str] = []
    segments = plan(ssml)
    for before, after in itertools.pairwise(segments):
        if before.text and not after.text and after.ms >= PRACTICE_PAUSE_MS:
            lines.append(_sentences(before.text)[-1])
    return lines


def long_pauses(ssml: str) -> list[float]:
    """The silences of a second or more, in seconds, when the answer is a guided practice."""
    silences = [s.ms for s in plan(ssml) if not s.text]
    if not any(ms >= PRACTICE_PAUSE_MS for ms in silences):
        return []
    return [round(ms / 1000, 1) for ms in silences if ms >= 1000]


def choices(exchange: Exchange) -> list[dict[str, Any]]:
    """What a recorder can require of this answer, each marked when it is a safe default.

    The safe defaults are content that other wording work leaves alone: the card's title
    and text as they are spoken (a tip's words), the numbers read out (helplines), and
    the lines of a guided practice. The sentences of greetings and acknowledgements are
    offered too, unmarked: a recorder may require them, knowing they may change.
    """
    ssml = exchange.speech_ssml
    if not ssml or exchange.kind == SILENT:
        return []
    text = to_text(ssml, show_pauses=False)
    suggested: list[str] = []
    card = exchange.card
    if card:
        pieces = [card["title"], *_CARD_PIECE.split(card["text"])]
        suggested += [p.strip() for p in pieces if len(p.split()) >= 3 and heard_in(p, text)]
    suggested += numbers(ssml)
    suggested += practice_lines(ssml)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for phrase in [*suggested, *_sentences(text)]:
        key = plain(phrase)
        if key and key not in seen:
            seen.add(key)
            out.append({"text": phrase.strip().rstrip(".,;:"), "suggested": phrase in suggested})
    return out


def step_of(exchange: Exchange, hear: Iterable[str]) -> Step:
    """The script turn for a recorded exchange, requiring ``hear`` (checked to be heard)."""
    heard = exchange.text if exchange.kind != SILENT else ""
    hear = tuple(hear)
    missing = [phrase for phrase in hear if not heard_in(phrase, heard)]
    if missing:
        raise ScriptError(f"not in the answer to this turn: {missing}")
    card = exchange.card
    # A card's title is required only when it is spoken content too (a tip's title), not
    # a heading of its own that wording work may change.
    title = card["title"] if card and heard_in(card["title"], heard) else None
    return Step(
        say=exchange.said if exchange.kind == SAY else None,
        silent=exchange.kind == SILENT,
        leave=exchange.kind == LEAVE,
        intent=exchange.understood.intent if exchange.understood else None,
        hear=hear,
        card=title,
        pauses=tuple(long_pauses(exchange.speech_ssml or "")) if exchange.kind == SAY else (),
        ends=exchange.ended,
    )


def recordable(exchange: Exchange) -> bool:
    """Words said to a closed skill send nothing, so there is nothing to replay."""
    return exchange.kind != NOT_OPEN


# --- replay -------------------------------------------------------------------------------


def _check(step: Step, exchange: Exchange, number: int, source: str) -> None:
    where = f"{source}, turn {number} ({step.label})"
    problems: list[str] = []
    if exchange.document:  # a practice: a timeline, not one SSML answer
        check_document(exchange.document)
    for ssml in (None if exchange.document else exchange.speech_ssml, exchange.reprompt_ssml):
        if ssml:
            validate(ssml)
    if exchange.kind == NOT_OPEN:
        problems.append("the skill was not open and the words did not open it")
    if step.intent and (exchange.understood is None or exchange.understood.intent != step.intent):
        got = exchange.understood.intent if exchange.understood else None
        problems.append(f"understood as {got}, not {step.intent}")
    heard = exchange.text
    for phrase in step.hear:
        if not heard_in(phrase, heard):
            problems.append(f"did not hear {phrase!r}")
    for phrase in step.not_hear:
        if heard_in(phrase, heard):
            problems.append(f"heard {phrase!r}, which must not be said")
    card = exchange.card
    if step.card and not (card and heard_in(step.card, card["title"])):
        problems.append(f"no card titled {step.card!r} (card: {card})")
    if step.pauses:
        silences = [s.ms / 1000 for s in plan(exchange.speech_ssml or "") if not s.text]
        wanted = list(step.pauses)
        for seconds in silences:
            if wanted and abs(seconds - wanted[0]) < 0.05:
                wanted.pop(0)
        if wanted:
            problems.append(f"pauses {list(step.pauses)} not all kept: heard {silences}")
    if step.say is not None or step.silent:
        if exchange.ended != step.ends:
            problems.append("the session ended" if exchange.ended else "the session stayed open")
        if not exchange.ended and heard and not exchange.reprompt_ssml:
            problems.append("the session stayed open without a reprompt")
    if problems:
        said = f"\n  heard: {heard!r}" if heard else "\n  heard nothing"
        raise DialogMismatch(f"{where}: " + "; ".join(problems) + said)


def replay(script: Script, handler: Handler, source: str | None = None) -> list[Exchange]:
    """Say each turn of the script to a fresh device; raise ``DialogMismatch`` at the
    first answer that lacks what must be heard. Returns the exchanges."""
    source = source or script.source or script.name
    device = Device(handler, REPLAY_USER, script.locale)
    exchanges: list[Exchange] = []
    for number, step in enumerate(script.steps, 1):
        if step.say is not None:
            exchange = device.say(step.say)
        elif step.silent:
            if not device.active:
                raise DialogMismatch(f"{source}, turn {number}: silence, but no session is open")
            exchange = device.silence()
        else:
            exchange = device.leave()
        _check(step, exchange, number, source)
        exchanges.append(exchange)
    device.leave()
    return exchanges


def script_of(
    name: str, locale: str, exchanges: Sequence[Exchange], picks: Mapping[int, Iterable[str]]
) -> Script:
    """The script of a recording; ``picks`` holds what must be heard, by turn index."""
    steps = tuple(step_of(exchange, picks.get(i, ())) for i, exchange in enumerate(exchanges))
    if not steps:
        raise ScriptError("nothing was recorded")
    return Script(name=name, locale=locale, steps=steps)
