"""The shape of the programs: how many tips and steps. The words are in templates/."""

from __future__ import annotations

TIP_COUNT = 5
PRACTICE_STEPS = 2  # every tip's practice: a prompt with pauses, then a reflection question
DIRECTION_STEPS = 3  # "Set your direction": three reflections, the last ending in a question
LONG_ABSENCE_SECONDS = 14 * 24 * 3600  # after this, a returning person hears a recap
