"""A reminder's schedule from the slots Alexa fills (AMAZON.TIME, AMAZON.DATE,
AMAZON.DURATION and the model's RepeatType), or the text resolver's words for them.

AMAZON.TIME gives "20:00", or a part of the day ("MO", "AF", "EV", "NI"); AMAZON.DATE
a day ("2026-12-12"; a week or a weekend, "2026-W50", is no day and is left out);
AMAZON.DURATION an ISO 8601 duration ("PT2H"). RepeatType's values are "day", a part of
the day (every evening: daily, in the evening) or a weekday.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from skill.core.reminding import DAILY, PARTS_OF_DAY, WEEKDAYS, Schedule

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PARTS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_TIME = re.compile(r"^T?(\d{1,2}):(\d{2})")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def schedule_of(slots: Mapping[str, str | None]) -> Schedule:
    every, part = _repeat(slots.get("repeat"))
    time = _time(slots.get("time"))
    if time and part in ("AF", "EV", "NI") and ":" in time and int(time[:2]) < 12:
        # "Every evening at eight" is eight in the evening, though the time slot says 08:00.
        time = f"{int(time[:2]) + 12:02d}{time[2:]}"
    return Schedule(
        time=time or part,
        date=_date(slots.get("date")),
        every=every,
        offset=_duration(slots.get("duration")),
    )


def _repeat(value: str | None) -> tuple[str | None, str | None]:
    word = (value or "").strip().lower().removesuffix("s")
    if word in _DAYS:
        return WEEKDAYS[_DAYS.index(word)], None
    if word in _PARTS:
        return DAILY, _PARTS[word]
    if word in ("day", "daily", "single day", "weekday"):
        return DAILY, None
    return None, None


def _time(value: str | None) -> str | None:
    text = (value or "").strip()
    if text.upper() in PARTS_OF_DAY:
        return text.upper()
    match = _TIME.match(text)
    if match and int(match[1]) <= 23 and int(match[2]) <= 59:
        return f"{int(match[1]):02d}:{match[2]}"
    if (text and not text[0].isdigit()) or " " in text:
        # Words, from the text channels' exact samples ("eight pm"): read as Alexa would.
        from skill.understanding.times import spot_time

        return spot_time(f"at {text}")
    return None


def _date(value: str | None) -> str | None:
    text = (value or "").strip()
    return text if _DATE.match(text) and not text.startswith("XXXX") else None


def _duration(value: str | None) -> int | None:
    match = _DURATION.match((value or "").strip().upper())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total if 0 < total <= 366 * 86400 else None
