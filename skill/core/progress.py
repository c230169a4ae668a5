"""A user's progress through the programs: what is stored between sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from skill.core.program import TIP_COUNT

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Progress:
    """Where a person is in "Motivate your partner" and what they have finished.

    ``revision`` is the stored item's version for optimistic locking; it is not part of
    the person's progress and is ignored when comparing what changed.
    """

    current_tip: int = 0  # the tip last reached, 1..TIP_COUNT; 0 = not started
    finished_tips: frozenset[int] = frozenset()
    finished_practices: frozenset[int] = frozenset()
    program_finished: bool = False
    direction_finished: bool = False
    last_visit: int | None = None  # epoch seconds of the last launch
    revision: int = field(default=0, compare=False)

    @property
    def is_new(self) -> bool:
        return self.current_tip == 0 and not self.direction_finished and not self.finished_tips

    @property
    def heard_all(self) -> bool:
        return len(self.finished_tips) == TIP_COUNT

    @property
    def resume_tip(self) -> int:
        """The tip a returning person should hear next: the one they were on if they did
        not finish it, else the next one, else (after the last) the first they missed."""
        if self.current_tip == 0:
            return 1
        if self.current_tip not in self.finished_tips:
            return self.current_tip
        if self.current_tip < TIP_COUNT:
            return self.current_tip + 1
        missed = [n for n in range(1, TIP_COUNT + 1) if n not in self.finished_tips]
        return missed[0] if missed else TIP_COUNT

    def merge(self, other: Progress) -> Progress:
        """Combine two diverging copies so nothing finished is lost; the furthest tip wins."""
        visits = [v for v in (self.last_visit, other.last_visit) if v is not None]
        return Progress(
            current_tip=max(self.current_tip, other.current_tip),
            finished_tips=self.finished_tips | other.finished_tips,
            finished_practices=self.finished_practices | other.finished_practices,
            program_finished=self.program_finished or other.program_finished,
            direction_finished=self.direction_finished or other.direction_finished,
            last_visit=max(visits) if visits else None,
            revision=max(self.revision, other.revision),
        )

    def with_revision(self, revision: int) -> Progress:
        return replace(self, revision=revision)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "revision": self.revision,
            "motivate": {
                "current_tip": self.current_tip,
                "finished_tips": sorted(self.finished_tips),
                "finished_practices": sorted(self.finished_practices),
                "finished": self.program_finished,
            },
            "direction": {"finished": self.direction_finished},
            "last_visit": self.last_visit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Progress:
        """Read stored progress of any schema version; content that moved resumes sensibly."""
        if not data:
            return cls()
        data = migrate(dict(data))
        motivate = data.get("motivate") or {}
        tips = range(1, TIP_COUNT + 1)

        def tip_set(values: Any) -> frozenset[int]:
            return frozenset(int(v) for v in values or () if int(v) in tips)

        current = int(motivate.get("current_tip") or 0)
        # A stored tip number beyond today's program (content renumbered) resumes at the end.
        current = min(max(current, 0), TIP_COUNT)
        last_visit = data.get("last_visit")
        return cls(
            current_tip=current,
            finished_tips=tip_set(motivate.get("finished_tips")),
            finished_practices=tip_set(motivate.get("finished_practices")),
            program_finished=bool(motivate.get("finished")),
            direction_finished=bool((data.get("direction") or {}).get("finished")),
            last_visit=int(last_visit) if last_visit is not None else None,
            revision=int(data.get("revision") or 0),
        )


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored dict of an older schema up to ``SCHEMA_VERSION``."""
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
                "finished": len(set(data.get("done", []))) >= TIP_COUNT,
            },
            "direction": {"finished": bool(data.get("direction_done"))},
            "last_visit": data.get("last_visit"),
        }
    return data
