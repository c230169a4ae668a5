"""Taking turns: a program for two people in the room, as its content asks for it.

A program's guided steps may each name a ``turn`` (skill.core.program, TURNS): "one" of
the two, "the other", or "both". The piece played stops at such a step and waits
(``Question.TURN``): "done", "yes" or "next" go on, "skip" skips this part, "switch" goes
to where the roles change over (a step marked ``swap``), and "we're finished" goes to the
program's closing question, a yes/no for both. Nothing here knows a program by name.

First names said at the start ("we're Sam and Alex") let the views say whose turn it is.
They live in the conversation (this session) only, never in the progress.
"""

from __future__ import annotations

from skill.core.program import Program
from skill.core.values import MAX_NAME_CHARS, MAX_NAMES, Command, Question, Turn
from skill.core.walk import ProgramWalk


class TurnTaking(ProgramWalk):
    @property
    def taking_turns(self) -> Program | None:
        """The program under way when two people are taking turns in it, its piece open."""
        program = self.program
        if program is None or not self.in_piece:
            return None
        return program if any(step.turn for step in program.steps) else None

    def passed(self, program: Program, target: int) -> None:
        """Steps passed over on the way to ``target`` count as done: the two were there,
        and chose to move on. The closing question then ends the program, not an offer of
        the parts they skipped."""
        old = self.p.of(program.id)
        heard = old.heard | set(range(self.c.step, target))
        self.p = self.p.with_program(program.id, old._replace(heard=heard))

    def switch(self) -> Turn:
        """ "Switch": on to where the roles change over, else to the closing question."""
        program = self.taking_turns
        if program is None:
            return self.fallback()
        target = program.swap_after(self.c.step)
        self.passed(program, target)
        return self.step(program, target)

    def finish(self) -> Turn:
        """ "We're finished": the closing question for both; at it, the end. In any other
        practice it leaves the practice; elsewhere it is goodbye."""
        program = self.taking_turns
        if program is not None:
            if self.c.step >= program.size:
                return self.program_end(program, answered=None)
            self.passed(program, program.size)
            return self.step(program, program.size)
        if self.in_piece:
            return self.leave_turn()
        return self.goodbye()

    def leave_turn(self) -> Turn:
        """Overridden by the answers: out of a practice, back to where the program was."""
        raise NotImplementedError  # pragma: no cover - the dialog has the answers

    def named(self, cmd: Command) -> Turn:
        """ "We're Sam and Alex": the two names, for this session; the first goes first."""
        names = tuple(name[:MAX_NAME_CHARS] for name in cmd.names if name)[:MAX_NAMES]
        if len(names) < MAX_NAMES:
            return self.aside("names", one=None, other=None)
        self.c = self.c._replace(names=names)
        return self.aside("names", one=names[0], other=names[1])

    def turn_answer(self, yes: bool) -> Turn:
        """Yes ("done") to a turn goes on; no is more time, the turn still open."""
        program = self.program
        assert program is not None and self.c.question is Question.TURN
        if yes:
            return self.after_step()
        return self.aside("turn_wait")
