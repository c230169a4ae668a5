"""Walking a program: launch and the menu, starting a program, its steps and practices,
its end, a step by number, where am I, next and back."""

from __future__ import annotations

from dataclasses import replace

from skill.core.blocks import DialogBase, added
from skill.core.program import LONG_ABSENCE_SECONDS, Program
from skill.core.progress import Progress
from skill.core.values import Command, Conversation, Question, Turn

# Questions asked after the last step: "back" from there returns to the last step.
_PAST_THE_END = frozenset({Question.OFFER, Question.RESUME})


class ProgramWalk(DialogBase):
    def launch(self) -> Turn:
        # The adapter records the visit itself (every new session is one, not only launches).
        self.p = p = replace(self.p, visits=self.p.visits + 1)
        left = p.unfinished
        program = self.catalog.get(left[0]) if left else None
        if left and program is not None and 1 <= left[1] <= program.size:
            # The last session closed in a practice: offer that practice again.
            step = program.step(left[1])
            guided = step.kind == "guided"
            state = self.at_rest(program=program.id, step=left[1], part=left[1] if guided else 0)
            data = {"step": left[1], "step_id": step.id, "guided": guided}
            return self.ask("welcome_practice", data, Question.UNFINISHED, state=state)
        return self.welcome()

    def welcome(self) -> Turn:
        """The welcome of a visit: a new person's, or where a returning one is."""
        p, main = self.p, self.catalog.main
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
                    "next_id": resumable.step(upcoming).id,
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

    def menu(self) -> Turn:
        main = self.catalog.main
        others = " ".join(program.id for program in self.catalog if program.id != main.id)
        self.c = Conversation(eyes_open=self.c.eyes_open, last=self.c.last, names=self.c.names)
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
        """Step ``n``: a lesson, or a run of guided steps played as one piece from ``n``."""
        step = program.step(n)
        # A yes to an offer of the program: the offer has just said what it is.
        offered = self.c.question is Question.OFFER and self.c.offer == program.id
        went_on = self.c.program == program.id and n == self.c.step + 1
        guided = step.kind == "guided"
        end = program.run_end(n)
        state = self.at_rest(program=program.id, step=end, part=n if guided else 0)
        old = self.p.of(program.id)
        # A lesson is heard once it is said; a guided run is heard as it is played.
        heard = old.heard | set(range(n, end + 1))
        unfinished = 0 if guided else old.unfinished
        progress = self.p.with_program(
            program.id, old._replace(position=end, heard=heard, unfinished=unfinished)
        )
        if step.practice:
            question = Question.PRACTICE
        elif guided and program.last_guided(end):
            question = Question.REFLECT
        elif guided and program.waits(end):
            question = Question.TURN  # two people take turns: wait for them
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
            # A lesson heard before is said again shortly: its point and its example.
            "brief": not guided and not intro and n in old.heard,
        }
        if guided:
            ids = [program.step(k).id for k in range(n, end + 1)]
            data.update(last=end, step_ids=" ".join(ids), piece=True)
            if program.step(end).turn:
                data.update(self.turn_data(program.step(end).turn))
        card = "step" if program.card else None
        return self.ask("step", data, question, state=state, progress=progress, card=card)

    def turn_data(self, turn: str) -> dict[str, str | None]:
        """Who a turn addresses ("one", "other", "both"), and by name when the two said
        their names this session (the first named goes first)."""
        names = self.c.names
        one, other = (names[0], names[1]) if len(names) == 2 else (None, None)
        return {"turn": turn, "one": one, "other": other}

    def practice(self, note: str | None = None) -> Turn:
        """The current step's practice, as one continuous piece that ends with its
        question."""
        program = self.program
        assert program is not None  # a practice is only offered inside a program
        step = program.step(self.c.step)
        return self.ask(
            "practice",
            {"step": self.c.step, "step_id": step.id, "note": note, "piece": True},
            Question.REFLECT,
            state=self.c._replace(part=1),
            progress=self.settled(program.id),
        )

    def replay(self, note: str | None = None) -> Turn:
        """The piece under way, from its start: a step's practice or a guided run."""
        program, c = self.program, self.c
        assert program is not None and c.step
        if program.step(c.step).kind == "guided":
            return self.step(program, c.part or c.step, note=note)
        return self.practice(note)

    def settled(self, program_id: str) -> Progress:
        """The progress with no practice of ``program_id`` left open."""
        old = self.p.of(program_id)
        if not old.unfinished:
            return self.p
        return self.p.with_program(program_id, old._replace(unfinished=0))

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
        self.p = self.settled(program.id)
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
        self.c = self.c._replace(skip=added(self.c.skip, program.id))
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
            part=1 if self.in_piece else 0,
            heard=len([n for n in progress.heard if n <= program.size]),
        )

    def next(self) -> Turn:
        c, program = self.c, self.program
        if program is not None and c.step:
            if program.last_guided(c.step):
                return self.program_end(program, answered=None)
            # In a practice, "next" moves on without it: the practice is not done.
            return self.after_step()
        main = self.catalog.main
        progress = self.p.of(main.id)
        if self.completed(main) or not progress.started:
            return self.step(main, 1, intro=True)
        return self.step(main, progress.resume_step(main.size))

    def previous(self, count: int = 1) -> Turn:
        """Back one (or ``count``) steps; from a step's practice, back to the step."""
        c, program = self.c, self.program
        if program is None or not c.step:
            return self.menu()
        lesson = program.step(c.step).kind != "guided"
        if count == 1 and lesson and c.part:
            return self.step(program, c.step)
        if count == 1 and (c.step == program.size and c.question in _PAST_THE_END):
            return self.step(program, program.run_start(c.step))
        first = c.part if c.part and not lesson else c.step  # a guided run goes back from its start
        if first == 1:
            return self.step(program, 1, note="first")
        return self.step(program, max(first - max(count, 1), 1))
