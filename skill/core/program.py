"""The shape of a program, as its content describes it: steps, practices, what starts it.

A program is a folder of content (``templates/<lang>/programs/<id>/``): a ``program.json``
read by ``skill.speech.programs`` into the values below, and one template per step. The
dialog core walks any program from these values alone; it never knows a program by name.

NamedTuples, not dataclasses: every Lambda cold start builds these (see skill.core.dialog).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

LONG_ABSENCE_SECONDS = 14 * 24 * 3600  # after this, a returning person hears a recap

AUDIENCES = ("solo", "couple")
# A lesson is taught, then asks whether to go on (or offers its practice). Guided steps are
# an exercise with pauses: a run of them in a row is played as one continuous piece, from
# the step it starts at to the end of the run, and the run that ends the program closes
# with the program's reflection question.
STEP_KINDS = ("lesson", "guided")
# Turn-taking, for programs done by two people in the room: a guided step with a ``turn``
# addresses one of them ("one", the one who goes first; "other") or both. The piece played
# stops at such a step and waits for them ("done", "skip", "switch", "we're finished"); a
# step marked ``swap`` is where the roles change over, where "switch" goes.
TURNS = ("one", "other", "both")


class ContentError(ValueError):
    """A program's content does not describe a program the dialog can walk."""


class Step(NamedTuple):
    id: str  # its template: programs/<program>/<id>.ssml.j2
    kind: str = "lesson"
    practice: int = 0  # 1: the step has a practice, played as one continuous piece; 0: none
    minutes: float = 1.0  # about how long it takes, with its practice
    turn: str = ""  # who it addresses when two take turns (TURNS); "": no turn, no waiting
    swap: bool = False  # the roles change over here: "switch" comes to this step


class Program(NamedTuple):
    id: str
    audience: str
    steps: tuple[Step, ...]
    start_intents: tuple[str, ...] = ()  # interaction-model intents that start it
    names: tuple[str, ...] = ()  # what people call it: the ProgramType slot's values
    numbered: bool = False  # its steps can be asked for by number ("tip three")
    card: bool = False  # each step is also shown as a card in the Alexa app
    then: str | None = None  # the program to offer when this one is done

    @property
    def size(self) -> int:
        return len(self.steps)

    def step(self, n: int) -> Step:
        """Step ``n``, counted from 1."""
        return self.steps[n - 1]

    def last_guided(self, n: int) -> bool:
        """Step ``n`` ends the program's exercise with its reflection question."""
        return n == self.size and self.step(n).kind == "guided"

    def run_start(self, n: int) -> int:
        """The first step of the run of guided steps that step ``n`` is in (``n`` itself
        for a lesson)."""
        start = n
        while self.step(n).kind == "guided" and start > 1:
            before = self.step(start - 1)
            if before.kind != "guided" or before.turn:
                break
            start -= 1
        return start

    def run_end(self, n: int) -> int:
        """The last step of the run of guided steps that step ``n`` is in (``n`` itself
        for a lesson): a run is played as one piece."""
        end = n
        while self.step(n).kind == "guided" and end < self.size:
            if self.step(end + 1).kind != "guided" or self.step(end).turn:
                break
            end += 1
        return end

    def waits(self, n: int) -> bool:
        """Step ``n`` is a turn that waits for the two people (not the closing question)."""
        return bool(self.step(n).turn) and not self.last_guided(n)

    def swap_after(self, n: int) -> int:
        """Where "switch" goes from step ``n``: the next step where the roles change over,
        else the last step (the closing question)."""
        for k in range(n + 1, self.size + 1):
            if self.step(k).swap:
                return k
        return self.size

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Program:
        """A program from its ``program.json``; raises ContentError when it cannot be walked."""
        try:
            program_id = str(data["id"])
            steps = tuple(
                Step(
                    id=str(step["id"]),
                    kind=str(step.get("kind", "lesson")),
                    # true, or a number of parts as older content wrote it: one piece now
                    practice=min(int(step.get("practice", 0)), 1),
                    minutes=float(step.get("minutes", 1.0)),
                    turn=str(step.get("turn") or ""),
                    swap=bool(step.get("swap", False)),
                )
                for step in data["steps"]
            )
            program = cls(
                id=program_id,
                audience=str(data.get("audience", "solo")),
                steps=steps,
                start_intents=tuple(str(i) for i in data.get("start_intents", ())),
                names=tuple(str(n) for n in data.get("names", ())),
                numbered=bool(data.get("numbered", False)),
                card=bool(data.get("card", False)),
                then=str(data["then"]) if data.get("then") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ContentError(f"program {data.get('id')!r}: {exc}") from exc
        problems = program.problems()
        if problems:
            raise ContentError(f"program {program.id!r}: " + "; ".join(problems))
        return program

    def problems(self) -> list[str]:
        found = []
        if not self.steps:
            found.append("it has no steps")
        if self.audience not in AUDIENCES:
            found.append(f"audience {self.audience!r} is not one of {AUDIENCES}")
        ids = [step.id for step in self.steps]
        if len(set(ids)) != len(ids):
            found.append("two steps share an id")
        for step in self.steps:
            if step.kind not in STEP_KINDS:
                found.append(f"step {step.id!r}: kind {step.kind!r} is not one of {STEP_KINDS}")
            if step.practice < 0:
                found.append(f"step {step.id!r}: a negative practice")
            if step.kind == "guided" and step.practice:
                found.append(f"step {step.id!r}: a guided step is itself the practice")
            if step.turn and (step.kind != "guided" or step.turn not in TURNS):
                found.append(f"step {step.id!r}: a turn is a guided step's, one of {TURNS}")
            if step.swap and not step.turn:
                found.append(f"step {step.id!r}: only a turn can swap the roles")
        return found


class Catalog:
    """Every program the skill offers, in the order the menu names them."""

    __slots__ = ("_by_id", "programs")

    def __init__(self, programs: tuple[Program, ...]) -> None:
        self.programs = programs
        self._by_id = {program.id: program for program in programs}

    def __repr__(self) -> str:
        return f"Catalog({[program.id for program in self.programs]})"

    # Equal by content: the same programs loaded twice (a test's copy of the templates, a
    # build and a check) are one catalog to every cache keyed on it.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalog) and other.programs == self.programs

    def __hash__(self) -> int:
        return hash(self.programs)

    @property
    def main(self) -> Program:
        """The program a new user is offered first."""
        return self.programs[0]

    def get(self, program_id: str | None) -> Program | None:
        return self._by_id.get(program_id) if program_id else None

    def __getitem__(self, program_id: str) -> Program:
        return self._by_id[program_id]

    def __iter__(self) -> Iterator[Program]:
        return iter(self.programs)

    def for_intent(self, intent: str) -> Program | None:
        for program in self.programs:
            if intent in program.start_intents:
                return program
        return None

    def named(self, words: str | None) -> Program | None:
        """The program people call ``words`` (a ProgramType slot value), if any."""
        wanted = " ".join((words or "").lower().split())
        if not wanted:
            return None
        for program in self.programs:
            if wanted == program.id or wanted in (n.lower() for n in program.names):
                return program
        return None

    def problems(self) -> list[str]:
        found = []
        ids = [program.id for program in self.programs]
        if not ids:
            found.append("no programs")
        if len(set(ids)) != len(ids):
            found.append("two programs share an id")
        for program in self.programs:
            if program.then is not None and program.then not in ids:
                found.append(f"program {program.id!r} offers {program.then!r}, which is not one")
        return found
