"""The readable safety cues: a feature of the ear, and its explanation.

``check(words)`` says which category of danger a cue heard in canonical words, or that
every cue that matched was taken back (a near miss). The trained safety head reads this
as one of its inputs (``features``); on its own it is what the ear used to be.
"""

from __future__ import annotations

from skill.understanding.cues.engine import (
    CATEGORIES,
    COERCIVE_CONTROL,
    FEAR,
    PARTNER_DANGER,
    PHYSICAL,
    SELF_HARM,
    SEXUAL,
    STALKING,
    THREATS,
    Cue,
    Finding,
)
from skill.understanding.cues.engine import check as _check
from skill.understanding.cues.patterns import CUES, FIGURES


def check(words: str) -> Finding:
    """The cues' finding for ``words`` in canonical form (``text.canonical``)."""
    return _check(words, CUES, FIGURES)


__all__ = [
    "CATEGORIES",
    "COERCIVE_CONTROL",
    "CUES",
    "FEAR",
    "FIGURES",
    "PARTNER_DANGER",
    "PHYSICAL",
    "SELF_HARM",
    "SEXUAL",
    "STALKING",
    "THREATS",
    "Cue",
    "Finding",
    "check",
]
