"""Answers to the open question, and the asides that act on where the user is: pace,
sound, how long, "I don't know", resume, eyes open, leaving a practice, and saying no to
a program."""

from __future__ import annotations

from skill.core.blocks import added
from skill.core.program import Program
from skill.core.progress import Progress
from skill.core.reminding import Reminding
from skill.core.turns import TurnTaking
from skill.core.values import Action, Command, Conversation, Question, Reply, Turn

# What the core stores when a sound is asked for without naming one ("with some background
# sound"): the content says which sound that is (skill.speech.sounds).
DEFAULT_SOUND = "default"


class Answers(TurnTaking, Reminding):
    def pacing(self, a: Action) -> Turn:
        """Slower, faster, more time: remembered for this and later sessions. In a practice
        the piece is played again at the new pace."""
        p = self.p
        if a is Action.SLOWER:
            changed = p.with_pacing(p.pace - 1, p.room)
        elif a is Action.FASTER:
            changed = p.with_pacing(p.pace + 1, p.room - 1)
        else:
            changed = p.with_pacing(p.pace, p.room + 1)
        note = a.value if changed != p else f"{a.value}_most"
        self.p = changed
        if self.in_piece:
            return self.replay(note)
        return self.aside("pacing", note=note)

    def sound(self, cmd: Command) -> Turn:
        """A soft sound under the practices, or none: remembered like the pace. In a
        practice the piece is played again with it."""
        sound = (cmd.sound or DEFAULT_SOUND) if cmd.action is Action.SOUND else None
        self.p = self.p.with_sound(sound)
        note = "sound" if sound else "no_sound"
        if self.in_piece:
            return self.replay(note)
        return self.aside("sound", note=note, sound=sound)

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

    def resume(self) -> Turn:
        c, p = self.c, self.p
        if c.question in (Question.RESUME, Question.UNFINISHED):
            return self.answer(Action.YES)
        program = self.program
        if c.paused and c.last is not None:
            lesson = c.last.view == "step" and not c.last.data.get("piece")
            if lesson and program is not None and c.step:
                return self.step(program, c.step)  # a lesson heard again: said shortly
            return Turn(c._replace(paused=False), p, c.last)
        if program is not None and c.step and c.part:
            return self.replay()
        if program is not None and c.step:
            return self.step(program, c.step)
        resumable = self.resumable()
        if resumable is not None:
            step = p.of(resumable.id).resume_step(resumable.size)
            return self.step(resumable, step, intro=step == 1)
        return self.menu()

    def leave(self) -> Turn:
        """Out of a practice ("I don't want to do this"), back to where the program was.
        Anywhere else it is a no to the open question, or moving on."""
        c, program = self.c, self.program
        if c.question is Question.TURN and self.taking_turns is not None:
            return self.after_step()  # "skip this": on to the next part of the exercise
        if not self.in_piece or program is None:
            # "Skip this" at a step is "next"; to a question of an offer, it is a no.
            if c.question is None or c.question is Question.NEXT_STEP:
                return self.next()
            return self.answer(Action.NO)
        self.p = self.settled(program.id)
        if program.step(c.step).kind == "guided":
            return self.declined(program)  # the run is the program's exercise
        return self.ask(
            "practice_left",
            {
                "step": c.step,
                "step_id": program.step(c.step).id,
                "last_step": c.step >= program.size,
            },
            Question.NEXT_STEP,
            state=c._replace(part=0),
        )

    def topic(self, cmd: Command) -> Turn:
        """A program was asked for during a practice. Its samples are lines about the topic
        ("she feels attacked when I bring up therapy" starts the tips, to Alexa): that is
        said, and whether to carry on with the practice asked, never a silent restart. Not
        carrying on leaves the practice; for another program, to start that one."""
        asked = self.catalog.get(cmd.program)
        other = asked.id if asked is not None and asked.id != self.c.program else None
        state = self.c._replace(offer=other)
        return self.ask("practice_topic", {"other": other}, Question.CARRY_ON, state=state)

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
        if q is Question.UNFINISHED and program is not None:
            if yes:
                return self.replay()
            self.p = self.settled(program.id)
            self.c = self.at_rest()
            return self.welcome()
        if q is Question.PRACTICE and program is not None:
            return self.practice() if yes else self.after_step()
        if q is Question.CARRY_ON and program is not None:
            if yes:
                return self.replay()
            if offered is not None:  # another program was asked for: that one, now
                self.p = self.settled(program.id)
                self.c = self.at_rest()
                return self.start_program(Command(Action.START_PROGRAM, program=offered.id))
            return self.leave_piece()
        if q is Question.TURN and program is not None:
            return self.turn_answer(yes)
        if q is Question.READY and program is not None:
            # A session of an older deployment, waiting in a practice for "ready".
            if not yes:
                return self.leave_piece()
            return self.practice() if c.part else self.after_step()
        if q is Question.REFLECT and program is not None:
            if c.part:
                self.practised()  # for "how am I doing"
            if not c.part or program.step(c.step).kind == "guided":
                return self.program_end(program, answered=yes)
            old = self.p.of(program.id)
            practiced = self.p.with_program(
                program.id, old._replace(practiced=old.practiced | {c.step}, unfinished=0)
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

    def leave_turn(self) -> Turn:
        return self.leave()

    def leave_piece(self) -> Turn:
        """Out of the piece under way, whatever question it left open."""
        self.c = self.c._replace(question=Question.REFLECT, part=self.c.part or 1)
        return self.leave()

    def declined(self, offered: Program) -> Turn:
        """No to a program: suggest one not yet done, once; else say goodbye."""
        self.c = self.c._replace(skip=added(self.c.skip, offered.id))
        alternative = self.next_offer(offered, again=False)
        if alternative is None or (self.c.last and self.c.last.view == "program_done"):
            # Done for now, after a program's end: a reminder is offered, once a visit.
            reminder = self.offer_reminder()
            if reminder is not None:
                return reminder
        if alternative is None:
            return self.goodbye()
        return self.offer("offer_declined", alternative, {"declined": offered.id})

    def eyes_open(self) -> Turn:
        """From now on this session, exercises are done with the eyes open. In a practice,
        the piece is played again that way."""
        self.c = self.c._replace(eyes_open=True)
        if self.in_piece:
            return self.replay(note="eyes_open")
        return self.aside("eyes_open")
