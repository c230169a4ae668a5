"""An offline stand-in for Alexa's speech understanding, for the chat and the phone line.

It resolves typed or transcribed words against the interaction model: exact samples
first (capturing slots and checking them against their slot types), then a safety net
for disclosures of danger, then a tolerant fuzzy match for near-misses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from skill.paths import MODEL_DIR
from skill.understanding.numbers import parse_number

FUZZY_CUTOFF = 80  # rapidfuzz ratio; lower lets unrelated short phrases match each other

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

# Words that, said about a partner or home, mean danger: answered with the safety message
# even when no sample matches exactly. Over-matching here is the safe mistake.
_DANGER = re.compile(
    r"\b(hits? me|hitting me|hurts? me|hurting me|beats? me|beating me|abus\w*|"
    r"afraid of (him|her|them|my)|scared of (him|her|them|my)|not safe|unsafe|"
    r"threat\w*|violen\w*|kill me|choke\w*|strangle\w*|rape\w*|assault\w*)\b"
)

_LAUNCH_VERB = re.compile(
    r"^(?:alexa )?(?:open|launch|start|begin|run|load|use|talk to|ask|tell) (?P<rest>.+)$"
)
_CONNECTOR = re.compile(r"^(?:and|to|for|about|that|if|whether) ")


@dataclass(frozen=True)
class Resolution:
    """What the words mean: open the skill, an intent with slots, or nothing known."""

    intent: str | None = None
    slots: dict[str, str | None] = field(default_factory=dict)
    launch: bool = False  # "open ally coach": a LaunchRequest, maybe with an intent after it
    score: float = 100.0


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")  # typographic apostrophes from phones
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


class Resolver:
    def __init__(self, model: dict[str, Any]) -> None:
        language = model["interactionModel"]["languageModel"]
        self.invocation = normalise(language["invocationName"])
        self.types: dict[str, dict[str, str]] = {}
        for slot_type in language.get("types", []):
            words: dict[str, str] = {}
            for value in slot_type["values"]:
                name = value["name"]["value"]
                for word in (name, *value["name"].get("synonyms", [])):
                    words[normalise(word)] = name
            self.types[slot_type["name"]] = words
        self.patterns: list[tuple[str, re.Pattern[str], dict[str, str]]] = []
        self.phrases: dict[str, str] = {}
        for intent in language["intents"]:
            name = intent["name"]
            slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            samples = list(intent.get("samples", [])) + list(BUILT_IN_SAMPLES.get(name, ()))
            for sample in samples:
                if "{" in sample:
                    self.patterns.append((name, self._compile(sample), slot_types))
                else:
                    self.phrases.setdefault(normalise(sample), name)

    @staticmethod
    def _compile(sample: str) -> re.Pattern[str]:
        names = re.findall(r"\{(\w+)\}", sample)
        text = sample
        for i, name in enumerate(names):
            text = text.replace(f"{{{name}}}", f" qqslot{i}qq ")
        regex = re.escape(normalise(text))
        for i, name in enumerate(names):
            regex = regex.replace(f"qqslot{i}qq", f"(?P<{name}>.+?)")
        return re.compile(f"^{regex}$")

    def _slot_value(self, slot_type: str, words: str) -> str | None:
        """The slot value Alexa would send, or None when the words don't fit the type."""
        if slot_type == "AMAZON.NUMBER":
            number = parse_number(words)
            return str(number) if number is not None else None
        if slot_type == "AMAZON.Ordinal":
            number = parse_number(words)
            return str(number) if number is not None else None
        values = self.types.get(slot_type)
        if values is None:
            return words
        return values.get(words)

    def resolve(self, text: str) -> Resolution:
        words = normalise(text)
        if not words:
            return Resolution()
        launch = self._launch(words)
        if launch is not None:
            return launch
        return self.resolve_intent(words)

    def _launch(self, words: str) -> Resolution | None:
        """ "open ally coach", or a one-shot "ask ally coach to help me talk to my partner"."""
        match = _LAUNCH_VERB.match(words)
        if not match:
            return None
        rest = match.group("rest")
        if rest != self.invocation and not rest.startswith(self.invocation + " "):
            return None
        rest = _CONNECTOR.sub("", rest[len(self.invocation) :].strip())
        if not rest:
            return Resolution(launch=True)
        inner = self.resolve_intent(rest)
        return Resolution(inner.intent, inner.slots, launch=True, score=inner.score)

    def resolve_intent(self, words: str) -> Resolution:
        words = normalise(words)
        if words in self.phrases:
            return Resolution(self.phrases[words])
        for intent, pattern, slot_types in self.patterns:
            match = pattern.match(words)
            if not match:
                continue
            slots: dict[str, str | None] = {}
            fits = True
            for slot, heard in match.groupdict().items():
                value = self._slot_value(slot_types.get(slot, ""), heard)
                if value is None and slot_types.get(slot, "").startswith("AMAZON."):
                    fits = False
                    break
                slots[slot] = value if value is not None else heard
            if fits:
                return Resolution(intent, slots)
        if _DANGER.search(words):
            return Resolution("SafetyIntent")
        return self._fuzzy(words)

    def _fuzzy(self, words: str) -> Resolution:
        from rapidfuzz import fuzz, process

        best = process.extractOne(
            words, list(self.phrases), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if best is None:
            return Resolution("AMAZON.FallbackIntent", score=0.0)
        phrase, score, _ = best
        return Resolution(self.phrases[phrase], score=float(score))

    def hints(self, limit: int = 100) -> list[str]:
        """Short phrases a speech recogniser should expect (for the phone line)."""
        phrases = sorted(self.phrases, key=lambda p: (len(p.split()), p))
        return phrases[:limit]


def load_model(locale: str = "en-US") -> dict[str, Any]:
    path = MODEL_DIR / f"{locale}.json"
    if not path.exists():
        path = MODEL_DIR / "en-US.json"
    model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return model


@lru_cache(maxsize=8)
def get_resolver(locale: str = "en-US") -> Resolver:
    return Resolver(load_model(locale))
