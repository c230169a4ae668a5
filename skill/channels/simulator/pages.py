"""The simulator's open pages and what each talks to: its settings, its device, its store.

Keys of the app's config that the simulator reads are here, with the way each falls back
to the skill's own (``lambda_handler``, the process's store and content).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from skill.channels.echo import default_user_id
from skill.channels.simulator.device import Device, Exchange, Handler
from skill.channels.web.app import CONFIG_SKILL_HANDLER

if TYPE_CHECKING:
    from skill.core.program import Catalog
    from skill.store.base import ProgressStore

CONFIG_STORE = "SIMULATOR_STORE"  # the ProgressStore behind SKILL_HANDLER (default: the skill's)
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
EXTENSION = "ally_coach_simulator"


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


def pages() -> Pages:
    found: Pages = current_app.extensions[EXTENSION]
    return found


def handler() -> Handler:
    configured: Handler | None = current_app.config.get(CONFIG_SKILL_HANDLER)
    if configured is not None:
        return configured
    from skill.lambda_function import lambda_handler

    return lambda_handler


def store() -> ProgressStore:
    configured: ProgressStore | None = current_app.config.get(CONFIG_STORE)
    if configured is not None:
        return configured
    # The very store lambda_handler's turns save to, so what the page shows is what the
    # skill will read.
    from skill.service.factory import get_store

    return get_store()


def catalog() -> Catalog:
    """The programs the skill speaks: the same content lambda_handler's turns use."""
    from skill.service.factory import get_service

    return get_service().catalog


def new_device(user_id: str, locale: str) -> Device:
    from skill.config import get_settings

    return Device(handler(), user_id, locale, application_id=get_settings().skill_id)


def default_user() -> str:
    configured: str | None = current_app.config.get(CONFIG_USER)
    if configured:
        return configured
    # The same person as in the terminal chat, so both see one progress.
    return default_user_id()
