"""A user's progress through the programs: what is stored between sessions.

Progress is kept per program id, so a program added as content needs no new field. The
stored form is versioned (``SCHEMA_VERSION``) and every older version is migrated on read;
reading drops nothing, not even progress in a program the content no longer has. (The turn
service carries only the catalog's programs, bounded, ``skill.service.session``: such
progress stays in the store until the person's next save.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

SCHEMA_VERSION = 6
# Reminders kept per person (Alexa allows a skill far more; a practice needs a few).
MAX_REMINDERS = 4
# How the person asked to be spoken to ("slower", "faster", "more time"): steps of speech
# rate and of extra pause, within these bounds. Rendering turns them into SSML.
PACE_RANGE = (-2, 1)  # slower ... faster
ROOM_RANGE = (0, 2)  # pauses as written ... twice as long (never past Alexa's 10 s)
# The two programs of schema versions 1 and 2, which stored each under its own key.
_V2_PROGRAMS = ("motivate", "direction")


class ProgramProgress(NamedTuple):  # a NamedTuple: cheap to define on a cold start
    """Where a person is in one program and what they have done there."""

    position: int = 0  # the step last reached, from 1; 0 = not started
    heard: frozenset[int] = frozenset()  # steps heard to the end of their teaching
    practiced: frozenset[int] = frozenset()  # steps whose practice was done
    finished: bool = False  # the program was taken to its end
    # The step whose practice the session closed in (silence, or the person walked away),
    # to offer again on the next visit; 0 = none. Schema 5; older documents lack it.
    unfinished: int = 0

    @property
    def started(self) -> bool:
        return self.position > 0 or bool(self.heard) or self.finished

    def resume_step(self, count: int) -> int:
        """The step to go on with: the one reached if it was not heard to the end, else
        the next one, else (after the last) the first one missed."""
        position = min(self.position, count)
        if position <= 0:
            return 1
        if position not in self.heard:
            return position
        if position < count:
            return position + 1
        missed = [n for n in range(1, count + 1) if n not in self.heard]
        return missed[0] if missed else count

    def heard_all(self, count: int) -> bool:
        return all(n in self.heard for n in range(1, count + 1))

    def merge(self, other: ProgramProgress) -> ProgramProgress:
        return ProgramProgress(
            position=max(self.position, other.position),
            heard=self.heard | other.heard,
            practiced=self.practiced | other.practiced,
            finished=self.finished or other.finished,
            # The copy being written is the latest word on the practice left open.
            unfinished=self.unfinished,
        )

    def to_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "position": self.position,
            "heard": sorted(self.heard),
            "practiced": sorted(self.practiced),
            "finished": self.finished,
        }
        if self.unfinished:
            stored["unfinished"] = self.unfinished
        return stored

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ProgramProgress:
        data = data or {}
        return cls(
            position=max(int(data.get("position") or 0), 0),
            heard=_steps(data.get("heard")),
            practiced=_steps(data.get("practiced")),
            finished=bool(data.get("finished")),
            unfinished=max(int(data.get("unfinished") or 0), 0),
        )


NOT_STARTED = ProgramProgress()


def _steps(values: Iterable[Any] | None) -> frozenset[int]:
    return frozenset(int(v) for v in values or () if int(v) >= 1)


@dataclass(frozen=True)
class Progress:
    """Everything stored about one person.

    ``revision`` is the stored item's version for optimistic locking; it is not part of
    the person's progress and is ignored when comparing what changed.
    """

    programs: Mapping[str, ProgramProgress] = field(default_factory=dict)
    current: str | None = None  # the program the person last worked on
    last_visit: int | None = None  # epoch seconds of the last visit
    revision: int = field(default=0, compare=False)
    pace: int = 0  # speech rate step, within PACE_RANGE; 0 = as written
    room: int = 0  # extra pause step, within ROOM_RANGE; 0 = as written
    # Launches so far: which welcome is said, so two visits in a row never hear the same.
    visits: int = 0
    # The soft sound asked for under the practices ("with rain"): a content id, or None for
    # none. Remembered like the pace. Schema 5; older documents lack it.
    sound: str | None = None
    # Schema 6: the practice reminders set through the skill, as (the Reminders API's
    # alertToken, the schedule said: skill.core.reminding.Schedule, encoded), so they can
    # be listed, changed and deleted; and when the last practice was done (epoch seconds),
    # for "how am I doing". Older documents have neither.
    reminders: tuple[tuple[str, str], ...] = ()
    practiced_at: int | None = None

    @property
    def is_new(self) -> bool:
        return not any(p.started for p in self.programs.values())

    @property
    def unfinished(self) -> tuple[str, int] | None:
        """The program and step of a practice the last session closed in, if any: the
        current program's first."""
        ids = [self.current] if self.current is not None and self.current in self.programs else []
        for program_id in [*ids, *sorted(self.programs)]:
            step = self.programs[program_id].unfinished
            if step:
                return program_id, step
        return None

    def of(self, program_id: str) -> ProgramProgress:
        return self.programs.get(program_id, NOT_STARTED)

    def with_program(self, program_id: str, progress: ProgramProgress) -> Progress:
        """This progress with ``program_id``'s replaced; it becomes the current program."""
        programs = {**self.programs, program_id: progress}
        return replace(self, programs=programs, current=program_id)

    def merge(self, other: Progress) -> Progress:
        """Combine two diverging copies so nothing done is lost; the furthest step wins."""
        programs = dict(other.programs)
        for program_id, mine in self.programs.items():
            theirs = programs.get(program_id)
            programs[program_id] = mine.merge(theirs) if theirs else mine
        visits = [v for v in (self.last_visit, other.last_visit) if v is not None]
        return Progress(
            programs=programs,
            current=self.current or other.current,
            last_visit=max(visits) if visits else None,
            revision=max(self.revision, other.revision),
            # The copy being written is the latest choice of pace.
            pace=self.pace,
            room=self.room,
            visits=max(self.visits, other.visits),
            sound=self.sound,  # like the pace: the latest choice
            # The copy being written knows what the Reminders API last said.
            reminders=self.reminders,
            practiced_at=max(
                (t for t in (self.practiced_at, other.practiced_at) if t is not None),
                default=None,
            ),
        )

    def with_reminders(self, reminders: Iterable[tuple[str, str]]) -> Progress:
        return replace(self, reminders=tuple(reminders)[:MAX_REMINDERS])

    def with_sound(self, sound: str | None) -> Progress:
        return replace(self, sound=sound)

    def with_pacing(self, pace: int, room: int) -> Progress:
        return replace(self, pace=_within(pace, PACE_RANGE), room=_within(room, ROOM_RANGE))

    def with_revision(self, revision: int) -> Progress:
        return replace(self, revision=revision)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "revision": self.revision,
            "programs": {pid: p.to_dict() for pid, p in sorted(self.programs.items())},
            "current": self.current,
            "last_visit": self.last_visit,
            "pace": self.pace,
            "room": self.room,
            "visits": self.visits,
            **({"sound": self.sound} if self.sound else {}),
            **({"reminders": [list(r) for r in self.reminders]} if self.reminders else {}),
            **({"practiced_at": self.practiced_at} if self.practiced_at is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Progress:
        """Read stored progress of any schema version."""
        if not data:
            return cls()
        data = migrate(dict(data))
        programs = {
            str(pid): ProgramProgress.from_dict(stored)
            for pid, stored in (data.get("programs") or {}).items()
        }
        last_visit = data.get("last_visit")
        current = data.get("current")
        return cls(
            programs=programs,
            current=str(current) if current else None,
            last_visit=int(last_visit) if last_visit is not None else None,
            revision=int(data.get("revision") or 0),
            pace=_within(int(data.get("pace") or 0), PACE_RANGE),
            room=_within(int(data.get("room") or 0), ROOM_RANGE),
            visits=max(int(data.get("visits") or 0), 0),
            sound=str(sound) if (sound := data.get("sound")) else None,
            reminders=tuple(
                (str(r[0]), str(r[1])) for r in data.get("reminders") or () if len(r) == 2
            )[:MAX_REMINDERS],
            practiced_at=int(at) if (at := data.get("practiced_at")) is not None else None,
        )


def _within(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored dict of an older schema up to ``SCHEMA_VERSION``, step by step."""
    version = int(data.get("schema_version") or 1)
    if version == 1:
        # Version 1 kept flat keys: {"tip": n, "done": [..], "practiced": [..]}.
        data = {
            "schema_version": 2,
            "revision": data.get("revision", 0),
            "motivate": {
                "current_tip": data.get("tip", 0),
                "finished_tips": data.get("done", []),
                "finished_practices": data.get("practiced", []),
                # Version 1 had no flag: all five tips heard was the end of the program.
                "finished": len(set(data.get("done", []))) >= 5,
            },
            "direction": {"finished": bool(data.get("direction_done"))},
            "last_visit": data.get("last_visit"),
        }
        version = 2
    if version == 2:
        # Version 2 had one key per program; version 3 keeps them all under "programs".
        motivate = data.get("motivate") or {}
        direction = data.get("direction") or {}
        programs = {
            "motivate": {
                "position": motivate.get("current_tip", 0),
                "heard": motivate.get("finished_tips", []),
                "practiced": motivate.get("finished_practices", []),
                "finished": bool(motivate.get("finished")),
            },
            "direction": {"finished": bool(direction.get("finished"))},
        }
        started = [pid for pid in _V2_PROGRAMS if ProgramProgress.from_dict(programs[pid]).started]
        data = {
            "schema_version": 3,
            "revision": data.get("revision", 0),
            "programs": programs,
            # Version 2 resumed the tips whenever they were under way.
            "current": started[0] if started else None,
            "last_visit": data.get("last_visit"),
        }
        version = 3
    if version == 3:
        # Version 4 remembers how to speak (pace, room) and counts visits, for the welcome.
        data = {**data, "schema_version": 4, "pace": 0, "room": 0, "visits": 0}
        version = 4
    if version == 4:
        # Version 5 may remember a sound under the practices ("sound") and, per program, a
        # practice the last session closed in ("unfinished"): both optional, and absent
        # means none, so a version 4 document is read as it is.
        data = {**data, "schema_version": 5}
        version = 5
    if version == 5:
        # Version 6 may keep reminders ("reminders": [[id, schedule], ...]) and the time of
        # the last practice ("practiced_at"); version 5 had neither. A version 5 record
        # that practised is not given a made-up time: "how am I doing" says what was done.
        data = {**data, "schema_version": 6}
    return data
