"""The ear of the chat, the phone line and the simulator: words -> an intent, with slots.

Alexa does this for the skill on a speaker. Typed or transcribed words come here instead,
and go through the same steps every time:

1. **Canonical words** (``text.canonical``): case, punctuation, missing apostrophes,
   "gonna", "um", "alexa", "counselling" all put into one form; slips of typing ("nxt")
   are put right towards the model's own words for exact matching (``spelling``).
2. **Opening the skill**: "open ally coach", or "ask ally coach to ..." with a request.
3. **Features** (``features``): the sentence's meaning from a small sentence encoder,
   its words and letters hashed, and the readable safety cues.
4. **Safety first** (``safety.judge``), on every utterance: the safety head's verdict is
   a clear disclosure (SafetyIntent, SelfHarmIntent), an unclear one that the coach
   checks in about (ConcernIntent, SelfHarmConcernIntent), or no danger.
5. **Exact samples** (``samples.Samples.match``), capturing and checking slots.
6. **The intents head**: below ``THRESHOLD`` confidence the answer is the fallback;
   slots are then picked out of the words by their types' values. A fallback that the
   safety head reads as a hard feeling becomes FeelingsIntent: a short acknowledgement.

Both heads are trained at build time (``training``) and shipped; nothing is trained or
downloaded when a resolver is made. ``Resolution.category`` says which kind of danger was
heard, for the answer and the tests only: never log it, store it or pass it on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from skill.understanding import safety
from skill.understanding.corpus import (
    FEELINGS,
    NOT_FOR_THE_INTENTS_HEAD,
    PARTNER,
    SAFETY_INTENT,
    SAFETY_INTENTS,
    SELF_HARM,
    SELF_HARM_INTENT,
)
from skill.understanding.encoder import Encoder
from skill.understanding.features import Features, featurize
from skill.understanding.heads import Heads, shipped
from skill.understanding.numbers import parse_number
from skill.understanding.samples import FALLBACK, Samples, load_model
from skill.understanding.spelling import Speller
from skill.understanding.text import canonical, simple

CONCERN_INTENT = "ConcernIntent"
SELF_HARM_CONCERN_INTENT = "SelfHarmConcernIntent"
FEELINGS_INTENT = "FeelingsIntent"
ASKING_INTENTS = frozenset({CONCERN_INTENT, SELF_HARM_CONCERN_INTENT})

# Below this confidence (0 to 1) the intents head's guess is the fallback. Chosen by
# leaving one writer out at a time (docs/understanding.md).
THRESHOLD = 0.35
# The longest utterance the ear reads: past it, words are cut (a phone transcript can
# run on; the meaning of a request or a disclosure comes well within this).
MAX_CHARACTERS = 2000
# Utterances up to this many words are spelling-corrected for exact matching (the longest
# sample with its slots filled is shorter).
SPELLED_WORDS = 16

_LAUNCH_VERB = re.compile(
    r"^(?:open|launch|start|begin|run|load|use|talk to|ask|tell) (?P<rest>.+)$"
)
_CONNECTOR = re.compile(r"^(?:and|to|for|about|that|if|whether|so) ")
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve first second third "
    "fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
)
_NUMBER_TOKEN = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple)\b"
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
    # How the intent was found: "safety" (a clear disclosure), "check_in" (an unclear
    # one), "exact", "classifier", "feelings", "fallback" or "" (none).
    source: str = ""
    # The kind of danger heard ("partner" or "self_harm"), for the answer and the tests
    # only: never log or store it.
    category: str | None = field(default=None, repr=False)


class Resolver:
    def __init__(
        self, model: dict[str, Any], heads: Heads | None = None, encoder: Encoder | None = None
    ) -> None:
        self.encoder = encoder
        self.samples = Samples(model)
        self.invocation = self.samples.invocation
        self.heads = heads or shipped()
        # Number words are words too: "tip nine" must not become "tip mine".
        self.speller = Speller(
            [*(canonical(s.text) for s in self.samples.samples if "{" not in s.text), NUMBER_WORDS]
            + [word for words in self.samples.types.values() for word in words]
            + [canonical(s.text.replace("{", " ").replace("}", " ")) for s in self.samples.samples]
        )
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
        words = canonical(text[:MAX_CHARACTERS])
        if not words:
            return Resolution()
        launch = self._launch(words)
        if launch is not None:
            return launch
        return self.resolve_intent(text)

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

    def features(self, said: str) -> Features:
        return featurize([said], self.encoder)[0]

    def resolve_intent(self, text: str) -> Resolution:
        """The intent of words said inside the skill (no "open ally coach")."""
        said = canonical(text[:MAX_CHARACTERS])
        if not said:
            return Resolution()
        # Slips are put right only where a sample could match: a long transcript is never
        # one sample, and correcting every word of it would cost more than understanding it.
        words = self.speller.correct(said) if len(said.split()) <= SPELLED_WORDS else said
        row = self.features(said)
        feeling = self.heads.feelings.probability(row)[FEELINGS]
        verdict = safety.judge(self.heads.safety.probability(row), feeling)
        if verdict.outcome != safety.CLEAR:
            verdict = self._clauses(text[:MAX_CHARACTERS], verdict)
        score = round(verdict.danger * 100, 1)
        exact = self.samples.match(words)
        if exact is not None and exact.intent in self.samples.naming and words != said:
            # First names are no slips of typing: "we're sam and alex" keeps its sam.
            exact = self.samples.match(said) or exact
        if exact is not None and exact.intent in SAFETY_INTENTS:
            # The model's own disclosure samples ("I'm not safe", what help tells people to
            # say) are answered at once, whatever the head makes of them.
            kind = SELF_HARM if exact.intent == SELF_HARM_INTENT else PARTNER
            verdict = safety.Verdict(safety.CLEAR, kind, max(verdict.danger, safety.ALARM))
        elif (
            exact is not None and exact.intent in ASKING_INTENTS and verdict.outcome != safety.CLEAR
        ):
            # Its worrying-but-unclear samples are asked about, as on Alexa.
            kind = SELF_HARM if exact.intent == SELF_HARM_CONCERN_INTENT else PARTNER
            verdict = safety.Verdict(safety.UNCLEAR, kind, max(verdict.danger, safety.CHECK_IN))
        if verdict.outcome in (safety.CLEAR, safety.UNCLEAR):
            clear = verdict.outcome == safety.CLEAR
            if verdict.kind == SELF_HARM:
                intent = SELF_HARM_INTENT if clear else SELF_HARM_CONCERN_INTENT
            else:
                intent = SAFETY_INTENT if clear else CONCERN_INTENT
            slots = self._spot_slots(SAFETY_INTENT, words) if intent == SAFETY_INTENT else {}
            source = "safety" if clear else "check_in"
            return Resolution(intent, slots, score=score, source=source, category=verdict.kind)
        if exact is not None and exact.intent not in NOT_FOR_THE_INTENTS_HEAD:
            return Resolution(exact.intent, exact.slots, source="exact")
        probabilities = self.heads.intents.probabilities(row)
        best = int(probabilities.argmax())
        intent, confidence = self.heads.intents.classes[best], float(probabilities[best])
        score = round(confidence * 100, 1)
        if (
            intent == FALLBACK
            or confidence < THRESHOLD
            or (intent in self.needs_slot and not self._spot_slots(intent, words))
        ):
            if verdict.outcome == safety.HARD_FEELING:
                return Resolution(FEELINGS_INTENT, score=score, source="feelings")
            return Resolution(FALLBACK, score=score, source="fallback")
        return Resolution(intent, self._spot_slots(intent, words), score=score, source="classifier")

    def _clauses(self, text: str, verdict: safety.Verdict) -> safety.Verdict:
        """A long utterance read clause by clause too: a disclosure said in passing ("...
        anyway I cut again on Tuesday, but that's not why I'm here") is lost in the
        meaning of the whole, not in the meaning of its clause."""
        parts = safety.clauses(text)
        if not parts:
            return verdict
        scores = [
            safety.judge(self.heads.safety.probability(row))
            for row in featurize(parts, self.encoder)
        ]
        return safety.with_clauses(verdict, scores)

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
            elif slot_type == "AMAZON.TIME":
                from skill.understanding.times import spot_time

                if (time := spot_time(words)) is not None:
                    slots[slot] = time
                continue
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


__all__ = [
    "ASKING_INTENTS",
    "CONCERN_INTENT",
    "FEELINGS_INTENT",
    "SAFETY_INTENT",
    "SAFETY_INTENTS",
    "SELF_HARM_CONCERN_INTENT",
    "SELF_HARM_INTENT",
    "Resolution",
    "Resolver",
    "get_resolver",
    "load_model",
]
