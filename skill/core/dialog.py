"""The dialog core: conversation state + command -> new state + what to say.

Pure and channel-agnostic: no ASK SDK, no storage, no clock of its own. Alexa handlers,
the terminal chat and the phone line are adapters that turn their input into a
``Command`` and render the ``Reply`` through the templates.

It walks any program of the ``Catalog`` it is given (``skill.core.program``): next, back,
repeat, a step by number, the list, where am I, pause and resume, practices, and resuming
across sessions all come from the program's content. No program is known here by name.

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

from skill.core.program import LONG_ABSENCE_SECONDS, Catalog, Program
from skill.core.progress import ProgramProgress, Progress


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
    MISUNDERSTOOD = "misunderstood"  # "you misunderstood me", after a safety answer
    FORGET = "forget"
    SLOWER = "slower"  # speak more slowly (remembered)
    FASTER = "faster"  # speak faster, shorter pauses (remembered)
    MORE_TIME = "more_time"  # longer pauses (remembered)
    HOW_LONG = "how_long"  # how long a step and the program take
    ABOUT = "about"  # what is Ally Coach?
    DONT_KNOW = "dont_know"  # "I don't know", "I'm not sure"
    EYES_OPEN = "eyes_open"  # "I'm driving", "I can't close my eyes"
    SESSION_ENDED = "session_ended"


class Question(StrEnum):
    """The yes/no question the user was last asked; it decides what yes and no mean."""

    OFFER = "offer"  # try the program ``Conversation.offer``?
    RESUME = "resume"  # go on with ``offer`` where you left off?
    RESTART = "restart"  # start ``offer`` from its first step?
    PRACTICE = "practice"  # try this step's practice?
    READY = "ready"  # a pause in a guided exercise: say ready to go on
    REFLECT = "reflect"  # the question that closes a practice, or a guided program
    NEXT_STEP = "next_step"  # go on to the next step?
    FORGET = "forget"  # really delete your progress?


# What is answered as usual while coaching is held after a safety answer: a new session,
# its end, and deleting one's data (which can matter most to someone at risk).
_WHILE_HELD = frozenset({Action.LAUNCH, Action.SESSION_ENDED, Action.FORGET})

# Views said word for word every time: the answers to a disclosure keep their exact words.
# No variant, no escalation: a person in crisis hears the same numbers each time.
FIXED_VIEWS = frozenset(
    {"safety", "self_harm", "safety_hold", "safety_numbers", "safety_goodbye", "misunderstood"}
)
# Views with variants: the reply's ``v`` (0 to VARIANTS - 1) picks the words in the template,
# and the same person never hears the same variant of a view twice in a row.
VARIANTS = 3
# Fallbacks in a row escalate up to this level: short, then two things to say, then help
# or a way out.
MAX_MISSES = 3

# Questions asked after the last step: "back" from there returns to the last step.
_PAST_THE_END = frozenset({Question.OFFER, Question.RESUME})

# Questions whose reprompt names the program offered, or the step under way.
_ABOUT_AN_OFFER = frozenset({Question.OFFER, Question.RESUME, Question.RESTART})
_ABOUT_THE_STEP = frozenset({Question.PRACTICE, Question.NEXT_STEP})


class Command(NamedTuple):
    action: Action
    number: int | None = None  # GO_TO_STEP: the number asked for, if one was understood
    heard: str | None = None  # the words heard, for "there is no tip nine"
    partner: str | None = None  # START_PROGRAM, SAFETY: "husband", "wife", ... when said
    program: str | None = None  # START_PROGRAM: the program's id; None if not one we have
    position: str | None = None  # GO_TO_STEP: "last"


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
    part: int = 0  # the part of the step's practice; 0 = not in a practice
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

    def to_dict(self) -> dict[str, Any]:
        return {
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
        }

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


def handle(
    conversation: Conversation, progress: Progress, command: Command, now: int, catalog: Catalog
) -> Turn:
    """Answer one command. ``now`` is epoch seconds, used only for visits and recaps."""
    if catalog.get(conversation.program) is None and conversation.program is not None:
        conversation = Conversation(last=conversation.last)  # a program the content dropped
    turn = _Dialog(catalog, conversation, progress, now).dispatch(command)
    reply = turn.reply
    state = turn.conversation
    missed = reply.view == "fallback" and command.action is not Action.REPEAT
    if not missed and not state.hold:
        state = state._replace(misses=0)  # understood: the next fallback is a short one again
    state = state._replace(uses=conversation.uses)  # the session's count, whatever the turn
    if reply.view is not None and command.action is not Action.REPEAT:
        reply, state = _voiced(reply, state, turn.progress)
    # "Repeat" says again what the user was last taken through, not the pause notice nor
    # a fallback;
    # while coaching is held nothing of the safety answer is kept to repeat.
    if reply.view not in (None, "fallback") and command.action not in (Action.REPEAT, Action.PAUSE):
        state = state._replace(last=None if state.hold else reply)
    if reply.end_session:
        state = Conversation()
    return turn._replace(conversation=state, reply=reply)


class _Dialog:
    """One turn's view of the catalog, the conversation and the progress."""

    def __init__(self, catalog: Catalog, c: Conversation, p: Progress, now: int) -> None:
        self.catalog = catalog
        self.c = c
        self.p = p
        self.now = now

    # --- dispatch ---------------------------------------------------------------------

    def dispatch(self, cmd: Command) -> Turn:
        a, c, p = cmd.action, self.c, self.p
        if a in (Action.SAFETY, Action.SELF_HARM):
            return self.safety(a, cmd.partner)
        forgetting = c.question is Question.FORGET and a in (Action.YES, Action.NO)
        if c.hold and a not in _WHILE_HELD and not forgetting:
            return self.held(a)
        if a is Action.MISUNDERSTOOD:
            return self.fallback()  # nothing was taken as a disclosure
        if a is Action.SESSION_ENDED:
            return Turn(c, p, Reply(None, end_session=True))
        if a is Action.LAUNCH:
            return self.launch()
        if a is Action.STOP:
            return Turn(
                Conversation(), p, Reply("goodbye", {"started": not p.is_new}, end_session=True)
            )
        if a is Action.HELP:
            return self.aside("help")
        if a is Action.FALLBACK:
            return self.fallback()
        if a in (Action.SLOWER, Action.FASTER, Action.MORE_TIME):
            return self.pacing(a)
        if a is Action.HOW_LONG:
            return self.how_long()
        if a is Action.ABOUT:
            return self.aside("about")
        if a is Action.DONT_KNOW:
            return self.dont_know()
        if a is Action.REPEAT:
            return Turn(c, p, c.last) if c.last is not None else self.menu()
        if a is Action.PAUSE:
            turn = self.aside("paused")
            return turn._replace(conversation=c._replace(paused=True))
        if a is Action.HOME:
            return self.menu()
        if a is Action.FORGET:
            return self.ask("forget_confirm", {}, Question.FORGET)
        if a is Action.EYES_OPEN:
            return self.eyes_open()
        if a is Action.START_PROGRAM:
            return self.start_program(cmd)
        if a is Action.START_OVER:
            program = self.program or self.catalog.main
            return self.step(program, 1, intro=True)
        if a is Action.GO_TO_STEP:
            return self.go_to_step(cmd)
        if a is Action.LIST_STEPS:
            return self.aside("list_steps", program=self.numbered.id)
        if a is Action.WHERE_AM_I:
            return self.where_am_i()
        if a is Action.RESUME:
            return self.resume()
        if a is Action.NEXT:
            return self.next()
        if a is Action.PREVIOUS:
            return self.previous(cmd.number or 1)
        if a in (Action.YES, Action.NO, Action.READY):
            return self.answer(a)
        raise ValueError(f"unhandled action {a}")  # pragma: no cover - every Action is above

    # --- safety --------------------------------------------------------------------------

    def safety(self, a: Action, partner: str | None = None) -> Turn:
        """Coaching stops: no persuasion advice, just where to find help now. The session
        stays open so that a misreading can be undone, and nothing comes back on its own.
        The partner named (danger from a partner) goes to this answer only, to pick a
        helpline that serves the person speaking: the held state keeps none of it."""
        c = self.c
        before = c.before if c.hold else c._replace(last=c.last)
        state = Conversation(hold=True, before=before, eyes_open=c.eyes_open)
        if a is Action.SELF_HARM:
            return Turn(state, self.p, Reply("self_harm", {}, card="numbers"))
        data = {"partner": partner} if partner else {}
        return Turn(state, self.p, Reply("safety", data, card="numbers"))

    def held(self, a: Action) -> Turn:
        """Anything said after a safety answer, before the user says it was a misreading."""
        c, p = self.c, self.p
        if a is Action.MISUNDERSTOOD:
            before = c.before or Conversation()
            self.c = before
            return self.aside("misunderstood")
        if a is Action.STOP:
            return Turn(
                Conversation(), p, Reply("safety_goodbye", {}, card="numbers", end_session=True)
            )
        if a in (Action.REPEAT, Action.HELP):
            return Turn(c, p, Reply("safety_numbers", {}, card="numbers"))
        return Turn(c, p, Reply("safety_hold", {}))

    # --- where we are -----------------------------------------------------------------

    @property
    def program(self) -> Program | None:
        return self.catalog.get(self.c.program)

    @property
    def numbered(self) -> Program:
        """The program whose steps "tip three" and "list the tips" are about."""
        program = self.program
        if program is not None and program.numbered:
            return program
        current = self.catalog.get(self.p.current)
        if current is not None and current.numbered:
            return current
        return self.catalog.main

    def context(self) -> str:
        """A name for where the user is, so help and fallback can say what fits here."""
        c = self.c
        if c.paused:
            return "paused"
        if c.question is not None:
            return c.question.value
        if c.program is not None:
            return "step"
        return "menu"

    def base(self) -> dict[str, Any]:
        """What every view may mention: where we are and what was last asked. Only what
        the words can depend on, so that equal words are one reply (one pre-rendered entry)."""
        c = self.c
        return {
            "question": c.question.value if c.question else None,
            "context": self.context(),
            "program": c.program if c.question in _ABOUT_THE_STEP or c.question is None else None,
            "offer": c.offer if c.question in _ABOUT_AN_OFFER else None,
            "eyes_open": c.eyes_open,
        }

    # --- building blocks --------------------------------------------------------------

    def aside(self, view: str, **data: Any) -> Turn:
        """Help, the list, a pause...: the question that was open stays open."""
        return Turn(self.c, self.p, Reply(view, {**self.base(), **data}))

    def ask(
        self,
        view: str,
        data: Mapping[str, Any],
        question: Question,
        *,
        state: Conversation | None = None,
        progress: Progress | None = None,
        card: str | None = None,
    ) -> Turn:
        state = (state or self.c)._replace(question=question, paused=False)
        full = {
            "context": question.value,
            "program": state.program,
            "offer": state.offer if question in _ABOUT_AN_OFFER else None,
            "eyes_open": state.eyes_open,
            **data,
            "question": question.value,
        }
        return Turn(state, progress or self.p, Reply(view, full, card=card))

    def fallback(self) -> Turn:
        """Not understood. Each miss in a row says more: a short nudge, then two things to
        say here, then help or a way out. The open question stays open."""
        misses = min(self.c.misses + 1, MAX_MISSES)
        self.c = self.c._replace(misses=misses)
        return self.aside("fallback", level=misses)

    def pacing(self, a: Action) -> Turn:
        """Slower, faster, more time: remembered for this and later sessions. In an
        exercise the part under way is said again at the new pace."""
        p = self.p
        if a is Action.SLOWER:
            changed = p.with_pacing(p.pace - 1, p.room)
        elif a is Action.FASTER:
            changed = p.with_pacing(p.pace + 1, p.room - 1)
        else:
            changed = p.with_pacing(p.pace, p.room + 1)
        note = a.value if changed != p else f"{a.value}_most"
        self.p = changed
        c, program = self.c, self.program
        if program is not None and c.step and c.part:
            return self.practice(c.part, note=note)
        if program is not None and c.step and program.step(c.step).kind == "guided":
            return self.step(program, c.step, note=note)
        return self.aside("pacing", note=note)

    def how_long(self) -> Turn:
        """How long the program under way (or the main one) takes, from its content."""
        program = self.program or self.numbered
        minutes = [step.minutes for step in program.steps]
        return self.aside(
            "how_long",
            program=program.id,
            count=program.size,
            each=round(max(minutes)),
            total=round(sum(minutes)),
            left=round(sum(minutes[self.c.step - 1 :])) if self.c.program and self.c.step else None,
        )

    def dont_know(self) -> Turn:
        """ "I don't know" to a question: said gently, with time or the simpler choice."""
        c = self.c
        if c.question is Question.REFLECT and self.program is not None:
            return self.answer(Action.NO)  # its "no" answer is already the gentle one
        return self.aside("not_sure")

    def at_rest(self, **changes: Any) -> Conversation:
        """No program under way (the menu, an offer): only what the session remembers."""
        c = self.c
        kept = Conversation(skip=c.skip, eyes_open=c.eyes_open, last=c.last)
        return kept._replace(**changes)

    def completed(self, program: Program) -> bool:
        """Done means every step heard. Only a record from before steps were counted (a
        finished flag with nothing heard, migrated from schema 2) is taken at its word."""
        progress = self.p.of(program.id)
        if progress.finished and not progress.heard:
            return True
        return _at_end(program, progress) or (
            progress.finished and progress.heard_all(program.size)
        )

    def next_offer(self, after: Program | None, *, again: bool) -> Program | None:
        """The program to suggest after ``after``: the one it names, else the main one,
        else any other; never one declined or done this session. One not yet done comes
        first; with ``again``, one done before may be offered once more."""
        skip = set(self.c.skip) | ({after.id} if after else set())
        names = [after.then] if after and after.then else []
        names += [program.id for program in self.catalog]
        pool = [self.catalog[n] for n in dict.fromkeys(names) if n not in skip]
        fresh = [program for program in pool if not self.completed(program)]
        if fresh:
            return fresh[0]
        return pool[0] if again and pool else None

    def offer(self, view: str, offered: Program, data: Mapping[str, Any], **state: Any) -> Turn:
        """Ask whether to do ``offered``; ``again`` tells the view it was done before."""
        return self.ask(
            view,
            {**data, "offer": offered.id, "again": self.completed(offered)},
            Question.OFFER,
            state=self.at_rest(offer=offered.id, **state),
        )

    # --- launch and the menu -------------------------------------------------------------

    def launch(self) -> Turn:
        # The adapter records the visit itself (every new session is one, not only launches).
        self.p = p = replace(self.p, visits=self.p.visits + 1)
        main = self.catalog.main
        if p.is_new:
            return self.offer("welcome", main, {"first": p.visits <= 1})
        away = self.now - p.last_visit if p.last_visit is not None else None
        recap = away is not None and away > LONG_ABSENCE_SECONDS
        resumable = self.resumable()
        if resumable is not None:
            progress = p.of(resumable.id)
            reached = min(progress.position, resumable.size)
            last = reached if reached in progress.heard else 0
            upcoming = progress.resume_step(resumable.size)
            return self.ask(
                "welcome_back",
                {
                    "resume": resumable.id,
                    "last_step": last,
                    "last_id": resumable.step(last or upcoming).id,
                    "next_step": upcoming,
                    "heard": len([n for n in progress.heard if n <= resumable.size]),
                    "recap": recap,
                    "done": None,
                    "offer": resumable.id,
                },
                Question.RESUME,
                state=self.at_rest(offer=resumable.id),
            )
        # Nothing under way: say what was done last, and offer what comes next; when
        # everything is done, the main program once more.
        done = self.catalog.get(p.current)
        if done is None or not self.completed(done):
            done = next((x for x in self.catalog if self.completed(x)), None)
        offer = self.next_offer(done, again=False) or main
        data = {"resume": None, "done": done.id if done else None, "recap": recap}
        return self.offer("welcome_back", offer, data)

    def resumable(self) -> Program | None:
        """The program a returning person is part way through: the one they worked on
        last, else the main one."""
        for program_id in (self.p.current, self.catalog.main.id):
            program = self.catalog.get(program_id)
            if program is None:
                continue
            progress = self.p.of(program.id)
            if progress.started and not self.completed(program):
                return program
        return None

    def menu(self) -> Turn:
        main = self.catalog.main
        others = " ".join(program.id for program in self.catalog if program.id != main.id)
        self.c = Conversation(eyes_open=self.c.eyes_open, last=self.c.last)
        return self.offer("menu", main, {"started": not self.p.is_new, "others": others})

    def start_program(self, cmd: Command) -> Turn:
        program = self.catalog.get(cmd.program)
        if program is None:
            return self.aside("program_unknown", heard=cmd.heard)
        progress = self.p.of(program.id)
        part_way = (
            self.c.program is None
            and progress.started
            and not self.completed(program)
            and progress.resume_step(program.size) > 1
        )
        if part_way:
            step = progress.resume_step(program.size)
            return self.ask(
                "resume_offer",
                {
                    "resume": program.id,
                    "next_step": step,
                    "next_id": program.step(step).id,
                    "partner": cmd.partner,
                },
                Question.RESUME,
                state=self.at_rest(offer=program.id),
            )
        return self.step(program, 1, intro=True, partner=cmd.partner)

    # --- walking a program ------------------------------------------------------------

    def step(
        self,
        program: Program,
        n: int,
        *,
        intro: bool = False,
        partner: str | None = None,
        note: str | None = None,
    ) -> Turn:
        step = program.step(n)
        # A yes to an offer of the program: the offer has just said what it is.
        offered = self.c.question is Question.OFFER and self.c.offer == program.id
        went_on = self.c.program == program.id and n == self.c.step + 1
        state = self.at_rest(program=program.id, step=n)
        old = self.p.of(program.id)
        # A lesson is heard once it is said; a guided step is part of the exercise.
        heard = old.heard | {n}
        progress = self.p.with_program(program.id, old._replace(position=n, heard=heard))
        if step.practice:
            question = Question.PRACTICE
        elif step.kind == "guided":
            question = Question.REFLECT if program.last_guided(n) else Question.READY
        else:
            question = Question.NEXT_STEP
        data = {
            "step": n,
            "step_id": step.id,
            "count": program.size,
            "intro": intro,
            "partner": partner,
            "note": note,
            "practiced": n in old.practiced,
            "moved": "next" if went_on and not intro and note is None else None,
            "offered": intro and offered and partner is None,
        }
        card = "step" if program.card else None
        return self.ask("step", data, question, state=state, progress=progress, card=card)

    def practice(self, part: int, note: str | None = None) -> Turn:
        program = self.program
        assert program is not None  # a practice is only offered inside a program
        step = program.step(self.c.step)
        last = part >= step.practice
        return self.ask(
            "practice",
            {
                "step": self.c.step,
                "step_id": step.id,
                "part": part,
                "last_part": last,
                "note": note,
            },
            Question.REFLECT if last else Question.READY,
            state=self.c._replace(part=part),
        )

    def after_step(self) -> Turn:
        """Leaving the current step forwards: the next step, or the end of the program."""
        program = self.program
        assert program is not None
        if self.c.step >= program.size:
            return self.program_end(program, answered=None)
        return self.step(program, self.c.step + 1)

    def program_end(self, program: Program, answered: bool | None) -> Turn:
        """Past the last step: the program is done if every step was heard; else the steps
        missed are offered, so "finished" always means heard."""
        progress = self.p.of(program.id)
        if progress.heard_all(program.size):
            return self.program_done(program, answered)
        missed = [n for n in range(1, program.size + 1) if n not in progress.heard]
        return self.ask(
            "steps_missed",
            {
                "program": program.id,
                "missed": len(missed),
                "first_missed": missed[0],
                "heard": program.size - len(missed),
                "count": program.size,
                "offer": program.id,
            },
            Question.RESUME,
            state=self.at_rest(offer=program.id, program=program.id, step=program.size),
        )

    def program_done(self, program: Program, answered: bool | None) -> Turn:
        old = self.p.of(program.id)
        self.p = self.p.with_program(program.id, old._replace(finished=True))
        self.c = self.c._replace(skip=_with(self.c.skip, program.id))
        # Everything done this session: the main program once more, never the one just done
        # (unless it is the only one).
        main = self.catalog.main
        offer = self.next_offer(program, again=True) or (main if main != program else program)
        # The place stays at the last step, so "back" returns to it.
        data = {"done": program.id, "answered": answered}
        return self.offer("program_done", offer, data, program=program.id, step=program.size)

    def go_to_step(self, cmd: Command) -> Turn:
        program = self.numbered
        if cmd.position == "last":
            return self.step(program, program.size)
        if cmd.number is None or not 1 <= cmd.number <= program.size:
            return self.aside(
                "step_out_of_range",
                program=program.id,
                heard=cmd.heard,
                number=cmd.number,
                count=program.size,
            )
        return self.step(program, cmd.number)

    def where_am_i(self) -> Turn:
        program = self.program or self.numbered
        progress = self.p.of(program.id)
        step = self.c.step or min(progress.position, program.size)
        return self.aside(
            "where_am_i",
            program=program.id,
            active=self.c.program is not None,
            step=step,
            step_id=program.step(step).id if step else None,
            count=program.size,
            part=self.c.part,
            heard=len([n for n in progress.heard if n <= program.size]),
        )

    def resume(self) -> Turn:
        c, p = self.c, self.p
        if c.question is Question.RESUME:
            return self.answer(Action.YES)
        if c.paused and c.last is not None:
            return Turn(c._replace(paused=False), p, c.last)
        program = self.program
        if program is not None and c.step and c.part:
            return self.practice(c.part)
        if program is not None and c.step:
            return self.step(program, c.step)
        resumable = self.resumable()
        if resumable is not None:
            step = p.of(resumable.id).resume_step(resumable.size)
            return self.step(resumable, step, intro=step == 1)
        return self.menu()

    def next(self) -> Turn:
        c, program = self.c, self.program
        if program is not None and c.step:
            if c.question is Question.READY and c.part:
                # "next" in the middle of a practice moves on within the practice.
                return self.practice(c.part + 1)
            if program.last_guided(c.step):
                return self.program_end(program, answered=None)
            return self.after_step()
        main = self.catalog.main
        progress = self.p.of(main.id)
        if self.completed(main) or not progress.started:
            return self.step(main, 1, intro=True)
        return self.step(main, progress.resume_step(main.size))

    def previous(self, count: int = 1) -> Turn:
        """Back one (or ``count``) steps; inside a practice, back one part."""
        c, program = self.c, self.program
        if program is None or not c.step:
            return self.menu()
        if c.part > 1 and count == 1:
            return self.practice(c.part - 1)
        if count == 1 and (c.part == 1 or (c.step == program.size and c.question in _PAST_THE_END)):
            return self.step(program, c.step)
        if c.step == 1:
            return self.step(program, 1, note="first")
        return self.step(program, max(c.step - max(count, 1), 1))

    # --- answers to the open question ----------------------------------------------------

    def answer(self, a: Action) -> Turn:
        yes = a in (Action.YES, Action.READY)
        c, q = self.c, self.c.question
        offered = self.catalog.get(c.offer)
        if q is Question.OFFER and offered is not None:
            if yes:
                progress = self.p.of(offered.id)
                if progress.started and not self.completed(offered):
                    step = progress.resume_step(offered.size)
                    return self.step(offered, step, intro=step == 1)
                return self.step(offered, 1, intro=True)
            return self.declined(offered)
        if q is Question.RESUME and offered is not None:
            if yes:
                step = self.p.of(offered.id).resume_step(offered.size)
                return self.step(offered, step, intro=step == 1)
            return self.ask(
                "resume_declined", {}, Question.RESTART, state=self.at_rest(offer=offered.id)
            )
        if q is Question.RESTART and offered is not None:
            return self.step(offered, 1, intro=True) if yes else self.declined(offered)
        program = self.program
        if q is Question.PRACTICE and program is not None:
            return self.practice(1) if yes else self.after_step()
        if q is Question.READY and program is not None:
            if not yes:
                return self.aside("take_your_time")
            if c.part:
                return self.practice(c.part + 1)
            return self.after_step()
        if q is Question.REFLECT and program is not None:
            if not c.part:
                return self.program_end(program, answered=yes)
            old = self.p.of(program.id)
            practiced = self.p.with_program(
                program.id, old._replace(practiced=old.practiced | {c.step})
            )
            return self.ask(
                "practice_done",
                {
                    "step": c.step,
                    "step_id": program.step(c.step).id,
                    "answered": yes,
                    "last_step": c.step >= program.size,
                },
                Question.NEXT_STEP,
                state=c._replace(part=0),
                progress=practiced,
            )
        if q is Question.NEXT_STEP and program is not None:
            if yes:
                return self.after_step()
            return self.ask("stay_on_step", {"step": c.step}, Question.NEXT_STEP)
        if q is Question.FORGET:
            if yes:
                return Turn(
                    Conversation(), Progress(), Reply("forgotten", end_session=True), forget=True
                )
            if c.hold:
                return Turn(c._replace(question=None), self.p, Reply("safety_hold", {}))
            main = self.catalog.main
            return self.offer("forget_cancelled", main, {})
        # Yes or no with no question open.
        return self.fallback()

    def declined(self, offered: Program) -> Turn:
        """No to a program: suggest one not yet done, once; else say goodbye."""
        self.c = self.c._replace(skip=_with(self.c.skip, offered.id))
        alternative = self.next_offer(offered, again=False)
        if alternative is None:
            return self.goodbye()
        return self.offer("offer_declined", alternative, {"declined": offered.id})

    def eyes_open(self) -> Turn:
        """From now on this session, exercises are done with the eyes open. In an exercise,
        the part under way is said again that way."""
        self.c = c = self.c._replace(eyes_open=True)
        program = self.program
        if program is not None and c.step and c.part:
            return self.practice(c.part, note="eyes_open")
        if program is not None and c.step and program.step(c.step).kind == "guided":
            return self.step(program, c.step, note="eyes_open")
        return self.aside("eyes_open")

    def goodbye(self) -> Turn:
        return Turn(Conversation(), self.p, Reply("goodbye", {"started": True}, end_session=True))


def _voiced(reply: Reply, state: Conversation, progress: Progress) -> tuple[Reply, Conversation]:
    """The reply with its variant (``v``) and the person's pacing, counted in the session.

    The variant of a view is the number of times this session said it, offset by the
    person's visits before this one: within a session no variant of a view follows
    itself, each visit's welcome differs from the last one's, and a first visit hears
    the first variant of everything."""
    assert reply.view is not None
    extra: dict[str, Any] = {}
    if progress.pace:
        extra["pace"] = progress.pace
    if progress.room:
        extra["room"] = progress.room
    if reply.view not in FIXED_VIEWS:
        uses = dict(state.uses)
        count = uses.get(reply.view, 0)
        extra["v"] = (count + max(progress.visits - 1, 0)) % VARIANTS
        uses[reply.view] = count + 1
        state = state._replace(uses=tuple(sorted(uses.items())))
    if not extra:
        return reply, state
    return reply._replace(data={**reply.data, **extra}), state


def _with(programs: tuple[str, ...], program_id: str) -> tuple[str, ...]:
    """A set of program ids kept as a sorted tuple: it lives in session attributes."""
    return tuple(sorted({*programs, program_id}))


def _at_end(program: Program, progress: ProgramProgress) -> bool:
    """Every step heard and the last one reached: nothing left to resume."""
    return progress.heard_all(program.size) and progress.position >= program.size
