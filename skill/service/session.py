"""Session attributes, read through a schema before any turn trusts them.

The session a channel hands the turn service is meant to be what the service itself wrote
last turn (Alexa's session attributes, a call's state). But a deploy that changed their
shape, a client bug, or a forged request (verification off, or any channel that is not
Alexa's) can carry anything: the wrong types, thousands of programs, NaN, views that do
not exist. So every attribute is read here, strictly:

* unknown keys are dropped;
* programs (in the conversation and in the progress) are the catalog's ids only, steps and
  parts within the program, views and cards the templates' own;
* strings, lists and maps are bounded in size and count, numbers are finite integers in
  range;
* an attribute that cannot be read (a wrong type, a number that is not one) is discarded
  whole: a conversation starts afresh, a progress is read again from the store.

What was wrong is reported as short problem names, for one log line: never the values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from skill.core.dialog import MAX_MISSES, Conversation, Question
from skill.core.progress import MAX_REMINDERS, PACE_RANGE, ROOM_RANGE, SCHEMA_VERSION, migrate
from skill.core.values import CHECK_IN_KINDS, MAX_NAME_CHARS, MAX_NAMES

if TYPE_CHECKING:
    from skill.core.program import Catalog

# What the turn service keeps in a session (skill.service.turns names them).
CONVERSATION = "conversation"
PROGRESS = "progress"
UNSAVED = "unsaved"
VISIT_PENDING = "visit_pending"
STARTED = "started_at"

MAX_ID_CHARS = 64  # a program id, a view or card name
MAX_TEXT_CHARS = 200  # a text value in a reply's data (slot words are clipped far shorter)
MAX_DATA_KEYS = 32  # values in one reply's data; the largest view uses about a dozen
MAX_COUNT = 10_000  # a counter: uses of a view in a session
MAX_VISITS = 1_000_000
MAX_EPOCH = 2**40  # epoch seconds: far beyond any date the skill will see
MAX_REVISION = 2**53  # a DynamoDB number, exactly representable in JSON
MAX_STEP = 99  # a stored step number: programs are far shorter (content may shrink)


class Unreadable(Exception):
    """An attribute that cannot be read as what the service wrote; ``str`` names the field."""


def _int(value: Any, low: int, high: int, name: str) -> int:
    """A finite integer within [low, high]; an integral float (3.0) is one, NaN is not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(name)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise Unreadable(name)
        value = int(value)
    if not low <= value <= high:
        raise Unreadable(name)
    return value


def _clamped(value: Any, low: int, high: int, name: str) -> int:
    """As ``_int``, but a value out of range is brought within it."""
    return max(low, min(high, _int(value, -MAX_REVISION, MAX_REVISION, name)))


def _bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Unreadable(name)
    return value


def _text(value: Any, limit: int, name: str) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise Unreadable(name)
    return value


def _map(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Unreadable(name)
    return value


def _list(value: Any, limit: int, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit:
        raise Unreadable(name)
    return value


class SessionSchema:
    """Reads sessions against one catalog of programs and one set of templates."""

    def __init__(self, catalog: Catalog, views: frozenset[str], cards: frozenset[str]) -> None:
        self.catalog = catalog
        self.views = views
        self.cards = cards

    # --- the session ----------------------------------------------------------------------

    def read(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The session as the service may use it, and what was wrong with the one given
        (empty when nothing was). Never raises."""
        problems: list[str] = [f"key {key[:MAX_ID_CHARS]!r}" for key in raw if key not in _KEYS]
        clean: dict[str, Any] = {}
        readers = (
            (CONVERSATION, self.conversation),
            (PROGRESS, self.progress),
            (UNSAVED, lambda v: _bool(v, UNSAVED)),
            (VISIT_PENDING, lambda v: _bool(v, VISIT_PENDING)),
            (STARTED, lambda v: None if v is None else _int(v, 0, MAX_EPOCH, STARTED)),
        )
        for key, reader in readers:
            if key not in raw:
                continue
            try:
                value = reader(raw[key])
            except Unreadable as exc:
                problems.append(str(exc))
                continue
            except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
                problems.append(key)
                continue
            if value is not None:
                clean[key] = value
        if PROGRESS not in clean:
            # Unsaved changes of a progress that could not be read are gone with it: the
            # store's copy is read again.
            clean.pop(UNSAVED, None)
            clean.pop(VISIT_PENDING, None)
        return clean, problems

    # --- the conversation -----------------------------------------------------------------

    def conversation(self, value: Any, nested: bool = False) -> dict[str, Any] | None:
        if value is None:
            return None
        data = _map(value, CONVERSATION)
        if not data:
            return None
        if "tip" in data:
            return self._v2_conversation(data)
        program = self._program_id(data.get("program"), "conversation.program")
        step = part = 0
        if program is not None:
            size = self.catalog[program].size
            step = _clamped(data.get("step") or 0, 0, size, "conversation.step")
            # In a piece: 1 in a step's practice, a step of the program in a guided run.
            kind = self.catalog[program].step(step).kind if step else None
            parts = (
                size
                if kind == "guided"
                else self.catalog[program].step(step).practice
                if step
                else 0
            )
            part = _clamped(data.get("part") or 0, 0, parts, "conversation.part")
        question = data.get("question")
        if question is not None and question not in _QUESTIONS:
            raise Unreadable("conversation.question")
        skipped = _list(data.get("skip"), MAX_DATA_KEYS, "conversation.skip")
        skip = [self._program_id(p, "conversation.skip") for p in skipped]
        before = data.get("before")
        if before is not None and nested:
            raise Unreadable("conversation.before")
        return {
            "program": program,
            "step": step,
            "part": part,
            "question": question,
            "offer": self._program_id(data.get("offer"), "conversation.offer"),
            "skip": sorted({p for p in skip if p is not None}),
            "paused": _bool(data.get("paused"), "conversation.paused"),
            "eyes_open": _bool(data.get("eyes_open"), "conversation.eyes_open"),
            "hold": _bool(data.get("hold"), "conversation.hold"),
            "before": self.conversation(before, nested=True),
            "last": self.reply(data.get("last")),
            "misses": _clamped(data.get("misses") or 0, 0, MAX_MISSES, "conversation.misses"),
            "uses": self._uses(data.get("uses")),
            "fine": self._fine(data.get("fine")),
            "remind": None
            if data.get("remind") is None
            else _text(data["remind"], MAX_ID_CHARS, "conversation.remind"),
            "can_remind": _bool(data.get("can_remind"), "conversation.can_remind"),
            "quiet": _bool(data.get("quiet"), "conversation.quiet"),
            "names": self._names(data.get("names")),
        }

    @staticmethod
    def _fine(value: Any) -> list[str]:
        """The kinds of check-in answered "I'm fine" this visit (skill.core.hold)."""
        kinds = _list(value, 2, "conversation.fine")
        if any(kind not in CHECK_IN_KINDS for kind in kinds):
            raise Unreadable("conversation.fine")
        return sorted(set(kinds))

    @staticmethod
    def _names(value: Any) -> list[str]:
        """The first names of two people taking turns: two at most, each a few words."""
        names = _list(value, MAX_NAMES, "conversation.names")
        return [_text(name, MAX_NAME_CHARS, "conversation.names") for name in names]

    def _v2_conversation(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        """A session written before programs were content: migrated by the core, then read
        as any other."""
        migrated = Conversation.from_dict(
            {k: data[k] for k in ("program", "tip", "step") if k in data}
        )
        return self.conversation(migrated.to_dict()) if migrated.program else None

    def reply(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        data = _map(value, "conversation.last")
        view = data.get("view")
        if view is None:
            return None
        if view not in self.views:
            raise Unreadable("conversation.last.view")
        card = data.get("card")
        if card is not None and card not in self.cards:
            raise Unreadable("conversation.last.card")
        fields = _map(data.get("data"), "conversation.last.data")
        if len(fields) > MAX_DATA_KEYS:
            raise Unreadable("conversation.last.data")
        return {
            "view": view,
            "data": {
                _text(k, MAX_ID_CHARS, "conversation.last.data"): self._scalar(v)
                for k, v in fields.items()
            },
            "end": _bool(data.get("end"), "conversation.last.end"),
            "card": card,
        }

    @staticmethod
    def _scalar(value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _text(value, MAX_TEXT_CHARS, "conversation.last.data")
        return _int(value, -MAX_REVISION, MAX_REVISION, "conversation.last.data")

    def _uses(self, value: Any) -> dict[str, int]:
        uses = _map(value, "conversation.uses")
        if len(uses) > len(self.views):
            raise Unreadable("conversation.uses")
        return {
            view: _clamped(count, 0, MAX_COUNT, "conversation.uses")
            for view, count in uses.items()
            if view in self.views
        }

    def _program_id(self, value: Any, name: str) -> str | None:
        """A program id of the catalog; None for none, or for one the content does not have."""
        if value is None or value == "":
            return None
        text = _text(value, MAX_ID_CHARS, name)
        return text if self.catalog.get(text) is not None else None

    # --- the progress ---------------------------------------------------------------------

    def progress(self, value: Any, stored: bool = False) -> dict[str, Any]:
        """The progress of ``Progress.to_dict``, bounded to the catalog. A session's names
        its schema version (any, as a deploy may change it); a stored one may be from
        before versions were written (``stored``)."""
        raw = _map(value, PROGRESS)
        version = raw.get("schema_version")
        known = isinstance(version, int) and not isinstance(version, bool)
        if not stored and not (known and 1 <= int(version or 0) <= SCHEMA_VERSION):
            raise Unreadable("progress.schema_version")
        try:
            data = migrate(dict(raw))
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            raise Unreadable("progress.schema_version") from None
        if data.get("schema_version") != SCHEMA_VERSION:
            raise Unreadable("progress.schema_version")
        programs: dict[str, Any] = {}
        entries = _map(data.get("programs"), "progress.programs")
        for pid, entry in entries.items():
            program = self.catalog.get(pid) if isinstance(pid, str) else None
            if program is not None:
                programs[pid] = self._program_progress(entry)
        current = data.get("current")
        last_visit = data.get("last_visit")
        return {
            "schema_version": SCHEMA_VERSION,
            "revision": _int(data.get("revision") or 0, 0, MAX_REVISION, "progress.revision"),
            "programs": programs,
            "current": self._program_id(current, "progress.current"),
            "last_visit": None
            if last_visit is None
            else _int(last_visit, 0, MAX_EPOCH, "progress.last_visit"),
            "pace": _clamped(data.get("pace") or 0, *PACE_RANGE, "progress.pace"),
            "room": _clamped(data.get("room") or 0, *ROOM_RANGE, "progress.room"),
            "visits": _int(data.get("visits") or 0, 0, MAX_VISITS, "progress.visits"),
            "sound": None
            if data.get("sound") is None
            else _text(data["sound"], MAX_ID_CHARS, "progress.sound"),
            "reminders": self._reminders(data.get("reminders")),
            "practiced_at": None
            if data.get("practiced_at") is None
            else _int(data["practiced_at"], 0, MAX_EPOCH, "progress.practiced_at"),
        }

    @staticmethod
    def _reminders(value: Any) -> list[list[str]]:
        """The reminders' ids and schedules (skill.core.progress, schema 6)."""
        kept = []
        for entry in _list(value, MAX_REMINDERS, "progress.reminders"):
            pair = _list(entry, 2, "progress.reminders")
            if len(pair) != 2:
                raise Unreadable("progress.reminders")
            kept.append(
                [
                    _text(pair[0], MAX_TEXT_CHARS, "progress.reminders"),
                    _text(pair[1], MAX_ID_CHARS, "progress.reminders"),
                ]
            )
        return kept

    @staticmethod
    def _program_progress(value: Any) -> dict[str, Any]:
        """One program's progress. Steps beyond today's program are kept (the content may
        come back, and the core resumes where it can), up to ``MAX_STEP``."""
        data = _map(value, "progress.programs")

        def steps(name: str) -> list[int]:
            found = _list(data.get(name), MAX_STEP, f"progress.programs.{name}")
            numbers = {_int(n, -MAX_REVISION, MAX_REVISION, f"progress.{name}") for n in found}
            return sorted(n for n in numbers if 1 <= n <= MAX_STEP)

        return {
            "position": _clamped(data.get("position") or 0, 0, MAX_STEP, "progress.position"),
            "heard": steps("heard"),
            "practiced": steps("practiced"),
            "finished": _bool(data.get("finished"), "progress.programs.finished"),
            "unfinished": _clamped(data.get("unfinished") or 0, 0, MAX_STEP, "progress.unfinished"),
        }


_KEYS = frozenset({CONVERSATION, PROGRESS, UNSAVED, VISIT_PENDING, STARTED})
_QUESTIONS = frozenset(q.value for q in Question)
