"""Reminders, for the turn service: the core's ``reminder`` reply (skill.core.reminding)
run through the channel's reminders, and what came of it told to the reply (``outcome``).

A channel hands the service its ``Reminders`` (``Caller.reminders``): Alexa's Reminders API
on the request's endpoint and token (``skill.alexa.reminders``), the same client on the
local fake for the chat and the simulator (``skill.channels.fake_reminders``), or none (the
phone line: reminders need an Alexa device). Every failure of the API is a
``RemindersError``; it never reaches the person as anything but a plain sentence, and a
reminder that was not created is never said to be set.

Outcomes: ``set``, ``changed``, ``cancelled``, ``listed``, ``none`` (nothing to list,
change or cancel), ``ask`` (no permission yet: the Alexa channel asks for it by voice),
``denied`` / ``not_answered`` (the answer to that), ``card`` (the permission cannot be asked
by voice here: a card in the Alexa app), ``refused`` (the API refused the token),
``failed`` (slow, rate-limited or failing), ``full``, ``no_device``, ``declined`` (no time
given: "no" to "when shall I remind you?").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from skill.core.progress import MAX_REMINDERS, Progress
from skill.core.reminding import DAILY, REMINDER_VIEW, WEEKDAYS, Schedule
from skill.core.values import Reply, Turn

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

SCOPE = "alexa::alerts:reminders:skill:readwrite"
REMINDER_FILE = "reminder.json"  # templates/<lang or locale>/: the reminder's words
# Where a device does not say its time zone: the locale's most populous one.
DEFAULT_TIME_ZONES = {
    "en-US": "America/New_York",
    "en-GB": "Europe/London",
    "en-CA": "America/Toronto",
    "en-AU": "Australia/Sydney",
    "en-IN": "Asia/Kolkata",
}


class RemindersError(Exception):
    """The Reminders API did not do what was asked. ``kind``: ``refused`` (401, 403: the
    token or the permission), ``not_found`` (404), ``failed`` (slow, 429, 5xx, anything)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class Reminders(Protocol):
    """A channel's reminders: the person's, on their device."""

    @property
    def granted(self) -> bool: ...  # the permission is given

    def time_zone(self) -> str | None: ...
    def create(self, body: Mapping[str, Any]) -> str: ...  # the new reminder's alertToken
    def update(self, alert_token: str, body: Mapping[str, Any]) -> None: ...
    def delete(self, alert_token: str) -> None: ...
    def list(self) -> list[dict[str, Any]]: ...


def reminder_text(locale: str) -> str:
    """The words the reminder says: short and discreet (a shared speaker plays it to the
    whole room), from the templates (``reminder.json``), in the person's locale."""
    import json

    from skill.paths import TEMPLATES_DIR

    for folder in (locale, locale.split("-")[0], "en"):
        path = TEMPLATES_DIR / folder / REMINDER_FILE
        if path.is_file():
            return str(json.loads(path.read_bytes())["text"])
    raise FileNotFoundError(REMINDER_FILE)


def body(schedule: Schedule, zone: str, locale: str, now: int) -> dict[str, Any]:
    """The create or update request body Amazon documents for the schedule said."""
    request_time = _iso(datetime.fromtimestamp(now, UTC).replace(tzinfo=None))
    content = {"locale": locale, "text": reminder_text(locale)}
    alert = {"spokenInfo": {"content": [content]}}
    common = {"requestTime": request_time, "alertInfo": alert}
    common["pushNotification"] = {"status": "ENABLED"}
    hm = schedule.hour_minute
    if hm is None:
        offset = schedule.offset or 3600
        return {**common, "trigger": {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": offset}}
    from zoneinfo import ZoneInfo  # only when a reminder is set: not on the cold path

    local_now = datetime.fromtimestamp(now, ZoneInfo(zone)).replace(tzinfo=None)
    hour, minute = hm
    if schedule.date:
        day = datetime.strptime(schedule.date, "%Y-%m-%d")
    else:
        day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        if schedule.every in WEEKDAYS:
            day += timedelta(days=(WEEKDAYS.index(schedule.every) - day.weekday()) % 7)
    when = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    while when <= local_now:  # a time already past today: the next one
        when += timedelta(days=7 if schedule.every in WEEKDAYS else 1)
    trigger: dict[str, Any] = {
        "type": "SCHEDULED_ABSOLUTE",
        "scheduledTime": _iso(when),
        "timeZoneId": zone,
    }
    if schedule.every:
        rule = "FREQ=DAILY" if schedule.every == DAILY else f"FREQ=WEEKLY;BYDAY={schedule.every}"
        trigger["recurrence"] = {
            "startDateTime": _iso(when),
            "recurrenceRules": [f"{rule};BYHOUR={hour};BYMINUTE={minute};BYSECOND=0;INTERVAL=1"],
        }
    return {**common, "trigger": trigger}


def _day(request: Mapping[str, Any]) -> dict[str, Any]:
    """A one-off reminder at a time is said with its day ("on Wednesday the ninth")."""
    trigger = request["trigger"]
    if trigger.get("scheduledTime") and "recurrence" not in trigger:
        return {"date": str(trigger["scheduledTime"])[:10]}
    return {}


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000")


def carry_out(reminders: Reminders | None, turn: Turn, locale: str, now: int) -> Turn:
    """The core's ``reminder`` reply, done: the reply told its ``outcome``, the progress
    the reminders' ids."""
    reply = turn.reply
    if reply.view != REMINDER_VIEW:
        return turn
    data = dict(reply.data)
    progress, outcome, extra = _outcome(reminders, data, turn.progress, locale, now)
    logger.info("reminder op=%s outcome=%s", data.get("op"), outcome)
    new = Reply(reply.view, {**data, **extra, "outcome": outcome}, reply.end_session, reply.card)
    conversation = turn.conversation
    if conversation.last == reply:  # "repeat" says what came of it, and does nothing again
        conversation = conversation._replace(last=new)
    return turn._replace(reply=new, progress=progress, conversation=conversation)


def _outcome(
    reminders: Reminders | None, data: dict[str, Any], p: Progress, locale: str, now: int
) -> tuple[Progress, str, dict[str, Any]]:
    op, consent = data.get("op"), data.get("consent")
    if reminders is None:
        return p, "no_device", {}
    if consent in ("DENIED", "NOT_ANSWERED", "DECLINED"):
        return p, str(consent).lower(), {}
    if consent == "UNSUPPORTED":
        return p, "card", {}
    if not reminders.granted and consent != "ACCEPTED":
        if op in ("set", "change"):
            return p, "ask", {}
        # Without the permission nothing of the skill's can be read or deleted; what the
        # progress keeps is from before it was taken back.
        return p, "none", {}
    schedule = Schedule.decode(data.get("when"))
    try:
        if op == "set":
            if len(p.reminders) >= MAX_REMINDERS:
                return p, "full", {}
            request = body(schedule, _zone(reminders, locale), locale, now)
            token = reminders.create(request)
            return (
                p.with_reminders([*p.reminders, (token, schedule.encode())]),
                "set",
                _day(request),
            )
        if op == "list":
            alive = {str(a.get("alertToken")) for a in reminders.list() if _on(a)}
            kept = [r for r in p.reminders if r[0] in alive]
            p = p.with_reminders(kept)
            if not alive:
                return p, "none", {}
            said = Schedule.decode(kept[-1][1]).spoken() if kept else {}
            return p, "listed", {"count": len(alive), **said}
        if not p.reminders:
            return p, "none", {}
        if op == "change":
            token, was = p.reminders[-1]
            # "Change it to nine": the new time, on the days it had.
            schedule = Schedule.decode(was).merged(schedule)._replace(offset=None)
            if not schedule.timed:
                return p, "none", {}
            extra = schedule.spoken()
            try:
                reminders.update(token, body(schedule, _zone(reminders, locale), locale, now))
            except RemindersError as exc:
                if exc.kind != "not_found":
                    raise
                return p.with_reminders(p.reminders[:-1]), "none", {}
            kept = [*p.reminders[:-1], (token, schedule.encode())]
            return p.with_reminders(kept), "changed", extra
        if op == "cancel":
            left = delete_all(reminders, p.reminders)
            return p.with_reminders(left), "cancelled" if not left else "failed", {}
    except RemindersError as exc:
        logger.warning("reminders API: %s", exc)
        return p, "refused" if exc.kind == "refused" else "failed", {}
    return p, "failed", {}


def delete_all(reminders: Reminders, kept: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Delete the reminders kept; those the API could not delete are returned."""
    left = []
    for token, schedule in kept:
        try:
            reminders.delete(token)
        except RemindersError as exc:
            if exc.kind != "not_found":  # already gone is deleted
                logger.warning("reminders API: delete failed: %s", exc)
                left.append((token, schedule))
    return left


def _zone(reminders: Reminders, locale: str) -> str:
    try:
        zone = reminders.time_zone()
    except RemindersError as exc:
        logger.info("device time zone unknown (%s): the locale's", exc.kind)
        zone = None
    return zone or DEFAULT_TIME_ZONES.get(locale, "America/New_York")


def _on(alert: Mapping[str, Any]) -> bool:
    return str(alert.get("status") or "ON") == "ON"
