"""Alexa intent names and slots -> dialog core commands. Shared by every channel
that speaks in the interaction model's terms (Alexa, the chat, the phone line)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from skill.dialog import Action, Command

INTENT_ACTIONS: dict[str, Action] = {
    "MotivatePartnerIntent": Action.START_MOTIVATE,
    "SetDirectionIntent": Action.START_DIRECTION,
    "GoToTipIntent": Action.GO_TO_TIP,
    "ListTipsIntent": Action.LIST_TIPS,
    "WhereAmIIntent": Action.WHERE_AM_I,
    "ReadyIntent": Action.READY,
    "SafetyIntent": Action.SAFETY,
    "ForgetProgressIntent": Action.FORGET,
    "AMAZON.HelpIntent": Action.HELP,
    "AMAZON.StopIntent": Action.STOP,
    "AMAZON.CancelIntent": Action.STOP,
    "AMAZON.NavigateHomeIntent": Action.HOME,
    "AMAZON.FallbackIntent": Action.FALLBACK,
    "AMAZON.NextIntent": Action.NEXT,
    "AMAZON.PreviousIntent": Action.PREVIOUS,
    "AMAZON.RepeatIntent": Action.REPEAT,
    "AMAZON.StartOverIntent": Action.START_OVER,
    "AMAZON.YesIntent": Action.YES,
    "AMAZON.NoIntent": Action.NO,
    "AMAZON.PauseIntent": Action.PAUSE,
    "AMAZON.ResumeIntent": Action.RESUME,
}

CUSTOM_INTENTS = frozenset(name for name in INTENT_ACTIONS if not name.startswith("AMAZON."))

_NUMBER_WORDS = {
    word: i
    for i, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
_ORDINAL_WORDS = {
    word: i
    for i, word in enumerate(
        [
            "zeroth",
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
        ]
    )
}
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(st|nd|rd|th)$")


def parse_number(text: str | None) -> int | None:
    """A tip number from a slot value: "3", "three", "third", "3rd"; None if not a number."""
    if not text:
        return None
    word = text.strip().lower()
    if word.isdigit():
        return int(word)
    match = _ORDINAL_SUFFIX.match(word)
    if match:
        return int(match.group(1))
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    return _ORDINAL_WORDS.get(word)


def to_command(intent_name: str, slots: Mapping[str, str | None]) -> Command:
    """The command for an intent; ``slots`` maps slot names to resolved values or words.

    Unknown intents become FALLBACK, so a model ahead of the code still gets an answer.
    """
    action = INTENT_ACTIONS.get(intent_name, Action.FALLBACK)
    if action is Action.GO_TO_TIP:
        heard = slots.get("number") or slots.get("ordinal")
        return Command(action, tip=parse_number(heard), heard=heard)
    if action is Action.START_MOTIVATE:
        return Command(action, partner=slots.get("partner") or None)
    return Command(action)
