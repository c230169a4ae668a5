"""The simulator's page and its JSON API: a Flask blueprint, and ``python -m skill simulator``.

Routes (Blueprint ``blueprint``, only in the app ``create_simulator_app`` builds):

* ``GET /simulator/``: the page, with a token of its own. ``/simulator/static/...``: its
  script and style sheet, served from this package (no external resources at all).
* ``/simulator/api/...``: what the page calls. Every call must carry the page's token in
  the ``X-Simulator-Token`` header (403 otherwise), so another site open in the same
  browser cannot talk to the skill as this person; a ``Host`` other than this machine is
  refused too, against DNS rebinding.

  ``GET state``, ``POST say {text}``, ``POST silence``, ``POST leave``,
  ``POST locale {locale}``, ``GET progress``, ``POST forget``, ``POST record {on}``,
  ``POST script {name, picks, save}``.

The words typed or recognised go through ``skill.channels.simulator.device`` (the same
resolver and envelopes as the chat) into the skill's handler, ``lambda_handler`` unless
the app's config names another.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request

from skill.alexa.envelopes import SessionDriver
from skill.alexa.invoke import EventSerializer
from skill.channels.simulator.device import Device, Exchange, Handler
from skill.channels.simulator.script import (
    ScriptError,
    choices,
    dump,
    recordable,
    script_of,
    slug,
)
from skill.channels.simulator.speech_plan import plan_dicts
from skill.channels.web.app import CONFIG_BLUEPRINTS, CONFIG_SKILL_HANDLER, create_app
from skill.config import DEFAULT_LOCALE, ENV_DB_PATH, ENV_TEMPLATES_DIR, LOCALES
from skill.core.program import Catalog
from skill.core.progress import Progress
from skill.speech.ssml import to_text
from skill.store.base import ProgressAdapter, StorageError

logger = logging.getLogger(__name__)

blueprint = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    static_folder="static",
    static_url_path="/static",
)

# Keys of the app's config that the simulator reads.
CONFIG_STORE = "SIMULATOR_STORE"  # the ProgressAdapter behind SKILL_HANDLER (default: the skill's)
CONFIG_USER = "SIMULATOR_USER"  # the Alexa user ID the page talks as
CONFIG_LOCALE = "SIMULATOR_LOCALE"  # the locale a new page starts in
CONFIG_DIALOGS = "SIMULATOR_DIALOGS"  # a folder the page may save dialog scripts into
CONFIG_HOSTS = "SIMULATOR_HOSTS"  # Host names to accept besides loopback ones

TOKEN_HEADER = "X-Simulator-Token"
PAGE_FILE = Path(__file__).with_name("page.html")
TOKEN_PLACEHOLDER = "__SIMULATOR_TOKEN__"
MAX_PAGES = 32  # pages kept at once; the oldest one's session is ended beyond that
MAX_TEXT_CHARS = 500
MAX_BODY_BYTES = 64 * 1024
DEFAULT_PORT = 5001
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
RECORD_USER_PREFIX = "amzn1.ask.account.SIMRECORD"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
}
_EXTENSION = "ally_coach_simulator"

T = TypeVar("T")


# --- one open page ------------------------------------------------------------------------


@dataclass
class Page:
    """What one open page talks to: its device, and its recording."""

    token: str
    user_id: str  # the person's own; a recording talks as a fresh user instead
    device: Device
    recording: list[Exchange] | None = None  # None: not recording
    recorded: list[Exchange] = field(default_factory=list)  # the last recording
    lock: threading.Lock = field(default_factory=threading.Lock)


class Pages:
    """The open pages by token, the oldest forgotten first."""

    def __init__(self, limit: int = MAX_PAGES) -> None:
        self.limit = limit
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, page: Page) -> None:
        with self._lock:
            self._pages[page.token] = page
            dropped = []
            while len(self._pages) > self.limit:
                dropped.append(self._pages.popitem(last=False)[1])
        for old in dropped:
            with old.lock:
                old.device.leave()  # its last chance to save what the session holds

    def get(self, token: str | None) -> Page | None:
        if not token:
            return None
        with self._lock:
            page = self._pages.get(token)
            if page is not None:
                self._pages.move_to_end(token)
            return page


def _pages() -> Pages:
    pages: Pages = current_app.extensions[_EXTENSION]
    return pages


@blueprint.record_once
def _setup(state: Any) -> None:
    state.app.extensions[_EXTENSION] = Pages()


def _handler() -> Handler:
    configured: Handler | None = current_app.config.get(CONFIG_SKILL_HANDLER)
    if configured is not None:
        return configured
    from skill.lambda_function import lambda_handler

    return lambda_handler


def _store() -> ProgressAdapter:
    configured: ProgressAdapter | None = current_app.config.get(CONFIG_STORE)
    if configured is not None:
        return configured
    # The very adapter lambda_handler's skill saves through, so what the page shows is
    # what the skill will read.
    from skill.lambda_function import get_skill

    adapter = get_skill().persistence_adapter
    assert isinstance(adapter, ProgressAdapter)
    return adapter


def _application_id() -> str | None:
    from skill.config import get_settings

    return get_settings().skill_id


def _new_device(user_id: str, locale: str) -> Device:
    return Device(_handler(), user_id, locale, application_id=_application_id())


def _default_user() -> str:
    configured: str | None = current_app.config.get(CONFIG_USER)
    if configured:
        return configured
    from skill.channels.chat import default_user_id

    # The same person as in the terminal chat, so both see one progress.
    return default_user_id()


# --- guards -------------------------------------------------------------------------------


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _host_allowed(host: str) -> bool:
    name = _hostname(host).lower()
    if name in LOOPBACK_NAMES or name in set(current_app.config.get(CONFIG_HOSTS) or ()):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@blueprint.before_request
def _guard() -> Response | None:
    if not _host_allowed(request.host):
        logger.warning("simulator request refused: Host %r is not this machine", request.host)
        return _error("this host name is not served", 403)
    if not request.path.startswith(f"{blueprint.url_prefix}/api/"):
        return None
    if request.headers.get("Sec-Fetch-Site") in {"cross-site", "same-site"}:
        return _error("cross-site request refused", 403)
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        return _error("cross-site request refused", 403)
    if _pages().get(request.headers.get(TOKEN_HEADER)) is None:
        return _error(f"missing or unknown {TOKEN_HEADER}: reload the page", 403)
    if request.method == "POST":
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error("request body too large", 413)
        if not isinstance(request.get_json(silent=True), dict):
            return _error("expected a JSON object", 400)
    return None


@blueprint.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith(f"{blueprint.url_prefix}/static/"):
        response.headers["Cache-Control"] = "no-store"  # the page holds its token
    return response


def _page() -> Page:
    page = _pages().get(request.headers.get(TOKEN_HEADER))
    assert page is not None  # _guard let the request through
    return page


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _locked(work: Callable[[Page], T]) -> T:
    page = _page()
    with page.lock:
        return work(page)


# --- JSON -----------------------------------------------------------------------------------


def _speech_json(ssml: str | None) -> dict[str, Any] | None:
    if not ssml:
        return None
    return {"ssml": ssml, "text": to_text(ssml), "plan": plan_dicts(ssml)}


def _turn_json(page: Page, exchange: Exchange) -> dict[str, Any]:
    recorded: int | None = None
    if page.recording is not None and recordable(exchange):
        page.recording.append(exchange)
        recorded = len(page.recording) - 1
    return {
        "kind": exchange.kind,
        "said": exchange.said,
        "understood": exchange.understood.to_dict() if exchange.understood else None,
        "requests": exchange.requests,
        "speech": _speech_json(exchange.speech_ssml),
        "reprompt": _speech_json(exchange.reprompt_ssml),
        "card": exchange.card,
        "ended": exchange.ended,
        "session_open": page.device.active,
        "view": exchange.view,
        "action": exchange.action,
        "recorded": recorded,
        "choices": choices(exchange) if recorded is not None else [],
    }


def _state_json(page: Page) -> dict[str, Any]:
    dialogs = current_app.config.get(CONFIG_DIALOGS)
    return {
        "locale": page.device.locale,
        "locales": list(LOCALES),
        "session_open": page.device.active,
        "recording": page.recording is not None,
        "recorded": len(page.recording if page.recording is not None else page.recorded),
        "save_folder": str(dialogs) if dialogs else None,
    }


def _catalog() -> Catalog:
    """The programs the skill speaks: the same content folder lambda_handler's skill uses."""
    from skill.config import get_settings
    from skill.speech.programs import get_catalog

    root = get_settings().templates_dir
    return get_catalog(Path(root).expanduser().resolve()) if root else get_catalog()


def _progress_summary(data: Mapping[str, Any] | None) -> dict[str, Any]:
    progress = Progress.from_dict(data)
    programs = []
    for program in _catalog():
        mine = progress.of(program.id)
        programs.append(
            {
                "id": program.id,
                "name": program.names[0] if program.names else program.id,
                "steps": [step.id for step in program.steps],
                "position": mine.position,
                "heard": sorted(mine.heard),
                "practiced": sorted(mine.practiced),
                "finished": mine.finished,
            }
        )
    visit = progress.last_visit
    return {
        "programs": programs,
        "current": progress.current,
        "last_visit": datetime.fromtimestamp(visit, UTC).isoformat() if visit else None,
        "is_new": progress.is_new,
    }


def _progress_json(page: Page) -> Response:
    event = SessionDriver(user_id=page.device.user_id, locale=page.device.locale).launch()
    envelope = EventSerializer().deserialize_event(event)
    try:
        stored = _store().get_attributes(envelope)
    except StorageError as exc:
        logger.warning("simulator could not read progress: %s", exc)
        return _error("the progress store could not be read", 503)
    session = page.device.driver.attributes if page.device.active else {}
    return jsonify(
        stored=_progress_summary(stored),
        session=_progress_summary(session["progress"]) if "progress" in session else None,
        unsaved=bool(session.get("unsaved") or session.get("visit_pending")),
        recording=page.recording is not None,
    )


# --- routes -----------------------------------------------------------------------------


@blueprint.get("/")
def page() -> Response:
    token = secrets.token_urlsafe(32)
    locale = current_app.config.get(CONFIG_LOCALE) or DEFAULT_LOCALE
    user = _default_user()
    _pages().add(Page(token=token, user_id=user, device=_new_device(user, locale)))
    html = PAGE_FILE.read_text(encoding="utf-8").replace(TOKEN_PLACEHOLDER, token)
    return Response(html, mimetype="text/html")


@blueprint.get("/api/state")
def state() -> Response:
    return jsonify(_locked(_state_json))


@blueprint.post("/api/say")
def say() -> Response:
    text = _body().get("text")
    if not isinstance(text, str):
        return _error("text must be a string", 400)
    if len(text) > MAX_TEXT_CHARS:
        return _error(f"say at most {MAX_TEXT_CHARS} characters at once", 400)
    return jsonify(_locked(lambda page: _turn_json(page, page.device.say(text))))


@blueprint.post("/api/silence")
def silence() -> Response:
    return jsonify(_locked(lambda page: _turn_json(page, page.device.silence())))


@blueprint.post("/api/leave")
def leave() -> Response:
    return jsonify(_locked(lambda page: _turn_json(page, page.device.leave())))


@blueprint.post("/api/locale")
def locale() -> Response:
    wanted = _body().get("locale")
    if wanted not in LOCALES:
        return _error(f"locale must be one of {', '.join(LOCALES)}", 400)

    def switch(page: Page) -> Response:
        if page.recording is not None:
            return _error("a script has one locale: stop recording to switch", 409)
        page.device.leave()
        page.device = _new_device(page.device.user_id, str(wanted))
        return jsonify(_state_json(page))

    return _locked(switch)


@blueprint.get("/api/progress")
def progress() -> Response:
    return _locked(_progress_json)


@blueprint.post("/api/forget")
def forget() -> Response:
    def work(page: Page) -> Response:
        # The session would save what it holds when it ends: end it first, then delete.
        page.device.leave()
        try:
            _store().delete_user(page.device.user_id)
        except StorageError as exc:
            logger.warning("simulator could not forget progress: %s", exc)
            return _error("the progress store could not delete; nothing was forgotten", 503)
        return _progress_json(page)

    return _locked(work)


@blueprint.post("/api/record")
def record() -> Response:
    on = _body().get("on")
    if not isinstance(on, bool):
        return _error("on must be true or false", 400)

    def work(page: Page) -> Response:
        if on and page.recording is None:
            # A script replays for a new listener on an empty store: record as one.
            page.device.leave()
            user = RECORD_USER_PREFIX + secrets.token_hex(8).upper()
            page.device = _new_device(user, page.device.locale)
            page.recording, page.recorded = [], []
        elif not on and page.recording is not None:
            page.device.leave()
            try:
                _store().delete_user(page.device.user_id)
            except StorageError as exc:
                logger.warning("simulator could not delete the recording's progress: %s", exc)
            page.recorded, page.recording = page.recording, None
            page.device = _new_device(page.user_id, page.device.locale)
        return jsonify(_state_json(page))

    return _locked(work)


@blueprint.post("/api/script")
def script() -> Response:
    body = _body()
    name = body.get("name")
    picks = body.get("picks") or {}
    if not isinstance(name, str) or not slug(name):
        return _error("name the script with letters or digits", 400)
    if not isinstance(picks, dict) or not all(
        isinstance(v, list) and all(isinstance(t, str) for t in v) for v in picks.values()
    ):
        return _error("picks maps a turn's number to the words it must hear", 400)
    try:
        chosen = {int(k): v for k, v in picks.items()}
    except ValueError:
        return _error("picks maps a turn's number to the words it must hear", 400)

    def work(page: Page) -> Response:
        exchanges = page.recording if page.recording is not None else page.recorded
        try:
            text = dump(script_of(name.strip(), page.device.locale, exchanges, chosen))
        except ScriptError as exc:
            return _error(str(exc), 400)
        filename = slug(name) + ".yaml"
        saved: str | None = None
        if body.get("save"):
            folder = current_app.config.get(CONFIG_DIALOGS)
            if not folder:
                return _error("this simulator was started without a folder to save into", 400)
            path = Path(folder) / filename
            if path.exists():
                return _error(f"{path} exists: choose another name", 409)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            saved = str(path)
        return jsonify(filename=filename, text=text, saved_to=saved)

    return _locked(work)


# --- the app and the command --------------------------------------------------------------


def create_simulator_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The web endpoint's app with the simulator added; the simulator is in no other app."""
    settings = dict(config or {})
    settings[CONFIG_BLUEPRINTS] = [*settings.get(CONFIG_BLUEPRINTS, ()), blueprint]
    app = create_app(settings)

    @app.get("/")
    def home() -> Any:
        return redirect(f"{blueprint.url_prefix}/")

    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill simulator",
        description="Talk to the skill in a web page: type or speak, and hear it with its "
        "pauses. A development tool (docs/simulator.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument("--db", help="SQLite file for progress (default: your data folder)")
    parser.add_argument("--user", help="the Alexa user ID to talk as (default: as the chat)")
    parser.add_argument("--locale", default=DEFAULT_LOCALE, choices=LOCALES)
    parser.add_argument(
        "--templates",
        metavar="DIR",
        help="speak from another content folder (templates and programs), as "
        "SKILL_TEMPLATES_DIR does: try a program before it ships",
    )
    parser.add_argument(
        "--save-dialogs",
        metavar="DIR",
        help="let the page save recorded dialog scripts into DIR (e.g. tests/dialogs)",
    )
    args = parser.parse_args(argv)
    # Settings are read once, when the skill is first built: set them before that.
    if args.db:
        os.environ[ENV_DB_PATH] = args.db
    if args.templates:
        os.environ[ENV_TEMPLATES_DIR] = args.templates
    from skill.config import get_settings

    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config: dict[str, Any] = {CONFIG_LOCALE: args.locale}
    if args.user:
        config[CONFIG_USER] = args.user
    if args.save_dialogs:
        config[CONFIG_DIALOGS] = Path(args.save_dialogs).resolve()
    if args.host not in LOOPBACK_NAMES:
        config[CONFIG_HOSTS] = [args.host]
        logger.warning(
            "the simulator is reachable beyond this machine on %s: anyone who can reach it "
            "can talk to the skill as you and read your progress",
            args.host,
        )
    app = create_simulator_app(config)

    from waitress.server import create_server

    server = create_server(app, host=args.host, port=args.port, threads=4)
    host = f"[{args.host}]" if ":" in args.host else args.host
    port = getattr(server, "effective_port", args.port)
    print(f"Ally Coach simulator: http://{host}:{port}/simulator/", flush=True)
    print("Open it in a browser. Press Ctrl+C to stop.", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    sys.stdout.flush()
    return 0
