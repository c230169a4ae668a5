"""Hearing danger: three outcomes from the safety head, on every utterance, first.

The safety head (``heads``) gives, for one utterance, how likely it is to be a
disclosure of danger from a partner, of self-harm, a hard feeling without danger, or
none of these. The danger is the first two together:

- at least ``ALARM``: a **clear disclosure**, answered with the safety answer at once
  (``SafetyIntent`` or ``SelfHarmIntent``, whichever of the two is likelier);
- at least ``CHECK_IN``: **unclear**, so the coach asks, warmly and directly, whether the
  person is safe right now, or (for self-harm) whether they are thinking of suicide, as
  crisis lines advise (``ConcernIntent``, ``SelfHarmConcernIntent``);
- below: **no danger heard**; the intents head decides, and what it cannot place but
  the safety head reads as a hard feeling (at least ``FEELING``) gets a short
  acknowledgement instead of "I didn't catch that" (``FeelingsIntent``).

The thresholds were chosen by leaving one writer of the corpus out at a time, for the
issue's targets on words nobody tuned for: at least 98% of disclosures answered or
checked in, at most 5% of near misses alarmed and 20% checked in (docs/understanding.md
has the table, and the figures on the sealed sets).

What this does not do: it reads words, not people. It cannot tell who is speaking, or
whether they are safe to talk, and it is not a crisis service. The kind of danger is for
the answer and the tests only: never log it, store it or send it anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from skill.understanding.corpus import FEELINGS, PARTNER, SELF_HARM

ALARM = 0.8
CHECK_IN = 0.15
FEELING = 0.5

CLEAR, UNCLEAR, HARD_FEELING, NOTHING = "clear", "unclear", "feeling", "nothing"


class Verdict(NamedTuple):
    outcome: str  # CLEAR, UNCLEAR, HARD_FEELING or NOTHING
    kind: str | None  # PARTNER or SELF_HARM for CLEAR and UNCLEAR
    danger: float  # 0 to 1


def judge(probability: Mapping[str, float]) -> Verdict:
    partner, self_harm = probability[PARTNER], probability[SELF_HARM]
    danger = partner + self_harm
    kind = SELF_HARM if self_harm >= partner else PARTNER
    if danger >= ALARM:
        return Verdict(CLEAR, kind, danger)
    if danger >= CHECK_IN:
        return Verdict(UNCLEAR, kind, danger)
    if probability[FEELINGS] >= FEELING:
        return Verdict(HARD_FEELING, None, danger)
    return Verdict(NOTHING, None, danger)
