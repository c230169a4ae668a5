"""Intent names and slots -> dialog core commands. Shared by every channel that speaks in
the interaction model's terms: Alexa's intents, and the text resolver's (the chat, the
simulator, the phone line)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skill.core.dialog import Action, Command
from skill.core.program import Catalog
from skill.speech.render import speakable
from skill.understanding.numbers import parse_number

INTENT_ACTIONS: dict[str, Action] = {
    # Which program an intent starts is the content's to say (program.json start_intents).
    "MotivatePartnerIntent": Action.START_PROGRAM,
    "SetDirectionIntent": Action.START_PROGRAM,
    "TryTogetherIntent": Action.START_PROGRAM,
    "StartProgramIntent": Action.START_PROGRAM,
    "GoToTipIntent": Action.GO_TO_STEP,
    "ListTipsIntent": Action.LIST_STEPS,
    "WhereAmIIntent": Action.WHERE_AM_I,
    "ReadyIntent": Action.READY,
    "SafetyIntent": Action.SAFETY,
    "SelfHarmIntent": Action.SELF_HARM,
    "MisunderstoodIntent": Action.MISUNDERSTOOD,
    # Worrying but unclear: the coach asks whether the person is safe (skill.core.hold).
    "ConcernIntent": Action.CHECK_IN,
    "SelfHarmConcernIntent": Action.CHECK_IN_SELF_HARM,
    "FeelingsIntent": Action.FEELINGS,
    # A remark in passing that shares words with danger ("she'll kill me if I'm late"):
    # its samples keep such words away from the safety intents; it is not understood.
    "RemarkIntent": Action.FALLBACK,
    "EyesOpenIntent": Action.EYES_OPEN,
    "ForgetProgressIntent": Action.FORGET,
    "GoBackIntent": Action.PREVIOUS,  # with its count: "go back two"
    "SlowerIntent": Action.SLOWER,
    "FasterIntent": Action.FASTER,
    "MoreTimeIntent": Action.MORE_TIME,
    "HowLongIntent": Action.HOW_LONG,
    "AboutIntent": Action.ABOUT,
    "DontKnowIntent": Action.DONT_KNOW,
    "LeavePracticeIntent": Action.LEAVE,
    "SoundIntent": Action.SOUND,
    "NoSoundIntent": Action.NO_SOUND,
    # Practice reminders and "how am I doing" (skill.core.reminding).
    "RemindIntent": Action.REMIND,
    "ListRemindersIntent": Action.REMINDERS,
    "CancelReminderIntent": Action.REMINDER_CANCEL,
    "ChangeReminderIntent": Action.REMINDER_CHANGE,
    "HowAmIDoingIntent": Action.HOW_AM_I_DOING,
    # Taking turns in a program for two (skill.core.turns).
    "SwitchTurnIntent": Action.SWITCH,
    "WeAreFinishedIntent": Action.FINISH,
    "OurNamesIntent": Action.NAMES,
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

# TipPositionType's value and synonyms, as Alexa or the text resolver may hand them over.
LAST_WORDS = frozenset({"last", "final", "very last", "last one", "very final"})

CUSTOM_INTENTS = frozenset(name for name in INTENT_ACTIONS if not name.startswith("AMAZON."))

# Slot values are what was heard, a few words. Anything longer is not speech, and would
# make the reply that repeats it too long for Alexa (8000 characters).
MAX_SLOT_CHARS = 100


def clean_slot(value: Any) -> str | None:
    """A slot value fit to be spoken back: text only, nothing SSML cannot carry, no
    longer than a few words."""
    if not isinstance(value, str):
        return None
    text = " ".join(speakable(value).split())[:MAX_SLOT_CHARS].strip()
    return text or None


def knows(intent_name: str, catalog: Catalog) -> bool:
    """The code or the content has something to do for this intent."""
    return intent_name in INTENT_ACTIONS or catalog.for_intent(intent_name) is not None


def to_command(intent_name: str, slots: Mapping[str, str | None], catalog: Catalog) -> Command:
    """The command for an intent; ``slots`` maps slot names to resolved values or words.

    Unknown intents become FALLBACK, so a model ahead of the code still gets an answer.
    """
    starts = catalog.for_intent(intent_name)
    if starts is not None:
        return Command(
            Action.START_PROGRAM, program=starts.id, partner=slots.get("partner") or None
        )
    action = INTENT_ACTIONS.get(intent_name, Action.FALLBACK)
    if action is Action.START_PROGRAM:
        heard = slots.get("program")
        named = catalog.named(heard)
        return Command(
            action,
            program=named.id if named else None,
            heard=heard,
            partner=slots.get("partner") or None,
        )
    if action is Action.SOUND:
        from skill.speech.sounds import get_sounds

        # "with rain": that sound; "with some background sound": the content's default.
        return Command(action, sound=get_sounds().resolve(slots.get("sound")))
    if action in (Action.REMIND, Action.REMINDER_CHANGE):
        from skill.service.when import schedule_of

        return Command(action, when=schedule_of(slots).encode())
    if action is Action.SAFETY:
        # Who the partner is picks a helpline that serves the person speaking; the core
        # passes it to the answer only, and keeps none of it.
        return Command(action, partner=slots.get("partner") or None)
    if action is Action.NAMES:
        # "We're Sam and Alex": two first names, for this session only.
        said = (clean_slot(slots.get("first")), clean_slot(slots.get("second")))
        # The text ear hands names over in lower case; Alexa, as people write them.
        return Command(action, names=tuple(n if n != n.lower() else n.title() for n in said if n))
    if action is Action.PREVIOUS and intent_name == "GoBackIntent":
        count = parse_number(slots.get("count"))
        return Command(action, number=count if count and count > 0 else None)
    if action is Action.GO_TO_STEP:
        if (slots.get("position") or "").strip().lower() in LAST_WORDS:
            return Command(action, position="last")
        heard = slots.get("number") or slots.get("ordinal")
        number = parse_number(heard)
        if number is None and (
            any(c.isdigit() for c in heard or "") or not any(c.isalpha() for c in heard or "")
        ):
            # "?" is what Alexa sends for a number it did not catch; "12²" or thousands of
            # digits are no tip either. Words ("banana") are worth repeating back; digits
            # and signs are not: the answer asks which tip instead.
            heard = None
        return Command(action, number=number, heard=heard)
    return Command(action)
