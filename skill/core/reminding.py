"""Practice reminders and "how am I doing", in the dialog core (pure: no API, no clock).

The core decides what is asked and what should happen; a reminder itself is set, listed,
changed or cancelled by the turn service (``skill.service.reminding``), which runs the
``reminder`` reply's ``op`` through the channel's reminders (Alexa's Reminders API, a
fake on the chat and the simulator, none on the phone line) and tells the reply what came
of it (``outcome``). So a reply never claims a reminder the API did not create.

A ``Schedule`` is what was said: a time ("20:00", or a part of the day, "EV"), a date
("2026-12-12"), a repetition (every day, or a weekday) or a delay in seconds. It travels
as one short string (``Command.when``, ``Conversation.remind``, the reply's ``when``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from skill.core.blocks import DialogBase
from skill.core.values import FIXED_VIEWS, Action, Command, Question, Reply, Turn

# A day of the week, as the Reminders API's recurrence rules name it (BYDAY).
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAILY = "DAILY"
# Parts of the day AMAZON.TIME hands over ("this evening"): morning, afternoon, evening,
# night. A practice reminder for one of them comes at this hour.
PARTS_OF_DAY = {"MO": "08:00", "AF": "14:00", "EV": "19:00", "NI": "21:00"}
# Views said to a disclosure, a check-in or something hard: after one, no reminder is
# offered in that visit (``Conversation.quiet``).
TENDER_VIEWS = FIXED_VIEWS | {"feelings"}
# What a visit has done that a reminder may follow: a practice, or a program's end.
_PRACTISED_VIEWS = frozenset({"practice_done", "program_done"})
REMINDER_VIEW = "reminder"
# The commands whose ``reminder`` reply the turn service carries out (never "repeat").
REMINDER_ACTIONS = frozenset(
    {
        Action.REMIND,
        Action.REMIND_CONSENT,
        Action.REMINDERS,
        Action.REMINDER_CHANGE,
        Action.REMINDER_CANCEL,
        Action.NO,
    }
)
OFFER_VIEW = "remind_offer"


class Schedule(NamedTuple):
    time: str | None = None  # "HH:MM", or a part of the day ("EV")
    date: str | None = None  # "YYYY-MM-DD"
    every: str | None = None  # DAILY, or a weekday of WEEKDAYS
    offset: int | None = None  # seconds from now ("in two hours")

    @property
    def timed(self) -> bool:
        """Enough to set a reminder: a time, or a delay."""
        return self.time is not None or self.offset is not None

    @property
    def hour_minute(self) -> tuple[int, int] | None:
        clock = PARTS_OF_DAY.get(self.time or "", self.time)
        if not clock:
            return None
        hour, _, minute = clock.partition(":")
        return int(hour), int(minute or 0)

    def encode(self) -> str:
        return "|".join(
            "" if v is None else str(v) for v in (self.time, self.date, self.every, self.offset)
        )

    @classmethod
    def decode(cls, text: str | None) -> Schedule:
        """A schedule from ``encode``; anything unreadable is no schedule."""
        parts = (text or "").split("|")
        if len(parts) != 4:
            return cls()
        time, date, every, offset = (p or None for p in parts)
        try:
            return cls(
                time=_clock(time),
                date=_date(date),
                every=every if every in (DAILY, *WEEKDAYS) else None,
                offset=int(offset) if offset and 0 < int(offset) <= 366 * 86400 else None,
            )
        except ValueError:
            return cls()

    def merged(self, other: Schedule) -> Schedule:
        """This schedule with what ``other`` says on top ("every Saturday", then "at ten")."""
        return Schedule(
            time=other.time or self.time,
            date=other.date or self.date,
            every=other.every or self.every,
            offset=other.offset or self.offset,
        )

    def spoken(self) -> dict[str, object]:
        """What a template needs to say the schedule."""
        hm = self.hour_minute
        return {
            "hour": hm[0] if hm else None,
            "minute": hm[1] if hm else None,
            "part": self.time if self.time in PARTS_OF_DAY else None,
            "date": self.date,
            "every": self.every,
            "offset": self.offset,
        }


def _clock(text: str | None) -> str | None:
    if text is None or text in PARTS_OF_DAY:
        return text
    hour, sep, minute = text.partition(":")
    if not sep or not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise ValueError(text)
    return f"{int(hour):02d}:{int(minute):02d}"


def _date(text: str | None) -> str | None:
    if text is None:
        return None
    year, month, day = (int(n) for n in text.split("-"))
    if not (2000 <= year <= 2999 and 1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(text)
    return f"{year:04d}-{month:02d}-{day:02d}"


class Reminding(DialogBase):
    """Reminders asked for, offered, listed, changed and cancelled; and "how am I doing"."""

    def remind(self, cmd: Command) -> Turn:
        """ "Remind me to practise tomorrow at eight": set, or first ask when."""
        pending = (
            Schedule.decode(self.c.remind) if self.c.question is Question.REMIND_TIME else None
        )
        schedule = (pending or Schedule()).merged(Schedule.decode(cmd.when))
        if not schedule.timed:
            state = self.c._replace(remind=schedule.encode())
            return self.ask(
                "remind_when",
                {"every": schedule.every, "date": schedule.date},
                Question.REMIND_TIME,
                state=state,
            )
        return self.reminder("set", schedule)

    def reminder_consent(self, cmd: Command) -> Turn:
        """Alexa's answer to asking for the permission by voice: the reminder asked for is
        set (the service tries it), or the person hears what happened."""
        return self.reminder("set", Schedule.decode(cmd.when), consent=cmd.heard or "NOT_ANSWERED")

    def reminder(self, op: str, schedule: Schedule | None = None, **extra: object) -> Turn:
        """A reply the service acts on (``skill.service.reminding``): ``op`` is set, list,
        change or cancel. The open question is closed: what can be said next is said."""
        self.c = self.c._replace(question=None, remind=None)
        schedule = schedule or Schedule()
        data: dict[str, object] = {"op": op, "outcome": None, **extra}
        data["when"] = schedule.encode()
        data.update(schedule.spoken())
        return self.aside(REMINDER_VIEW, **data)

    def reminder_change(self, cmd: Command) -> Turn:
        schedule = Schedule.decode(cmd.when)
        if not schedule.timed:
            return self.ask("remind_when", {"every": None, "date": None}, Question.REMIND_TIME)
        return self.reminder("change", schedule)

    def offer_reminder(self) -> Turn | None:
        """After a practice or a program's end, once a visit, where reminders can be set
        and none is: "would you like a reminder to practise?". Never in a visit that had a
        disclosure or a check-in."""
        said = dict(self.c.uses)
        if (
            not self.c.can_remind
            or self.p.reminders
            or OFFER_VIEW in said
            or not _PRACTISED_VIEWS & said.keys()
            or self.c.quiet
            or self.c.fine
        ):
            return None
        return self.ask(OFFER_VIEW, {}, Question.REMIND, state=self.at_rest())

    def remind_answer(self, a: Action) -> Turn:
        """Yes or no to the offer, or to "when shall I remind you?"."""
        if a is Action.NO and self.c.question is Question.REMIND:
            self.c = self.c._replace(question=None, remind=None)
            return self.goodbye()  # the person was leaving: the offer was the last word
        if a is Action.NO:
            return self.reminder("set", consent="DECLINED")  # "no reminder, then"
        pending = Schedule.decode(self.c.remind)
        return self.ask(
            "remind_when",
            {"every": pending.every, "date": pending.date},
            Question.REMIND_TIME,
            state=self.c._replace(remind=pending.encode()),
        )

    def how_am_i_doing(self) -> Turn:
        """What was heard and practised, and when the last practice was: no streaks."""
        program = self.catalog.get(self.p.current) or self.catalog.main
        progress = self.p.of(program.id)
        practiced = sum(len(p.practiced) for p in self.p.programs.values())
        finished = [pid for pid in sorted(self.p.programs) if self.p.programs[pid].finished]
        since = self.p.practiced_at
        days = max((self.now - since) // 86400, 0) if since is not None else None
        return self.aside(
            "how_am_i_doing",
            program=program.id,
            heard=len([n for n in progress.heard if n <= program.size]),
            count=program.size,
            practiced=practiced,
            finished=len(finished),
            days=days,
            new=self.p.is_new,
        )

    def practised(self) -> None:
        """A practice was done now: remembered for "how am I doing"."""
        self.p = replace(self.p, practiced_at=self.now)


def reminder_command(action: Action, schedule: Schedule) -> Command:
    return Command(action, when=schedule.encode())


__all__ = ["DAILY", "OFFER_VIEW", "REMINDER_VIEW", "WEEKDAYS", "Reminding", "Reply", "Schedule"]
