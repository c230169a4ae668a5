"""The ear of the chat and the phone line: words -> an intent of the model, with slots.

Alexa does this for the skill on a speaker. Typed or transcribed words come here instead,
and go through the same steps every time:

1. **Canonical words** (``text.canonical``): case, punctuation, missing apostrophes,
   "gonna", "um", "alexa", "counselling" all put into one form; then slips of typing
   ("nxt") put right towards the model's own words (``spelling.Speller``).
2. **Opening the skill**: "open ally coach", or "ask ally coach to ..." with a request.
3. **Safety first** (``safety.check``), on every utterance: a disclosure of danger from
   a partner is SafetyIntent, of self-harm SelfHarmIntent. A near miss (the cue was
   negated or a figure of speech) keeps both out of the guesses below.
4. **Exact samples** (``samples.Samples.match``), capturing and checking slots.
5. **The classifier** (``classifier.Classifier``), trained from the same samples; below
   ``THRESHOLD`` confidence the answer is AMAZON.FallbackIntent. Slots are then picked
   out of the words by their types' values.

``Resolution.category`` says which kind of danger was heard. It is there for the tests and
the evaluation only: never log it, store it or pass it on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from skill.understanding import safety
from skill.understanding.classifier import Classifier
from skill.understanding.numbers import parse_number
from skill.understanding.out_of_domain import OUT_OF_DOMAIN
from skill.understanding.samples import FALLBACK, Samples, load_model
from skill.understanding.spelling import Speller
from skill.understanding.text import canonical, simple

SAFETY_INTENT = "SafetyIntent"
SELF_HARM_INTENT = "SelfHarmIntent"
SAFETY_INTENTS = frozenset({SAFETY_INTENT, SELF_HARM_INTENT})

# Below this confidence (0 to 1) the classifier's guess is the fallback. Tuned on
# tests/understanding/data/tune.jsonl (docs/understanding.md has the trade-off).
THRESHOLD = 0.35
# The classifier alone, with no safety cue, may answer with a safety intent only when
# this sure; below it, its best other guess is taken. A cue-less disclosure still gets
# the safety answer when it reads like the model's safety samples.
SAFETY_WITHOUT_CUE = 0.7
# Words that would get the fallback still get the safety answer when the safety intents
# together have this much of the classifier's confidence. Chosen on dev.jsonl with the
# cues as they were before its misses were read (docs/understanding.md).
SAFETY_CONCERN = 0.3

_LAUNCH_VERB = re.compile(
    r"^(?:open|launch|start|begin|run|load|use|talk to|ask|tell) (?P<rest>.+)$"
)
_CONNECTOR = re.compile(r"^(?:and|to|for|about|that|if|whether|so) ")
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve first second third "
    "fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
)
_NUMBER_TOKEN = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
)
_ORDINAL_TOKEN = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
    r"tenth|eleventh|twelfth)\b"
)


@dataclass(frozen=True)
class Resolution:
    """What the words mean: open the skill, an intent with slots, or nothing known."""

    intent: str | None = None
    slots: dict[str, str | None] = field(default_factory=dict)
    launch: bool = False  # "open ally coach": a LaunchRequest, maybe with an intent after it
    score: float = 100.0  # confidence, 0 to 100
    # How the intent was found: "safety", "exact", "classifier", "concern" (the safety
    # answer for words otherwise not understood), "fallback" or "" (none).
    source: str = ""
    # The kind of danger heard (safety.CATEGORIES), for tests only: never log or store it.
    category: str | None = field(default=None, repr=False)


class Resolver:
    def __init__(self, model: dict[str, Any]) -> None:
        self.samples = Samples(model)
        self.invocation = self.samples.invocation
        pairs = self.samples.training()
        pairs += [(canonical(text), FALLBACK) for text in OUT_OF_DOMAIN]
        self.classifier = Classifier(pairs)
        # Number words are words too: "tip nine" must not become "tip mine".
        self.speller = Speller([*(text for text, _ in pairs), NUMBER_WORDS])
        # Intents that mean nothing without a slot ("tip banana" is no tip).
        self.needs_slot = frozenset(
            intent
            for intent in self.samples.intents
            if (mine := [s for s in self.samples.samples if s.intent == intent])
            and all("{" in s.text for s in mine)
        )
        self._hints = sorted(
            {simple(s.text) for s in self.samples.samples if "{" not in s.text},
            key=lambda p: (len(p.split()), p),
        )

    def resolve(self, text: str) -> Resolution:
        words = canonical(text)
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
        return Resolution(
            inner.intent,
            inner.slots,
            launch=True,
            score=inner.score,
            source=inner.source,
            category=inner.category,
        )

    def resolve_intent(self, text: str) -> Resolution:
        """The intent of words said inside the skill (no "open ally coach")."""
        said = canonical(text)
        if not said:
            return Resolution()
        words = self.speller.correct(said)
        finding = safety.check(said)
        if not finding.flagged and not finding.near_miss and words != said:
            # A slip can hide a cue ("he slaped me"). A near miss in the words as said
            # stands: a correction never turns a denial or a figure into a disclosure.
            finding = safety.check(words)
        if finding.category is not None:
            intent = SELF_HARM_INTENT if finding.category == safety.SELF_HARM else SAFETY_INTENT
            slots = self._spot_slots(intent, words)
            return Resolution(intent, slots, source="safety", category=finding.category)
        leave_out = SAFETY_INTENTS if finding.near_miss else frozenset()
        exact = self.samples.match(words)
        if exact is not None and exact.intent not in leave_out:
            return Resolution(exact.intent, exact.slots, source="exact")
        ranked = self.classifier.ranked(said, leave_out)
        intent, confidence = ranked[0]
        if intent in SAFETY_INTENTS and confidence < SAFETY_WITHOUT_CUE:
            intent, confidence = self.classifier.best(said, SAFETY_INTENTS)
        score = round(confidence * 100, 1)
        if intent == FALLBACK or confidence < THRESHOLD:
            if not finding.near_miss:
                concern = self._concern(ranked, words)
                if concern is not None:
                    return concern
            return Resolution(FALLBACK, score=score, source="fallback")
        slots = self._spot_slots(intent, words)
        if intent in self.needs_slot and not slots:
            return Resolution(FALLBACK, score=score, source="fallback")
        return Resolution(intent, slots, score=score, source="classifier")

    def _concern(self, ranked: list[tuple[str, float]], words: str) -> Resolution | None:
        """The safety answer for words the ear would otherwise not understand at all,
        when the classifier puts enough of its weight on the safety intents.

        A disclosure in words no cue knows mostly lands here, between the fallback and
        the safety samples; answering it with the fallback's "I didn't catch that" is the
        worst miss there is, and a false alarm costs one "you misunderstood me".
        """
        weights = {intent: confidence for intent, confidence in ranked if intent in SAFETY_INTENTS}
        if sum(weights.values()) < SAFETY_CONCERN:
            return None
        intent = max(weights, key=lambda name: weights[name])
        slots = self._spot_slots(intent, words)
        return Resolution(intent, slots, score=round(weights[intent] * 100, 1), source="concern")

    def _spot_slots(self, intent: str, words: str) -> dict[str, str | None]:
        """Slot values named anywhere in ``words``, for an intent the classifier chose."""
        slot_types: dict[str, str] = {}
        for sample in self.samples.slot_samples(intent):
            slot_types.update(sample.slot_types)
        slots: dict[str, str | None] = {}
        padded = f" {words} "
        for slot, slot_type in slot_types.items():
            if slot_type == "AMAZON.Ordinal":
                found = _ORDINAL_TOKEN.search(words)
            elif slot_type == "AMAZON.NUMBER":
                found = _NUMBER_TOKEN.search(words)
            else:
                values = self.samples.types.get(slot_type, {})
                # The longest value said wins: "couples counseling" over "counseling".
                said = [w for w in values if f" {w} " in padded]
                if said:
                    slots[slot] = values[max(said, key=len)]
                continue
            if found:
                number = parse_number(found.group(0))
                if number is not None:
                    slots[slot] = str(number)
        return slots

    def hints(self, limit: int = 100) -> list[str]:
        """Short phrases a speech recogniser should expect (for the phone line)."""
        return self._hints[:limit]


@lru_cache(maxsize=8)
def get_resolver(locale: str = "en-US") -> Resolver:
    return Resolver(load_model(locale))


__all__ = ["Resolution", "Resolver", "get_resolver", "load_model"]
