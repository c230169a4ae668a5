"""A time of day in typed or spoken words, as AMAZON.TIME would give it ("20:00", or a
part of the day: "MO", "AF", "EV", "NI"), for the text channels' reminders."""

from __future__ import annotations

import re

from skill.understanding.numbers import parse_number

_HOUR = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_CLOCK = re.compile(
    rf"\b(?:at|for|to|by)\s+{_HOUR}(?::(\d{{2}})|\s+(thirty|fifteen|forty five))?"
    r"(?:\s*(a\.?\s?m\.?|p\.?\s?m\.?|in the morning|in the afternoon|in the evening"
    r"|at night|tonight))?"
)
_PARTS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI"}
_MINUTES = {"thirty": 30, "fifteen": 15, "forty five": 45}


def spot_time(words: str) -> str | None:
    """The time said in ``words`` ("at eight pm", "at 7:30", "in the evening"), or None.
    An hour alone from one to six is taken as the afternoon or evening: a practice."""
    text = words.lower()
    match = _CLOCK.search(text)
    if match:
        hour = parse_number(match[1])
        if hour is not None and 0 <= hour <= 23:
            minute = int(match[2]) if match[2] else _MINUTES.get(match[3] or "", 0)
            said = (match[4] or "").replace(".", "").replace(" ", "")
            if said.startswith("pm") or said in (
                "intheafternoon",
                "intheevening",
                "atnight",
                "tonight",
            ):
                hour = hour % 12 + 12
            elif said.startswith("am") or said == "inthemorning":
                hour = hour % 12
            elif 1 <= hour <= 6:
                hour += 12
            if minute <= 59:
                return f"{hour:02d}:{minute:02d}"
    for word, part in _PARTS.items():
        if re.search(rf"\b{word}\b", text):
            return part
    return None
