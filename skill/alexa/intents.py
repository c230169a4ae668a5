"""Alexa intent names and slots -> dialog core commands. Shared by every channel
that speaks in the interaction model's terms (Alexa, the chat, the phone line)."""

from __future__ import annotations

from collections.abc import Mapping

from skill.core.dialog import Action, Command
from skill.understanding.numbers import parse_number

INTENT_ACTIONS: dict[str, Action] = {
    "MotivatePartnerIntent": Action.START_MOTIVATE,
    "SetDirectionIntent": Action.START_DIRECTION,
    "GoToTipIntent": Action.GO_TO_TIP,
    "ListTipsIntent": Action.LIST_TIPS,
    "WhereAmIIntent": Action.WHERE_AM_I,
    "ReadyIntent": Action.READY,
    "SafetyIntent": Action.SAFETY,
    "ForgetProgressIntent": Action.FORGET,
    # Placeholders until the dialog serves them (issue 11): self-harm gets the safety
    # answer, going back N tips goes back one, the rest get the fallback's reprompt.
    "SelfHarmIntent": Action.SAFETY,
    "GoBackIntent": Action.PREVIOUS,
    "MisunderstoodIntent": Action.FALLBACK,
    "EyesOpenIntent": Action.FALLBACK,
    "StartProgramIntent": Action.FALLBACK,
    "SlowerIntent": Action.FALLBACK,
    "FasterIntent": Action.FALLBACK,
    "MoreTimeIntent": Action.FALLBACK,
    "HowLongIntent": Action.FALLBACK,
    "AboutIntent": Action.FALLBACK,
    "DontKnowIntent": Action.FALLBACK,
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
