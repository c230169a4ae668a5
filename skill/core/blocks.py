"""What every part of the dialog builds on: one turn's view of the catalog, the
conversation and the progress, where the user is, and the replies that ask or aside."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skill.core.program import Catalog, Program
from skill.core.progress import ProgramProgress, Progress
from skill.core.values import MAX_MISSES, MISSES_TO_END, Conversation, Question, Reply, Turn

# Questions whose reprompt names the program offered, or the step under way.
_ABOUT_AN_OFFER = frozenset({Question.OFFER, Question.RESUME, Question.RESTART})
_ABOUT_THE_STEP = frozenset({Question.PRACTICE, Question.NEXT_STEP, Question.UNFINISHED})
# Questions asked while a practice is under way: its own, and whether to carry on with it.
_IN_A_PIECE = frozenset({Question.REFLECT, Question.CARRY_ON, Question.READY, Question.TURN})


class DialogBase:
    """One turn's view of the catalog, the conversation and the progress."""

    def __init__(self, catalog: Catalog, c: Conversation, p: Progress, now: int) -> None:
        self.catalog = catalog
        self.c = c
        self.p = p
        self.now = now

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

    @property
    def in_piece(self) -> bool:
        """A practice (or a run of guided steps) is under way: it was played as one piece,
        and its question, or whether to carry on with it, is open. ``Conversation.part`` is
        set while one is: 1 in a step's practice, the first step played in a guided run."""
        c = self.c
        return bool(c.part and c.step and c.question in _IN_A_PIECE and self.program)

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
        say here, then help or a way out; the next miss ends the session kindly, with the
        progress kept. The open question stays open until then."""
        if self.c.question is Question.TURN and self.in_piece:
            # Two people are taking turns: words heard now are theirs, not for the coach.
            # Nobody is cut short: no miss is counted, and the turn stays open.
            return self.aside("turn_wait")
        if self.c.misses + 1 >= MISSES_TO_END:
            data = {"remember": self.remember()}
            return Turn(Conversation(), self.p, Reply("fallback_end", data, end_session=True))
        misses = min(self.c.misses + 1, MAX_MISSES)
        self.c = self.c._replace(misses=misses)
        return self.aside("fallback", level=misses)

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

    def remember(self) -> bool:
        """Whether there is a place to remember: a program part way through, or a practice
        the last session closed in. Only then may a goodbye promise to remember it."""
        return self.resumable() is not None or self.p.unfinished is not None

    def goodbye(self) -> Turn:
        return Turn(
            Conversation(),
            self.p,
            Reply("goodbye", {"remember": self.remember()}, end_session=True),
        )

    def at_rest(self, **changes: Any) -> Conversation:
        """No program under way (the menu, an offer): only what the session remembers."""
        c = self.c
        kept = Conversation(skip=c.skip, eyes_open=c.eyes_open, last=c.last, names=c.names)
        return kept._replace(**changes)

    def completed(self, program: Program) -> bool:
        """Done means every step heard. Only a record from before steps were counted (a
        finished flag with nothing heard, migrated from schema 2) is taken at its word."""
        progress = self.p.of(program.id)
        if progress.finished and not progress.heard:
            return True
        return at_end(program, progress) or (progress.finished and progress.heard_all(program.size))

    def next_offer(self, after: Program | None, *, again: bool) -> Program | None:
        """The program to suggest after ``after``: the one it names, else the main one,
        else any other for one person; never one declined or done this session. One not
        yet done comes first; with ``again``, one done before may be offered once more."""
        skip = set(self.c.skip) | ({after.id} if after else set())
        names = [after.then] if after and after.then else []
        # A program for two is never offered as what comes next: the partner may not be
        # in the room. It is named (the menu, the content) and started when asked for.
        names += [program.id for program in self.catalog if program.audience != "couple"]
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


def added(programs: tuple[str, ...], program_id: str) -> tuple[str, ...]:
    """A set of program ids kept as a sorted tuple: it lives in session attributes."""
    return tuple(sorted({*programs, program_id}))


def at_end(program: Program, progress: ProgramProgress) -> bool:
    """Every step heard and the last one reached: nothing left to resume."""
    return progress.heard_all(program.size) and progress.position >= program.size
