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

The words typed or recognised go through ``skill.channels.simulator.device`` (the text
session every text channel shares, on a simulated Echo) into the skill's handler,
``lambda_handler`` unless the app's config names another. The page's other parts:
``pages`` (open pages, settings), ``guard`` (host, token, headers), ``views`` (the JSON).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request

from skill.channels.local import LOOPBACK_NAMES
from skill.channels.simulator import guard
from skill.channels.simulator.guard import error, json_body
from skill.channels.simulator.pages import (
    CONFIG_DIALOGS,
    CONFIG_HOSTS,
    CONFIG_LOCALE,
    CONFIG_USER,
    DEFAULT_PORT,
    EXTENSION,
    MAX_TEXT_CHARS,
    PAGE_FILE,
    RECORD_USER_PREFIX,
    TOKEN_HEADER,
    TOKEN_PLACEHOLDER,
    Page,
    Pages,
    PagesInUse,
    default_user,
    new_device,
    pages,
    store,
)
from skill.channels.simulator.script import ScriptError, dump, script_of, slug
from skill.channels.simulator.views import progress_json, state_json, turn_json
from skill.channels.web.app import CONFIG_BLUEPRINTS, create_app
from skill.config import DEFAULT_LOCALE, ENV_DB_PATH, ENV_TEMPLATES_DIR, LOCALES
from skill.store.base import StorageError

logger = logging.getLogger(__name__)

blueprint = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    static_folder="static",
    static_url_path="/static",
)

T = TypeVar("T")


@blueprint.record_once
def _setup(state: Any) -> None:
    state.app.extensions[EXTENSION] = Pages()


@blueprint.before_request
def _guard() -> Response | None:
    return guard.check(f"{blueprint.url_prefix}/api/", f"{blueprint.url_prefix}/")


@blueprint.after_request
def _headers(response: Response) -> Response:
    return guard.headers(response, f"{blueprint.url_prefix}/static/")


def _page() -> Page:
    page = pages().get(request.headers.get(TOKEN_HEADER))
    assert page is not None  # _guard let the request through
    return page


def _locked(work: Callable[[Page], T]) -> T:
    page = _page()
    with page.lock:
        return work(page)


# --- routes -----------------------------------------------------------------------------


@blueprint.get("/")
def page() -> Response:
    token = secrets.token_urlsafe(32)
    locale = current_app.config.get(CONFIG_LOCALE) or DEFAULT_LOCALE
    user = default_user()
    try:
        pages().add(Page(token=token, user_id=user, device=new_device(user, locale)))
    except PagesInUse:
        logger.warning("simulator page refused: every page kept is in use")
        return error("too many simulator pages are in use: close some, or try in a while", 503)
    html = PAGE_FILE.read_text(encoding="utf-8").replace(TOKEN_PLACEHOLDER, token)
    return Response(html, mimetype="text/html")


@blueprint.get("/api/state")
def state() -> Response:
    return jsonify(_locked(state_json))


@blueprint.post("/api/say")
def say() -> Response:
    text = json_body().get("text")
    if not isinstance(text, str):
        return error("text must be a string", 400)
    if len(text) > MAX_TEXT_CHARS:
        return error(f"say at most {MAX_TEXT_CHARS} characters at once", 400)
    return jsonify(_locked(lambda page: turn_json(page, page.device.say(text))))


@blueprint.post("/api/silence")
def silence() -> Response:
    return jsonify(_locked(lambda page: turn_json(page, page.device.silence())))


@blueprint.post("/api/leave")
def leave() -> Response:
    return jsonify(_locked(lambda page: turn_json(page, page.device.leave())))


@blueprint.post("/api/locale")
def locale() -> Response:
    wanted = json_body().get("locale")
    if wanted not in LOCALES:
        return error(f"locale must be one of {', '.join(LOCALES)}", 400)

    def switch(page: Page) -> Response:
        if page.recording is not None:
            return error("a script has one locale: stop recording to switch", 409)
        page.device.leave()
        page.device = new_device(page.device.user_id, str(wanted))
        return jsonify(state_json(page))

    return _locked(switch)


@blueprint.get("/api/progress")
def progress() -> Response:
    return _locked(progress_json)


@blueprint.post("/api/forget")
def forget() -> Response:
    def work(page: Page) -> Response:
        # The session would save what it holds when it ends: end it first, then delete.
        page.device.leave()
        try:
            store().delete_user(page.device.user_id)
        except StorageError as exc:
            logger.warning("simulator could not forget progress: %s", exc)
            return error("the progress store could not delete; nothing was forgotten", 503)
        return progress_json(page)

    return _locked(work)


@blueprint.post("/api/record")
def record() -> Response:
    on = json_body().get("on")
    if not isinstance(on, bool):
        return error("on must be true or false", 400)

    def work(page: Page) -> Response:
        if on and page.recording is None:
            # A script replays for a new listener on an empty store: record as one.
            page.device.leave()
            user = RECORD_USER_PREFIX + secrets.token_hex(8).upper()
            page.device = new_device(user, page.device.locale)
            page.recording, page.recorded = [], []
        elif not on and page.recording is not None:
            page.device.leave()
            try:
                store().delete_user(page.device.user_id)
            except StorageError as exc:
                logger.warning("simulator could not delete the recording's progress: %s", exc)
            page.recorded, page.recording = page.recording, None
            page.device = new_device(page.user_id, page.device.locale)
        return jsonify(state_json(page))

    return _locked(work)


@blueprint.post("/api/script")
def script() -> Response:
    body = json_body()
    name = body.get("name")
    picks = body.get("picks") or {}
    if not isinstance(name, str) or not slug(name):
        return error("name the script with letters or digits", 400)
    if not isinstance(picks, dict) or not all(
        isinstance(v, list) and all(isinstance(t, str) for t in v) for v in picks.values()
    ):
        return error("picks maps a turn's number to the words it must hear", 400)
    try:
        chosen = {int(k): v for k, v in picks.items()}
    except ValueError:
        return error("picks maps a turn's number to the words it must hear", 400)

    def work(page: Page) -> Response:
        exchanges = page.recording if page.recording is not None else page.recorded
        try:
            text = dump(script_of(name.strip(), page.device.locale, exchanges, chosen))
        except ScriptError as exc:
            return error(str(exc), 400)
        filename = slug(name) + ".yaml"
        saved: str | None = None
        if body.get("save"):
            folder = current_app.config.get(CONFIG_DIALOGS)
            if not folder:
                return error("this simulator was started without a folder to save into", 400)
            path = Path(folder) / filename
            if path.exists():
                return error(f"{path} exists: choose another name", 409)
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
