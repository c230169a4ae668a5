"""The person's pace, applied to rendered SSML: a speech rate and longer (or shorter) pauses.

The pace is the person's choice ("slower", "faster", "more time"), kept in their progress
(``skill.core.progress``) and handed to rendering as ``pace`` and ``room``. The words stay
the templates'; only the prosody rate and the ``<break>`` times change. No pause goes past
Alexa's 10-second limit, but a practice's silences (``skill.speech.timeline``), which are
played as silence and not as SSML, scale with no cap (``cap=None``).
"""

from __future__ import annotations

import re

from skill.speech.ssml import MAX_BREAK_MS

RATE_STEP = 10  # percent of the normal rate per step of pace
ROOM_STEP = 0.5  # extra share of every pause per step of room
FASTER_PAUSES = 0.75  # a faster pace also shortens the pauses
_BREAK = re.compile(r'<break time="(\d+(?:\.\d+)?)(ms|s)"\s*/>')


def break_factor(pace: int, room: int) -> float:
    return (1 + ROOM_STEP * max(room, 0)) * (FASTER_PAUSES if pace > 0 else 1.0)


def paced(ssml: str | None, pace: int, room: int, cap: int | None = MAX_BREAK_MS) -> str | None:
    """``ssml`` spoken at ``pace`` (rate steps, negative is slower) with ``room`` (pause
    steps); no pause made longer than ``cap`` milliseconds (None: any length)."""
    if not ssml or (pace == 0 and room == 0):
        return ssml
    factor = break_factor(pace, room)
    if factor != 1.0:

        def longer(match: re.Match[str]) -> str:
            ms = round(float(match.group(1)) * (1000 if match.group(2) == "s" else 1) * factor)
            return f'<break time="{ms if cap is None else min(ms, cap)}ms"/>'

        ssml = _BREAK.sub(longer, ssml)
    if pace:
        ssml = f'<prosody rate="{100 + RATE_STEP * pace}%">{ssml}</prosody>'
    return ssml
