"""The interaction model as the ear reads it: samples, slot types, and exact matching.

Exact matching comes first and captures slots, checking each against its slot type as
Alexa would ("tip banana" is no tip). The same samples, with their slots filled in by
the type's own values, are what the statistical classifier learns from.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from skill.paths import MODEL_DIR
from skill.understanding.numbers import parse_number
from skill.understanding.text import canonical
from skill.understanding.times import date_slot, duration_slot, time_slot

FALLBACK = "AMAZON.FallbackIntent"

# What Alexa understands for its built-in intents without samples of ours.
BUILT_IN_SAMPLES: dict[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": ("yes", "yeah", "yep", "yes please", "sure", "ok", "okay"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks", "nah"),
    "AMAZON.HelpIntent": ("help", "help me", "what can i do"),
    "AMAZON.StopIntent": ("stop", "shut up", "be quiet", "off"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
    "AMAZON.NavigateHomeIntent": ("go home", "home", "main menu"),
    "AMAZON.NextIntent": ("next", "next one", "skip", "skip this"),
    "AMAZON.PreviousIntent": ("previous", "back", "go back"),
    "AMAZON.RepeatIntent": ("repeat", "say it again", "what did you say", "pardon"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again"),
    "AMAZON.PauseIntent": ("pause", "pause please"),
    "AMAZON.ResumeIntent": ("resume", "continue", "unpause"),
}

# Spoken forms that fill number slots when the classifier learns from the samples.
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "2", "3")
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "2nd")
_SLOT = re.compile(r"\{(\w+)\}")
# Amazon's slot types without values in the model: the words must be the whole of one.
_WHOLE_SLOT = {
    "AMAZON.TIME": time_slot,
    "AMAZON.DATE": date_slot,
    "AMAZON.DURATION": duration_slot,
}
FIRST_NAME = "AMAZON.FirstName"
_ONE_NAME = re.compile(r"[a-z][a-z'-]{0,29}")
# First names the training fills a name slot with: a few, of many origins.
_FIRST_NAMES = ("sam", "alex", "maria", "james", "priya", "kofi", "mei", "jordan")
# What people put in Amazon's time, date and duration slots. A filler with no meaning of its
# own ("remind me at something") made the reminder samples the nearest thing to many
# sentences they have nothing to do with, disclosures among them (measured on the corpus).
_BUILT_IN_VALUES: dict[str, tuple[str, ...]] = {
    "AMAZON.TIME": ("eight", "seven thirty", "nine pm", "eight in the morning", "noon", "six"),
    "AMAZON.DATE": ("tomorrow", "saturday", "monday", "next week", "friday", "sunday"),
    "AMAZON.DURATION": ("an hour", "ten minutes", "two hours", "half an hour", "a day"),
}


@dataclass(frozen=True)
class Sample:
    intent: str
    text: str  # as written in the model, slots in braces
    slot_types: Mapping[str, str]


@dataclass(frozen=True)
class Match:
    intent: str
    slots: dict[str, str | None]


def load_model(locale: str = "en-US") -> dict[str, Any]:
    path = MODEL_DIR / f"{locale}.json"
    if not path.exists():
        path = MODEL_DIR / "en-US.json"
    model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return model


class Samples:
    """One locale's model: its samples, slot values and invocation name."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        language = model["interactionModel"]["languageModel"]
        self.invocation = canonical(language["invocationName"])
        self.intents: tuple[str, ...] = tuple(i["name"] for i in language["intents"])
        # slot type -> canonical words -> the value Alexa would send
        self.types: dict[str, dict[str, str]] = {}
        for slot_type in language.get("types", []):
            words: dict[str, str] = {}
            for value in slot_type["values"]:
                name = value["name"]["value"]
                for word in (name, *value["name"].get("synonyms", [])):
                    words[canonical(word)] = name
            self.types[slot_type["name"]] = words
        self.samples: list[Sample] = []
        for intent in language["intents"]:
            name = intent["name"]
            slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            for text in (*intent.get("samples", []), *BUILT_IN_SAMPLES.get(name, ())):
                self.samples.append(Sample(name, text, slot_types))
        self.phrases: dict[str, str] = {}
        self.patterns: list[tuple[Sample, re.Pattern[str]]] = []
        for sample in self.samples:
            if "{" in sample.text:
                self.patterns.append((sample, _compile(sample.text)))
            else:
                self.phrases.setdefault(canonical(sample.text), sample.intent)
        # Intents whose slots are first names: words spelling must not put right.
        self.naming = frozenset(
            s.intent for s in self.samples if FIRST_NAME in s.slot_types.values()
        )
        # Longer patterns first, so "go back {count} tips" is tried before "go back {count}".
        self.patterns.sort(key=lambda item: -len(item[0].text))

    def slot_value(self, slot_type: str, words: str) -> str | None:
        """The slot value Alexa would send, or None when the words don't fit the type."""
        if slot_type in ("AMAZON.NUMBER", "AMAZON.Ordinal"):
            number = parse_number(words)
            return str(number) if number is not None else None
        if slot_type == FIRST_NAME:
            # A first name is one word ("we're sam and alex"), never a sentence.
            return words if _ONE_NAME.fullmatch(words) else None
        if slot_type in _WHOLE_SLOT:
            return _WHOLE_SLOT[slot_type](words)
        values = self.types.get(slot_type)
        if values is None:
            return words
        return values.get(words)

    def match(self, words: str) -> Match | None:
        """The intent and slots of a sample that ``words`` (canonical) say exactly.

        Slot words that are values of their types win over words a type lacks: "skip to
        the fifth tip" is the {ordinal} sample, not the {position} one."""
        if words in self.phrases:
            return Match(self.phrases[words], {})
        return self._match(words, strict=True) or self._match(words, strict=False)

    def _match(self, words: str, strict: bool) -> Match | None:
        for sample, pattern in self.patterns:
            found = pattern.match(words)
            if not found:
                continue
            slots: dict[str, str | None] = {}
            for slot, heard in found.groupdict().items():
                slot_type = sample.slot_types.get(slot, "")
                value = self.slot_value(slot_type, heard)
                if value is None and (
                    strict or slot_type.startswith("AMAZON.") or _short(sample.text)
                ):
                    break  # words that are no value of the type: not this sample
                # Like Alexa, a long sample keeps words its type lacks ("my mother in law").
                slots[slot] = value if value is not None else heard
            else:
                return Match(sample.intent, slots)
        return None

    def training(self, fills: int = 3, seed: int = 11) -> list[tuple[str, str]]:
        """(canonical text, intent) pairs: every sample, its slots filled ``fills`` ways
        with values of their types (the same every time: seeded)."""
        chooser = random.Random(seed)
        pairs: list[tuple[str, str]] = []
        for sample in self.samples:
            if "{" not in sample.text:
                pairs.append((canonical(sample.text), sample.intent))
                continue
            for _ in range(fills):
                pairs.append((canonical(self._fill(sample, chooser)), sample.intent))
        return list(dict.fromkeys(pairs))

    def _fill(self, sample: Sample, chooser: random.Random) -> str:
        def value(match: re.Match[str]) -> str:
            slot_type = sample.slot_types.get(match.group(1), "")
            if slot_type == "AMAZON.NUMBER":
                return chooser.choice(_NUMBER_WORDS)
            if slot_type == "AMAZON.Ordinal":
                return chooser.choice(_ORDINAL_WORDS)
            if slot_type == FIRST_NAME:
                return chooser.choice(_FIRST_NAMES)
            if slot_type in _BUILT_IN_VALUES:
                return chooser.choice(_BUILT_IN_VALUES[slot_type])
            words = sorted(self.types.get(slot_type, {"something": ""}))
            return chooser.choice(words)

        return _SLOT.sub(value, sample.text)

    def slot_samples(self, intent: str) -> Iterator[Sample]:
        return (s for s in self.samples if s.intent == intent and "{" in s.text)


def _short(sample: str) -> bool:
    """A sample that is mostly its slot ("start {program}"): any words would fit it, so
    only the type's own values may."""
    return len(_SLOT.sub("", sample).split()) < 4


def _compile(sample: str) -> re.Pattern[str]:
    """A sample with slots as a regular expression over canonical words."""
    names = _SLOT.findall(sample)
    text = sample
    for i, name in enumerate(names):
        text = text.replace(f"{{{name}}}", f" qqslot{i}qq ")
    regex = re.escape(canonical(text))
    for i, name in enumerate(names):
        regex = regex.replace(f"qqslot{i}qq", f"(?P<{name}>.+?)")
    return re.compile(f"^{regex}$")


@lru_cache(maxsize=8)
def samples_for(locale: str = "en-US") -> Samples:
    return Samples(load_model(locale))
