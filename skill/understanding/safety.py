"""Hearing danger: three outcomes from the safety head, on every utterance, first.

The safety head (``heads``) gives, for one utterance, how likely it is to be a
disclosure of danger from a partner, of self-harm, a hard feeling without danger, or
none of these. The danger is the first two together:

- at least ``ALARM``: a **clear disclosure**, answered with the safety answer at once
  (``SafetyIntent`` or ``SelfHarmIntent``, whichever of the two is likelier);
- at least ``CHECK_IN``: **unclear**, so the coach asks, warmly and directly, whether the
  person is safe right now, or (for self-harm) whether they are thinking of suicide, as
  crisis lines advise (``ConcernIntent``, ``SelfHarmConcernIntent``);
- a longer utterance is also read clause by clause (``clauses``): a disclosure said in
  passing inside another request is checked in about (``CLAUSE_CHECK_IN``), or answered
  when a clause is unmistakable (``CLAUSE_ALARM``);
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

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from skill.understanding.corpus import PARTNER, SELF_HARM
from skill.understanding.text import canonical

ALARM = 0.7
CHECK_IN = 0.1
FEELING = 0.5
# A clause of a longer utterance, read on its own: this sure, the safety answer; this
# sure, a check-in. Higher than for the whole: a clause out of its context ("my first
# husband hit me" before "that was twenty years ago") says more than it means.
CLAUSE_ALARM = 0.99
CLAUSE_CHECK_IN = 0.5
# Clauses read at most per utterance (the longest ones): each costs one more encoding.
MAX_CLAUSES = 4

# Where one clause ends and another begins: sentence ends, and the words that turn to
# something else ("but", "anyway", ...). Speech-to-text has no punctuation; the words do.
_CLAUSE_BREAK = re.compile(
    r"(?:[.!?;]+\s+|,\s+(?=but|anyway|so|and then|also)|\s+(?:but|anyway|though|also)\s+)",
    re.IGNORECASE,
)

CLEAR, UNCLEAR, HARD_FEELING, NOTHING = "clear", "unclear", "feeling", "nothing"


class Verdict(NamedTuple):
    outcome: str  # CLEAR, UNCLEAR, HARD_FEELING or NOTHING
    kind: str | None  # PARTNER or SELF_HARM for CLEAR and UNCLEAR
    danger: float  # 0 to 1


def judge(probability: Mapping[str, float], feeling: float = 0.0) -> Verdict:
    """The verdict from the safety head's probabilities and the feelings head's."""
    partner, self_harm = probability[PARTNER], probability[SELF_HARM]
    danger = partner + self_harm
    kind = SELF_HARM if self_harm >= partner else PARTNER
    if danger >= ALARM:
        return Verdict(CLEAR, kind, danger)
    if danger >= CHECK_IN:
        return Verdict(UNCLEAR, kind, danger)
    if feeling >= FEELING:
        return Verdict(HARD_FEELING, None, danger)
    return Verdict(NOTHING, None, danger)


def clauses(text: str) -> list[str]:
    """The clauses of a longer utterance, in canonical words; none for a short one."""
    parts = [canonical(part) for part in _CLAUSE_BREAK.split(text)]
    parts = [part for part in parts if len(part.split()) >= 3]
    if len(parts) < 2:
        return []
    return sorted(parts, key=len, reverse=True)[:MAX_CLAUSES]


def with_clauses(whole: Verdict, parts: Sequence[Verdict]) -> Verdict:
    """The whole's verdict, raised by its most worrying clause."""
    worst = max(parts, key=lambda verdict: verdict.danger)
    if worst.danger >= CLAUSE_ALARM:
        return Verdict(CLEAR, worst.kind, worst.danger)
    if whole.outcome != UNCLEAR and worst.danger >= CLAUSE_CHECK_IN:
        return Verdict(UNCLEAR, worst.kind, worst.danger)
    return whole
