"""The dialog core's values: actions, questions, commands, replies, the conversation and
the turn, with the conversation's migration from sessions of older deployments.

The immutable values here are NamedTuples, not frozen dataclasses: a dataclass costs
about 1.3 ms to create at import (it compiles its methods), a NamedTuple a fifth of
that, and every Lambda cold start imports this module (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from skill.core.progress import Progress


class Action(StrEnum):
    LAUNCH = "launch"
    START_PROGRAM = "start_program"
    NEXT = "next"
    PREVIOUS = "previous"
    REPEAT = "repeat"
    START_OVER = "start_over"
    GO_TO_STEP = "go_to_step"
    LIST_STEPS = "list_steps"
    WHERE_AM_I = "where_am_i"
    PAUSE = "pause"
    RESUME = "resume"
    YES = "yes"
    NO = "no"
    READY = "ready"
    HELP = "help"
    FALLBACK = "fallback"
    STOP = "stop"
    HOME = "home"
    SAFETY = "safety"  # danger from a partner or an ex
    SELF_HARM = "self_harm"  # thoughts of self-harm or suicide
    MISUNDERSTOOD = "misunderstood"  # "you misunderstood me", "I'm fine"
    # Words that may be a disclosure, or may not: the coach asks.
    CHECK_IN = "check_in"  # about danger from a partner: "are you safe right now?"
    CHECK_IN_SELF_HARM = "check_in_self_harm"  # "are you having thoughts of suicide?"
    FEELINGS = "feelings"  # something hard, with no danger heard: acknowledged
    FORGET = "forget"
    SLOWER = "slower"  # speak more slowly (remembered)
    FASTER = "faster"  # speak faster, shorter pauses (remembered)
    MORE_TIME = "more_time"  # longer pauses (remembered)
    HOW_LONG = "how_long"  # how long a step and the program take
    ABOUT = "about"  # what is Ally Coach?
    DONT_KNOW = "dont_know"  # "I don't know", "I'm not sure"
    EYES_OPEN = "eyes_open"  # "I'm driving", "I can't close my eyes"
    LEAVE = "leave"  # "I don't want to do this", "skip the practice": out of a practice
    SOUND = "sound"  # "with rain", "with some background sound" (remembered)
    NO_SOUND = "no_sound"  # "no sound" (remembered)
    # Practice reminders (skill.core.reminding): set one ("remind me every evening"), what
    # Alexa answered when asked for the permission by voice, list, change, cancel.
    REMIND = "remind"
    REMIND_CONSENT = "remind_consent"
    REMINDERS = "reminders"
    REMINDER_CHANGE = "reminder_change"
    REMINDER_CANCEL = "reminder_cancel"
    HOW_AM_I_DOING = "how_am_i_doing"  # what was heard and practised, and when
    # Taking turns, in a program for two (skill.core.program, TURNS): "switch" goes to where
    # the roles change over, "we're finished" to the closing question; "we're Sam and Alex"
    # names the two, for this session only.
    SWITCH = "switch"
    FINISH = "finish"
    NAMES = "names"
    SESSION_ENDED = "session_ended"


class Question(StrEnum):
    """The yes/no question the user was last asked; it decides what yes and no mean."""

    OFFER = "offer"  # try the program ``Conversation.offer``?
    RESUME = "resume"  # go on with ``offer`` where you left off?
    RESTART = "restart"  # start ``offer`` from its first step?
    PRACTICE = "practice"  # try this step's practice?
    # A pause in a guided exercise, "say ready to go on": asked by older deployments only.
    # A practice is one continuous piece now; a session in flight may still be waiting.
    READY = "ready"
    REFLECT = "reflect"  # the question that closes a practice, or a guided program
    CARRY_ON = "carry_on"  # a topic line came during a practice: carry on with it?
    UNFINISHED = "unfinished"  # do the practice the last session closed in, now?
    NEXT_STEP = "next_step"  # go on to the next step?
    # A turn of a program for two is under way: "done" (or yes) goes on; "switch", "skip"
    # and "we're finished" too, each its own way.
    TURN = "turn"
    FORGET = "forget"  # really delete your progress?
    SAFE_NOW = "safe_now"  # a check-in: are you safe right now? (yes means safe)
    SUICIDE = "suicide"  # a check-in: are you having thoughts of suicide? (yes means not)
    REMIND = "remind"  # would you like a reminder to practise?
    REMIND_TIME = "remind_time"  # when shall I remind you? (``Conversation.remind`` so far)


# Views said word for word every time: the answers to a disclosure keep their exact words.
# No variant, no escalation: a person in crisis hears the same numbers each time.
FIXED_VIEWS = frozenset(
    {
        "safety",
        "self_harm",
        "safety_hold",
        "safety_numbers",
        "safety_goodbye",
        "misunderstood",
        "check_in",
        "check_in_fine",
    }
)
# Views with variants: the reply's ``v`` (0 to VARIANTS - 1) picks the words in the template,
# and the same person never hears the same variant of a view twice in a row.
VARIANTS = 3
# Fallbacks in a row escalate up to this level: short, then two things to say, then help
# or a way out.
MAX_MISSES = 3
# The miss after the last level ends the session, kindly, with the progress kept: a device
# would close after a few quiet turns anyway.
MISSES_TO_END = MAX_MISSES + 1


# The first names kept for two people taking turns, and the longest kept.
MAX_NAMES = 2
MAX_NAME_CHARS = 40


# What a check-in is about (``Conversation.fine``).
PARTNER, SELF_HARM = "partner", "self_harm"
CHECK_IN_KINDS = frozenset({PARTNER, SELF_HARM})


class Command(NamedTuple):
    action: Action
    number: int | None = None  # GO_TO_STEP: the number asked for, if one was understood
    heard: str | None = None  # the words heard, for "there is no tip nine"
    partner: str | None = None  # START_PROGRAM, SAFETY: "husband", "wife", ... when said
    program: str | None = None  # START_PROGRAM: the program's id; None if not one we have
    position: str | None = None  # GO_TO_STEP: "last"
    sound: str | None = None  # SOUND: the content's id of the sound asked for; None: default
    when: str | None = None  # REMIND, REMINDER_CHANGE: a reminding.Schedule, encoded
    names: tuple[str, ...] = ()  # NAMES: the two first names said, in the order said


# A reply without data shares this one: read-only, so no reply can change another's.
NO_DATA: Mapping[str, Any] = MappingProxyType({})


class Reply(NamedTuple):
    """What to say: a view (template) name and its data. ``view`` None means silence."""

    view: str | None
    data: Mapping[str, Any] = NO_DATA
    end_session: bool = False
    card: str | None = None  # a card view, for the Alexa app

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "data": dict(self.data),
            "end": self.end_session,
            "card": self.card,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        return cls(
            view=data.get("view"),
            data=dict(data.get("data") or {}),
            end_session=bool(data.get("end")),
            card=data.get("card"),
        )


class Conversation(NamedTuple):
    """Where this session is. Lives in session attributes, or per call on the phone."""

    program: str | None = None  # the program being walked
    step: int = 0  # its step, from 1; 0 = none
    # In a practice: 1 in a step's practice, or the first step played of a guided run;
    # 0 = not in one. (Older deployments counted a practice's parts here.)
    part: int = 0
    question: Question | None = None
    offer: str | None = None  # the program an offer, resume or restart question is about
    skip: tuple[str, ...] = ()  # programs not to offer again this session: declined or done
    paused: bool = False
    eyes_open: bool = False  # never ask to close the eyes: driving, or asked not to
    # After a safety answer coaching is held: it only comes back if the user says they
    # were misunderstood, and then exactly where they were (``before``). What was
    # disclosed is not kept, not even which answer was given.
    hold: bool = False
    before: Conversation | None = None
    last: Reply | None = None  # what "repeat" says again
    misses: int = 0  # fallbacks in a row, up to MAX_MISSES; any understood turn resets it
    # How often each view was said this session (view, count), sorted: it picks the next
    # variant, so no variant follows itself.
    uses: tuple[tuple[str, int], ...] = ()
    # The kinds of check-in ("partner", "self_harm") the person answered "I'm fine" to
    # this visit: that check-in is not asked again (the safety answer still can be).
    fine: tuple[str, ...] = ()
    # Reminders: what was said of one while its time is asked for (a reminding.Schedule,
    # encoded), and whether this channel can set one (the turn service says, each turn).
    remind: str | None = None
    can_remind: bool = False
    # A disclosure, a check-in or something hard was answered this visit: no reminder is
    # offered in it (skill.core.reminding). Says nothing of what it was.
    quiet: bool = False
    # The first names of two people taking turns ("we're Sam and Alex"), the first one
    # first: kept for this session only, never in the progress.
    names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        found = {
            "program": self.program,
            "step": self.step,
            "part": self.part,
            "question": self.question.value if self.question else None,
            "offer": self.offer,
            "skip": list(self.skip),
            "paused": self.paused,
            "eyes_open": self.eyes_open,
            "hold": self.hold,
            "before": self.before.to_dict() if self.before else None,
            "last": self.last.to_dict() if self.last else None,
            "misses": self.misses,
            "uses": dict(self.uses),
            "fine": list(self.fine),
            **({"remind": self.remind} if self.remind else {}),
            **({"can_remind": True} if self.can_remind else {}),
            **({"quiet": True} if self.quiet else {}),
        }
        if self.names:  # only in a session where two people said their names
            found["names"] = list(self.names)
        return found

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Conversation:
        if not data:
            return cls()
        try:
            if "tip" in data:
                return _from_v2_session(data)
            return cls(
                program=str(data["program"]) if data.get("program") else None,
                step=max(int(data.get("step") or 0), 0),
                part=max(int(data.get("part") or 0), 0),
                question=Question(data["question"]) if data.get("question") else None,
                offer=str(data["offer"]) if data.get("offer") else None,
                skip=tuple(str(p) for p in data.get("skip") or ()),
                paused=bool(data.get("paused")),
                eyes_open=bool(data.get("eyes_open")),
                hold=bool(data.get("hold")),
                before=Conversation.from_dict(data["before"]) if data.get("before") else None,
                last=Reply.from_dict(data["last"]) if data.get("last") else None,
                misses=min(max(int(data.get("misses") or 0), 0), MAX_MISSES),
                uses=tuple(sorted((str(k), int(n)) for k, n in (data.get("uses") or {}).items())),
                fine=tuple(sorted({str(k) for k in data.get("fine") or ()} & CHECK_IN_KINDS)),
                remind=str(data["remind"]) if data.get("remind") else None,
                can_remind=bool(data.get("can_remind")),
                quiet=bool(data.get("quiet")),
                names=tuple(str(n) for n in data.get("names") or ())[:MAX_NAMES],
            )
        except (ValueError, KeyError, TypeError):
            # A session from an older deployment: start the conversation afresh.
            return cls()


def _from_v2_session(data: Mapping[str, Any]) -> Conversation:
    """A session written before programs were content: {"program", "tip", "step", ...}.
    Its place is kept; its open question, whose meaning changed, is asked afresh."""
    program = data.get("program")
    if program == "motivate":
        return Conversation(program="motivate", step=int(data["tip"]), part=int(data["step"]))
    if program == "direction":
        return Conversation(program="direction", step=int(data["step"]))
    return Conversation()


class Turn(NamedTuple):
    conversation: Conversation
    progress: Progress
    reply: Reply
    forget: bool = False  # the user confirmed deleting their stored progress
