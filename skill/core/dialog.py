"""The dialog core: conversation state + command -> new state + what to say.

Pure and channel-agnostic: no ASK SDK, no storage, no clock of its own. Alexa handlers,
the terminal chat and the phone line are adapters that turn their input into a
``Command`` and render the ``Reply`` through the templates.

The immutable values here are NamedTuples, not frozen dataclasses: a dataclass costs
about 1.3 ms to create at import (it compiles its methods), a NamedTuple a fifth of
that, and every Lambda cold start imports this module (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from skill.core.program import DIRECTION_STEPS, LONG_ABSENCE_SECONDS, PRACTICE_STEPS, TIP_COUNT
from skill.core.progress import Progress


class Action(StrEnum):
    LAUNCH = "launch"
    START_MOTIVATE = "start_motivate"
    START_DIRECTION = "start_direction"
    NEXT = "next"
    PREVIOUS = "previous"
    REPEAT = "repeat"
    START_OVER = "start_over"
    GO_TO_TIP = "go_to_tip"
    LIST_TIPS = "list_tips"
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
    SAFETY = "safety"
    FORGET = "forget"
    SESSION_ENDED = "session_ended"


class Question(StrEnum):
    """The yes/no question the user was last asked; it decides what yes and no mean."""

    START = "start"  # hear the five tips?
    RESUME = "resume"  # continue where you left off?
    PRACTICE = "practice"  # try this tip's practice?
    READY = "ready"  # a pause in a guided exercise: say ready to go on
    REFLECT = "reflect"  # the question that closes a practice
    NEXT_TIP = "next_tip"  # go on to the next tip?
    DIRECTION = "direction"  # try "Set your direction"?
    DIRECTION_REFLECT = "direction_reflect"  # did you find your small step?
    FORGET = "forget"  # really delete your progress?


class Program(StrEnum):
    MOTIVATE = "motivate"
    DIRECTION = "direction"


class Command(NamedTuple):
    action: Action
    tip: int | None = None  # GO_TO_TIP: the number asked for, if one was understood
    heard: str | None = None  # GO_TO_TIP: the words heard, for "there is no tip nine"
    partner: str | None = None  # START_MOTIVATE: "husband", "wife", ... when said


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

    program: Program | None = None
    tip: int = 0  # 1..TIP_COUNT while in the motivate program
    step: int = 0  # practice step (motivate) or reflection step (direction); 0 = none
    question: Question | None = None
    paused: bool = False
    last: Reply | None = None  # what "repeat" says again

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program.value if self.program else None,
            "tip": self.tip,
            "step": self.step,
            "question": self.question.value if self.question else None,
            "paused": self.paused,
            "last": self.last.to_dict() if self.last else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Conversation:
        if not data:
            return cls()
        try:
            return cls(
                program=Program(data["program"]) if data.get("program") else None,
                tip=min(max(int(data.get("tip") or 0), 0), TIP_COUNT),
                step=int(data.get("step") or 0),
                question=Question(data["question"]) if data.get("question") else None,
                paused=bool(data.get("paused")),
                last=Reply.from_dict(data["last"]) if data.get("last") else None,
            )
        except (ValueError, KeyError, TypeError):
            # A session from an older deployment: start the conversation afresh.
            return cls()


class Turn(NamedTuple):
    conversation: Conversation
    progress: Progress
    reply: Reply
    forget: bool = False  # the user confirmed deleting their stored progress


def handle(conversation: Conversation, progress: Progress, command: Command, now: int) -> Turn:
    """Answer one command. ``now`` is epoch seconds, used only for visits and recaps."""
    turn = _dispatch(conversation, progress, command, now)
    reply = turn.reply
    state = turn.conversation
    # "Repeat" says again what the user was last taken through, not the pause notice.
    if reply.view is not None and command.action not in (Action.REPEAT, Action.PAUSE):
        state = state._replace(last=reply)
    if reply.end_session:
        state = Conversation()
    return turn._replace(conversation=state)


# --- dispatch -------------------------------------------------------------------------


def _dispatch(c: Conversation, p: Progress, cmd: Command, now: int) -> Turn:
    a = cmd.action
    if a is Action.SAFETY:
        # Coaching stops: no persuasion advice, just where to find help now.
        return Turn(Conversation(), p, Reply("safety", end_session=True, card="safety"))
    if a is Action.SESSION_ENDED:
        return Turn(c, p, Reply(None, end_session=True))
    if a is Action.LAUNCH:
        return _launch(p, now)
    if a is Action.STOP:
        return Turn(
            Conversation(), p, Reply("goodbye", {"started": not p.is_new}, end_session=True)
        )
    if a is Action.HELP:
        return _say(c, p, "help", {"context": _context(c, p)})
    if a is Action.FALLBACK:
        return _say(c, p, "fallback", {"context": _context(c, p)})
    if a is Action.REPEAT:
        if c.last is None:
            return _menu(c, p)
        return Turn(c, p, c.last)
    if a is Action.PAUSE:
        return _say(c._replace(paused=True), p, "paused", {"context": _context(c, p)})
    if a is Action.HOME:
        return _menu(c, p)
    if a is Action.FORGET:
        return _ask(c, p, "forget_confirm", {}, Question.FORGET)
    if a is Action.START_MOTIVATE:
        if not p.is_new and not p.program_finished and c.program is None and p.current_tip > 1:
            return _ask(
                c, p, "resume_offer", {"tip": p.resume_tip, "partner": cmd.partner}, Question.RESUME
            )
        return _tip(c, p, 1, intro=True, partner=cmd.partner)
    if a is Action.START_DIRECTION:
        return _direction_step(c, p, 1)
    if a is Action.START_OVER:
        if c.program is Program.DIRECTION:
            return _direction_step(c, p, 1)
        return _tip(c, p, 1, intro=True)
    if a is Action.GO_TO_TIP:
        return _go_to_tip(c, p, cmd)
    if a is Action.LIST_TIPS:
        return _say(c, p, "list_tips", {"context": _context(c, p)})
    if a is Action.WHERE_AM_I:
        return _say(
            c,
            p,
            "where_am_i",
            {
                "context": _context(c, p),
                "program": c.program.value if c.program else None,
                "tip": c.tip or p.current_tip,
                "step": c.step,
                "finished": len(p.finished_tips),
            },
        )
    if a is Action.RESUME:
        return _resume(c, p)
    if a is Action.NEXT:
        return _next(c, p)
    if a is Action.PREVIOUS:
        return _previous(c, p)
    if a in (Action.YES, Action.NO, Action.READY):
        return _answer(c, p, a)
    raise ValueError(f"unhandled action {a}")  # pragma: no cover - every Action is above


# --- building blocks ------------------------------------------------------------------


def _say(c: Conversation, p: Progress, view: str, data: Mapping[str, Any]) -> Turn:
    """An aside (help, list, pause...): the question that was open stays open."""
    return Turn(c, p, Reply(view, {**data, "question": _q(c)}))


def _ask(
    c: Conversation,
    p: Progress,
    view: str,
    data: Mapping[str, Any],
    question: Question,
    card: str | None = None,
) -> Turn:
    state = c._replace(question=question, paused=False)
    return Turn(state, p, Reply(view, {**data, "question": question.value}, card=card))


def _q(c: Conversation) -> str | None:
    return c.question.value if c.question else None


def _context(c: Conversation, p: Progress) -> str:
    """A name for where the user is, so help and fallback can say what fits here."""
    if c.paused:
        return "paused"
    if c.question is not None:
        return c.question.value
    if c.program is Program.MOTIVATE:
        return "tip"
    if c.program is Program.DIRECTION:
        return "direction"
    return "menu"


def _launch(p: Progress, now: int) -> Turn:
    # The adapter records the visit itself (every new session is one, not only launches).
    away = now - p.last_visit if p.last_visit is not None else None
    c = Conversation()
    if p.is_new:
        return _ask(c, p, "welcome", {}, Question.START)
    recap = away is not None and away > LONG_ABSENCE_SECONDS
    if p.program_finished or (p.heard_all and p.current_tip == TIP_COUNT):
        return _ask(
            c,
            p,
            "welcome_back",
            {
                "finished_all": True,
                "direction_done": p.direction_finished,
                "last_tip": p.current_tip,
                "next_tip": None,
                "recap": recap,
            },
            Question.DIRECTION if not p.direction_finished else Question.START,
        )
    if p.current_tip == 0:
        # Only "Set your direction" done so far.
        return _ask(
            c,
            p,
            "welcome_back",
            {
                "finished_all": False,
                "direction_done": True,
                "last_tip": 0,
                "next_tip": 1,
                "recap": recap,
            },
            Question.START,
        )
    return _ask(
        c,
        p,
        "welcome_back",
        {
            "finished_all": False,
            "direction_done": p.direction_finished,
            "last_tip": p.current_tip if p.current_tip in p.finished_tips else 0,
            "next_tip": p.resume_tip,
            "recap": recap,
        },
        Question.RESUME,
    )


def _menu(c: Conversation, p: Progress) -> Turn:
    state = Conversation(last=c.last)
    return _ask(state, p, "menu", {"started": not p.is_new}, Question.START)


def _tip(
    c: Conversation,
    p: Progress,
    n: int,
    *,
    intro: bool = False,
    partner: str | None = None,
    note: str | None = None,
) -> Turn:
    state = Conversation(program=Program.MOTIVATE, tip=n, last=c.last)
    progress = replace(p, current_tip=n, finished_tips=p.finished_tips | {n})
    data = {
        "tip": n,
        "intro": intro,
        "partner": partner,
        "note": note,
        "practiced": n in p.finished_practices,
    }
    return _ask(state, progress, "tip", data, Question.PRACTICE, card="tip")


def _practice(c: Conversation, p: Progress, step: int) -> Turn:
    state = c._replace(program=Program.MOTIVATE, step=step)
    last = step >= PRACTICE_STEPS
    return _ask(
        state,
        p,
        "practice",
        {"tip": c.tip, "step": step, "last_step": last},
        Question.REFLECT if last else Question.READY,
    )


def _after_tip(c: Conversation, p: Progress) -> Turn:
    """Leaving the current tip forwards: the next tip, or the end of the program."""
    if c.tip >= TIP_COUNT:
        done = replace(p, program_finished=True)
        state = Conversation(program=Program.MOTIVATE, tip=TIP_COUNT, last=c.last)
        return _ask(
            state,
            done,
            "program_done",
            {"direction_done": p.direction_finished},
            Question.DIRECTION,
        )
    return _tip(c, p, c.tip + 1)


def _direction_step(c: Conversation, p: Progress, step: int) -> Turn:
    state = Conversation(program=Program.DIRECTION, step=step, last=c.last)
    last = step >= DIRECTION_STEPS
    return _ask(
        state,
        p,
        "direction",
        {"step": step, "last_step": last},
        Question.DIRECTION_REFLECT if last else Question.READY,
    )


def _go_to_tip(c: Conversation, p: Progress, cmd: Command) -> Turn:
    if cmd.tip is None or not 1 <= cmd.tip <= TIP_COUNT:
        return _say(
            c,
            p,
            "tip_out_of_range",
            {"heard": cmd.heard, "number": cmd.tip, "count": TIP_COUNT, "context": _context(c, p)},
        )
    return _tip(c, p, cmd.tip)


def _resume(c: Conversation, p: Progress) -> Turn:
    if c.question is Question.RESUME:
        return _answer(c, p, Action.YES)
    if c.paused and c.last is not None:
        return Turn(c._replace(paused=False), p, c.last)
    if c.program is Program.MOTIVATE and c.tip and c.step:
        return _practice(c, p, c.step)
    if c.program is Program.MOTIVATE and c.tip:
        return _tip(c, p, c.tip)
    if c.program is Program.DIRECTION and c.step:
        return _direction_step(c, p, c.step)
    if p.program_finished:
        return _ask(
            c, p, "program_done", {"direction_done": p.direction_finished}, Question.DIRECTION
        )
    return _tip(c, p, p.resume_tip, intro=p.resume_tip == 1)


def _next(c: Conversation, p: Progress) -> Turn:
    if c.program is Program.DIRECTION:
        if c.step >= DIRECTION_STEPS:
            return _direction_finished(c, p, answered=None)
        return _direction_step(c, p, c.step + 1)
    if c.program is Program.MOTIVATE and c.tip:
        if c.question is Question.READY and c.step:
            # "next" in the middle of a practice moves on within the practice.
            return _practice(c, p, c.step + 1)
        return _after_tip(c, p)
    if p.program_finished or p.is_new:
        return _tip(c, p, 1, intro=True)
    return _tip(c, p, p.resume_tip)


def _previous(c: Conversation, p: Progress) -> Turn:
    if c.program is Program.DIRECTION:
        return _direction_step(c, p, max(c.step - 1, 1))
    if c.program is Program.MOTIVATE and c.tip:
        if c.step > 1:
            return _practice(c, p, c.step - 1)
        if c.step == 1 or (c.tip == TIP_COUNT and c.question is Question.DIRECTION):
            return _tip(c, p, c.tip)
        if c.tip == 1:
            return _tip(c, p, 1, note="first")
        return _tip(c, p, c.tip - 1)
    return _menu(c, p)


def _direction_finished(c: Conversation, p: Progress, answered: bool | None) -> Turn:
    done = replace(p, direction_finished=True)
    state = Conversation(last=c.last)
    return _ask(
        state,
        done,
        "direction_done",
        {"answered": answered, "program_finished": p.program_finished},
        Question.START,
    )


def _answer(c: Conversation, p: Progress, a: Action) -> Turn:
    yes = a in (Action.YES, Action.READY)
    q = c.question
    if q is Question.START:
        if yes:
            if p.program_finished or p.is_new or p.current_tip <= 1:
                return _tip(c, p, 1, intro=True)
            return _tip(c, p, p.resume_tip)
        return _ask(Conversation(last=c.last), p, "menu_declined", {}, Question.DIRECTION)
    if q is Question.RESUME:
        if yes:
            return _tip(c, p, p.resume_tip, intro=p.resume_tip == 1)
        return _ask(Conversation(last=c.last), p, "resume_declined", {}, Question.START)
    if q is Question.PRACTICE:
        return _practice(c, p, 1) if yes else _after_tip(c, p)
    if q is Question.READY:
        if not yes:
            return _say(c, p, "take_your_time", {"program": c.program.value if c.program else None})
        if c.program is Program.DIRECTION:
            return _direction_step(c, p, c.step + 1)
        return _practice(c, p, c.step + 1)
    if q is Question.REFLECT:
        practiced = replace(p, finished_practices=p.finished_practices | {c.tip})
        state = c._replace(step=0)
        return _ask(
            state,
            practiced,
            "practice_done",
            {"tip": c.tip, "answered": yes, "last_tip": c.tip >= TIP_COUNT},
            Question.NEXT_TIP,
        )
    if q is Question.NEXT_TIP:
        if yes:
            return _after_tip(c, p)
        return _ask(c, p, "stay_on_tip", {"tip": c.tip}, Question.NEXT_TIP)
    if q is Question.DIRECTION:
        if yes:
            return _direction_step(c, p, 1)
        return Turn(Conversation(), p, Reply("goodbye", {"started": True}, end_session=True))
    if q is Question.DIRECTION_REFLECT:
        return _direction_finished(c, p, answered=yes)
    if q is Question.FORGET:
        if yes:
            return Turn(
                Conversation(), Progress(), Reply("forgotten", end_session=True), forget=True
            )
        return _ask(Conversation(last=c.last), p, "forget_cancelled", {}, Question.START)
    # Yes or no with no question open.
    return _say(c, p, "fallback", {"context": _context(c, p)})
