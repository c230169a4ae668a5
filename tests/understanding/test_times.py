"""Reminders' times, dates and durations in the text channels' words: a slot of Amazon's
time types takes only words that are one, so "at {time}" never takes a sentence."""

from __future__ import annotations

import pytest

from skill.nlu import get_resolver
from skill.service.when import schedule_of
from skill.understanding.samples import samples_for
from skill.understanding.text import canonical
from skill.understanding.times import date_slot, duration_slot, time_slot


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("eight pm", "20:00"),
        ("7 30", "07:30"),
        ("nine in the evening", "21:00"),
        ("noon", "12:00"),
        ("the morning", "MO"),
        ("work my cousin in brampton", None),
        ("night he comes home drunk", None),
        ("", None),
    ],
)
def test_a_time_slot_is_a_whole_time(words: str, value: str | None) -> None:
    assert time_slot(words) == value


def test_dates_and_durations_are_whole_too() -> None:
    assert date_slot("next saturday") == "next saturday"
    assert date_slot("friday while he is") is None
    assert duration_slot("two hours") == "PT2H"
    assert duration_slot("half an hour") == "PT30M"
    assert duration_slot("a week") == "P7D"
    assert duration_slot("two hours of shouting") is None


@pytest.mark.parametrize(
    "words",
    [
        "planning to leave friday while he's at work, my cousin has a room",
        "i'm at work and i need to keep my eyes open",
        "that's not what i said at all",
        "he was at the door at midnight again",
    ],
)
def test_a_sentence_with_at_is_no_reminder(words: str) -> None:
    assert samples_for("en-US").match(canonical(words)) is None
    assert get_resolver("en-US").resolve(words).intent != "RemindIntent"


@pytest.mark.parametrize(
    ("words", "time", "every"),
    [
        ("remind me at eight pm", "20:00", None),
        ("every evening at eight", "20:00", "DAILY"),
        ("remind me to practice every evening at 8:15", "20:15", "DAILY"),
        ("set a reminder for saturday morning", "MO", None),
    ],
)
def test_reminders_typed_are_heard_with_their_time(
    words: str, time: str, every: str | None
) -> None:
    heard = get_resolver("en-US").resolve(words)
    assert heard.intent == "RemindIntent"
    schedule = schedule_of(heard.slots)
    assert (schedule.time, schedule.every) == (time, every)
