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


# The words of a whole slot, as Alexa fills AMAZON.TIME, AMAZON.DATE and AMAZON.DURATION.
# The exact samples "at {time}" and "{date} at {time}" would otherwise take any sentence
# with "at" in it ("he's at work and I'm scared") as a reminder's time.
_HOUR_WORDS = (
    r"(?:\d{1,2}(?:[: ]\d{2})?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
)
_WHOLE_TIME = re.compile(
    rf"{_HOUR_WORDS}(?: o'?clock)?(?: thirty| fifteen| forty five)?"
    r"(?: ?(?:a\.? ?m\.?|p\.? ?m\.?)| in the morning| in the afternoon| in the evening"
    r"| at night| tonight)?"
)
_WHOLE_PART = re.compile(r"(?:the |this |in the )?(morning|afternoon|evening|night)|tonight")
_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WHOLE_DATE = re.compile(
    rf"today|tomorrow|tonight|the day after tomorrow|(?:this |next |on )?{_DAY}"
    r"(?: morning| afternoon| evening| night)?|(?:this |next |the )?weekend|next week"
)
_AMOUNT = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty)"
_WHOLE_DURATION = re.compile(rf"(?:{_AMOUNT} (minute|hour|day|week)s?|(half an hour))")
_UNITS = {
    "minute": ("PT", "M", 1),
    "hour": ("PT", "H", 1),
    "day": ("P", "D", 1),
    "week": ("P", "D", 7),
}


def time_slot(words: str) -> str | None:
    """AMAZON.TIME's value for the whole of ``words`` ("eight pm" -> "20:00"), or None."""
    text = words.strip().lower()
    if text == "noon" or text == "midday":
        return "12:00"
    if text == "midnight":
        return "00:00"
    if _WHOLE_TIME.fullmatch(text) or _WHOLE_PART.fullmatch(text):
        # Typed "7:30" reaches here as "7 30" (the ear's words keep no colons).
        return spot_time("at " + re.sub(r"^(\d{1,2}) (\d{2})\b", r"\1:\2", text))
    return None


def date_slot(words: str) -> str | None:
    """The words of a day ("tomorrow", "next saturday"), or None when they are no day.
    (Alexa sends a date; the text channels keep the words, which schedules leave out.)"""
    text = words.strip().lower()
    return text if _WHOLE_DATE.fullmatch(text) else None


def duration_slot(words: str) -> str | None:
    """AMAZON.DURATION's value for the whole of ``words`` ("two hours" -> "PT2H"), or None."""
    match = _WHOLE_DURATION.fullmatch(words.strip().lower())
    if not match:
        return None
    if match[3]:
        return "PT30M"
    amount = 1 if match[1] in ("a", "an") else parse_number(match[1])
    if not amount:
        return None
    prefix, unit, times = _UNITS[match[2]]
    return f"{prefix}{amount * times}{unit}"
