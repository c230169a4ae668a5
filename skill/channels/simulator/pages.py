"""The simulator's open pages and what each talks to: its settings, its device, its store.

Keys of the app's config that the simulator reads are here, with the way each falls back
to the skill's own (``lambda_handler``, the process's store and content).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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
MAX_PAGES = 64  # pages kept at once; beyond that, an idle one is let go (its session ended)
# A page that called the API this recently is in use: no new page takes its place.
PAGE_IDLE_SECONDS = 300.0
MAX_TEXT_CHARS = 500
MAX_BODY_BYTES = 64 * 1024
DEFAULT_PORT = 5001
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
    used: float = 0.0  # when it last called the API (Pages' clock); 0: never


class PagesInUse(Exception):
    """Every page kept is in use: a new one would push out a page someone is using."""


class Pages:
    """The open pages by token, least recently used first. A page in use (one that called
    the API in the last ``idle_seconds``) is never let go for a new one: loading pages,
    even many, cannot take the page someone is talking through."""

    def __init__(
        self,
        limit: int = MAX_PAGES,
        idle_seconds: float = PAGE_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, page: Page) -> None:
        """Keep a new page; ``PagesInUse`` when that would let go of a page in use."""
        with self._lock:
            dropped = []
            idle_since = self.clock() - self.idle_seconds
            while len(self._pages) >= self.limit:
                oldest = next(iter(self._pages.values()))
                if oldest.used and oldest.used > idle_since:
                    raise PagesInUse(f"{len(self._pages)} pages in use")
                dropped.append(self._pages.popitem(last=False)[1])
            self._pages[page.token] = page
        for old in dropped:
            with old.lock:
                old.device.leave()  # its last chance to save what the session holds

    def get(self, token: str | None) -> Page | None:
        """The page of ``token``, marked as in use now."""
        if not token:
            return None
        with self._lock:
            page = self._pages.get(token)
            if page is not None:
                page.used = self.clock()
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
