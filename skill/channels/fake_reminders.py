"""A small fake of Alexa's Reminders API (and the device's time zone setting), on
127.0.0.1: the chat and the simulator set their reminders here (they show what they would
set), and the tests run every reminder conversation against it.

It checks each create and update body against the shape Amazon documents (the Reminders
API reference): ``requestTime``; ``trigger`` of type ``SCHEDULED_ABSOLUTE`` (a
``scheduledTime`` without a zone, a ``timeZoneId``, and optionally a ``recurrence`` of
``freq``/``byDay`` or of ``recurrenceRules``) or ``SCHEDULED_RELATIVE``
(``offsetInSeconds``); ``alertInfo.spokenInfo.content`` [{``locale``, ``text``}];
``pushNotification.status``. A body that does not fit is answered 400, as Amazon does,
and kept in ``invalid`` for the tests. Faults can be asked for: an HTTP status for every
call (``fail_with``: 401, 429, 500...), and a delay (``delay``).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/v1/alerts/reminders"
_TIME_ZONE = re.compile(r"^/v2/devices/([^/]+)/settings/System\.timeZone$")
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$")
_RULE = re.compile(r"^FREQ=(DAILY|WEEKLY)(;[A-Z]+=[A-Z0-9,]+)*;?$")
_DAYS = frozenset({"MO", "TU", "WE", "TH", "FR", "SA", "SU"})


def problems(body: Any) -> list[str]:
    """What is wrong with a create or update body, by Amazon's documented shape."""
    found: list[str] = []
    if not isinstance(body, dict):
        return ["body is not an object"]
    if not isinstance(body.get("requestTime"), str) or not _LOCAL_TIME.match(body["requestTime"]):
        found.append("requestTime")
    trigger = body.get("trigger")
    if not isinstance(trigger, dict):
        return [*found, "trigger"]
    kind = trigger.get("type")
    if kind == "SCHEDULED_ABSOLUTE":
        scheduled = trigger.get("scheduledTime")
        if not isinstance(scheduled, str) or not _LOCAL_TIME.match(scheduled):
            found.append("trigger.scheduledTime (local time, no zone)")
        zone = trigger.get("timeZoneId")
        if not isinstance(zone, str) or "/" not in zone:
            found.append("trigger.timeZoneId")
        recurrence = trigger.get("recurrence")
        if recurrence is not None:
            found += _recurrence(recurrence)
        if "offsetInSeconds" in trigger:
            found.append("trigger.offsetInSeconds with SCHEDULED_ABSOLUTE")
    elif kind == "SCHEDULED_RELATIVE":
        offset = trigger.get("offsetInSeconds")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset <= 0:
            found.append("trigger.offsetInSeconds")
        if "scheduledTime" in trigger or "recurrence" in trigger:
            found.append("trigger: a relative trigger has no time or recurrence")
    else:
        found.append("trigger.type")
    content = ((body.get("alertInfo") or {}).get("spokenInfo") or {}).get("content")
    if not isinstance(content, list) or not content:
        found.append("alertInfo.spokenInfo.content")
    else:
        for item in content:
            if not isinstance(item, dict) or not isinstance(item.get("locale"), str):
                found.append("alertInfo.spokenInfo.content.locale")
            elif not isinstance(item.get("text"), str) or not item["text"].strip():
                found.append("alertInfo.spokenInfo.content.text")
    status = (body.get("pushNotification") or {}).get("status")
    if status not in ("ENABLED", "DISABLED"):
        found.append("pushNotification.status")
    return found


def _recurrence(recurrence: Any) -> list[str]:
    if not isinstance(recurrence, dict):
        return ["trigger.recurrence"]
    rules = recurrence.get("recurrenceRules")
    if rules is not None:
        if not isinstance(rules, list) or not rules:
            return ["trigger.recurrence.recurrenceRules"]
        bad = [r for r in rules if not isinstance(r, str) or not _RULE.match(r)]
        start = recurrence.get("startDateTime")
        if start is not None and not (isinstance(start, str) and _LOCAL_TIME.match(start)):
            return ["trigger.recurrence.startDateTime"]
        return ["trigger.recurrence.recurrenceRules"] if bad else []
    freq = recurrence.get("freq")
    if freq not in ("DAILY", "WEEKLY"):
        return ["trigger.recurrence.freq"]
    days = recurrence.get("byDay")
    if freq == "WEEKLY" and not (isinstance(days, list) and days and set(days) <= _DAYS):
        return ["trigger.recurrence.byDay"]
    return []


class FakeRemindersApi:
    """The fake, serving on 127.0.0.1 (an ephemeral port) in a thread: ``endpoint`` is what
    an envelope's ``context.System.apiEndpoint`` names. Use as a context manager, or
    ``start``/``stop``."""

    def __init__(self, token: str = "fake-api-token", time_zone: str | None = "Europe/London"):
        self.token = token
        self.time_zone = time_zone
        self.reminders: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path)
        self.invalid: list[list[str]] = []
        self.fail_with: int | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "the fake is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeRemindersApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, payload: Any = None) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = fake.handle(
                    method, self.path, self.headers.get("Authorization"), raw
                )
                self._answer(status, payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeRemindersApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(
        self, method: str, path: str, authorization: str | None, raw: bytes
    ) -> tuple[int, Any]:
        """One call: (status, JSON payload)."""
        with self._lock:
            self.calls.append((method, path))
            delay, fail = self.delay, self.fail_with
        if delay:
            time.sleep(delay)
        if fail is not None:
            return fail, {"code": "FAULT", "message": f"the fake answers {fail}"}
        if authorization != f"Bearer {self.token}":
            return 401, {"code": "UNAUTHORIZED", "message": "token refused"}
        if _TIME_ZONE.match(path) and method == "GET":
            return (200, self.time_zone) if self.time_zone else (404, {"code": "NOT_FOUND"})
        if path == PATH and method == "GET":
            with self._lock:
                alerts = [dict(r) for r in self.reminders.values()]
            return 200, {"totalCount": str(len(alerts)), "alerts": alerts, "links": None}
        if path == PATH and method == "POST":
            return self._write(None, raw)
        if path.startswith(PATH + "/"):
            token = path[len(PATH) + 1 :]
            with self._lock:
                known = token in self.reminders
            if not known:
                return 404, {"code": "NOT_FOUND", "message": "no such reminder"}
            if method == "GET":
                return 200, self.reminders[token]
            if method == "PUT":
                return self._write(token, raw)
            if method == "DELETE":
                with self._lock:
                    del self.reminders[token]
                return 200, None
        return 404, {"code": "NOT_FOUND", "message": "no such resource"}

    def _write(self, token: str | None, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        found = problems(body)
        if found:
            with self._lock:
                self.invalid.append(found)
            return 400, {"code": "INVALID_REQUEST", "message": "; ".join(found)}
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000", time.gmtime())
        token = token or str(uuid.uuid4())
        alert = {
            "alertToken": token,
            "createdTime": now,
            "updatedTime": now,
            "status": "ON",
            "version": "1",
            "href": f"{PATH}/{token}",
            "trigger": body["trigger"],
            "alertInfo": body["alertInfo"],
            "pushNotification": body["pushNotification"],
        }
        with self._lock:
            self.reminders[token] = alert
        return 200, alert


_shared: FakeRemindersApi | None = None
_shared_lock = threading.Lock()


def shared_fake() -> FakeRemindersApi:
    """The process's fake, started on first use: the chat's and the simulator's Echo set
    their reminders here, so they show the reminder they would set, and nothing leaves
    this machine."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FakeRemindersApi(time_zone=None).start()
        return _shared
