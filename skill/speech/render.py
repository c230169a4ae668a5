"""Turning a ``Reply`` into words: SSML for speech and plain text for cards.

Templates live under ``templates/<language>/`` with overrides in ``templates/<locale>/``
(en-GB over en); ``skill.speech.templating`` holds the one Jinja2 environment, built on first use.

Rendering is a pure function of (locale, view, data, card), and the dialog can only say
so many things. So replies are rendered ahead at build time into a table per locale
(``skill.speech.prerender``) that this module reads without importing Jinja2, and whatever is not
in it (a slot word no one foresaw) is rendered on demand and kept in a cache bounded by
its size in characters as well as its number of entries. bench/README.md has the numbers.

Any request locale can be spoken: one of the skill's locales as it is, any other
(de-DE, ja-JP, a typo) in the language-neutral English of ``templates/en/``, which is
what en-US says too, but with "your local emergency number" instead of a number that
would be wrong in most countries. Text values are stripped of what SSML cannot carry
(control characters, lone surrogates, U+FFFE/U+FFFF) before any template sees them.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from skill.config import DEFAULT_LOCALE, LOCALES
from skill.digest import sha256
from skill.paths import TEMPLATES_DIR

if TYPE_CHECKING:
    from jinja2 import Environment

# Written at build time by ``python -m skill prerender``, one JSON table per locale and
# view (``en-US/welcome.json``) so a cold start parses only what it says; absent in a
# checkout.
PRERENDERED = "_prerendered"
PRERENDERED_DIR = TEMPLATES_DIR / PRERENDERED
# Templates of the language alone (templates/en/): for locales the skill does not have.
NEUTRAL_LOCALE = DEFAULT_LOCALE.split("-")[0]
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,?!;:])")
RENDER_CACHE_SIZE = 1024  # distinct (locale, view, data) replies at most
RENDER_CACHE_CHARS = 2_000_000  # and at most this many characters in all (keys included)
_LOCALES = {locale.lower(): locale for locale in LOCALES}
# What XML 1.0 (and so SSML) cannot carry, plus the C1 controls and U+FFFE/U+FFFF that it
# can but no voice reads: stripped from every text value before rendering.
_UNSPEAKABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class Rendered(NamedTuple):  # not a dataclass: see skill.core.dialog
    speech: str | None  # SSML without the <speak> wrapper; None for silence
    reprompt: str | None
    card_title: str | None = None
    card_text: str | None = None
    # A practice played as one piece (a reply with ``piece`` in its data): its timeline,
    # SSML whose breaks are its silences, of any length (skill.speech.timeline). ``speech``
    # is then the same piece for a device that plays SSML alone.
    timeline: str | None = None


def speech_locale(locale: str | None) -> str:
    """The templates to speak a request's locale with: the skill's own locale (any letter
    case), or the language-neutral ones for anything else, missing included."""
    if isinstance(locale, str):
        known = _LOCALES.get(locale.strip().lower())
        if known:
            return known
    return NEUTRAL_LOCALE


def speakable(text: str) -> str:
    """``text`` without the characters SSML cannot carry."""
    return _UNSPEAKABLE.sub("", text)


def _speakable_data(data: Mapping[str, Any]) -> Mapping[str, Any]:
    if not any(isinstance(value, str) and _UNSPEAKABLE.search(value) for value in data.values()):
        return data
    return {k: speakable(v) if isinstance(v, str) else v for k, v in data.items()}


class _SizedCache:
    """Least recently used replies, bounded by entries and by characters held: a flood of
    long, distinct slot values cannot grow the process's memory past the bound."""

    def __init__(self, entries: int, chars: int) -> None:
        self.max_entries = entries
        self.max_chars = chars
        self.chars = 0
        self._items: OrderedDict[tuple[str, str], tuple[Rendered, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.chars = 0

    def get(self, key: tuple[str, str]) -> Rendered | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: tuple[str, str], rendered: Rendered) -> None:
        size = len(key[0]) + len(key[1]) + sum(len(part or "") for part in rendered)
        if size > self.max_chars or self.max_entries <= 0:
            return  # larger than the whole cache: not worth evicting everything for
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.chars -= old[1]
            self._items[key] = (rendered, size)
            self.chars += size
            while len(self._items) > self.max_entries or self.chars > self.max_chars:
                _, (_, dropped) = self._items.popitem(last=False)
                self.chars -= dropped


def _tidy(text: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def _tidy_lines(text: str) -> str:
    lines = [_tidy(line) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class Speech:
    """Renders views. Each view template defines macros ``speech`` and ``reprompt``;
    each card template defines ``title`` and ``text``.

    Rendering is a pure function of (locale, view, data, card). So a reply is looked up
    first among those pre-rendered at build time (``skill.speech.prerender``), then among the
    ones this process rendered recently, and only then rendered through Jinja2.
    """

    def __init__(
        self,
        environment: Environment | None = None,
        cache_size: int = RENDER_CACHE_SIZE,
        prerendered_dir: Path | None = PRERENDERED_DIR,
        root: Path = TEMPLATES_DIR,
        cache_chars: int = RENDER_CACHE_CHARS,
    ) -> None:
        self._env = environment
        self._root = root
        self.cache = _SizedCache(cache_size, cache_chars)
        self._prerendered_dir = prerendered_dir
        self._prerendered: dict[tuple[str, str], dict[str, list[str | None]]] = {}

    @property
    def root(self) -> Path:
        """The content folder the templates are read from."""
        return self._root

    @property
    def env(self) -> Environment:
        if self._env is None:
            from skill.speech.templating import build_environment

            self._env = build_environment(self._root)
        return self._env

    def render(
        self,
        locale: str | None,
        view: str | None,
        data: Mapping[str, Any],
        card: str | None = None,
    ) -> Rendered:
        if view is None:
            return Rendered(None, None)
        locale = speech_locale(locale)
        data = _speakable_data(data)
        try:
            key = reply_key(view, data, card)
        except TypeError:  # a value that cannot be a key: render it every time
            return self.render_now(locale, view, data, card)
        stored = self._table(locale, view).get(key)
        if stored is not None:
            return Rendered(*stored)
        cached = self.cache.get((locale, key))
        if cached is None:
            cached = self.render_now(locale, view, data, card)
            self.cache.put((locale, key), cached)
        return cached

    def names(self) -> tuple[frozenset[str], frozenset[str]]:
        """The views and the cards the templates have, in any locale."""
        return template_names(self._root)

    def _table(self, locale: str, view: str) -> dict[str, list[str | None]]:
        table = self._prerendered.get((locale, view))
        if table is None:
            table = {}
            if view not in self.names()[0]:
                # No such view (a forged name): nothing to look up, and nothing kept, so
                # made-up names cannot grow this dict.
                return table
            if self._prerendered_dir is not None:
                path = self._prerendered_dir / locale / f"{view}.json"
                try:
                    stored = json.loads(path.read_bytes())
                except (OSError, ValueError):
                    stored = {}  # no table for this view: render on demand
                # A table from other templates (edited since) would say old words.
                if stored.get("templates") == templates_digest(self._root):
                    table = stored["replies"]
            self._prerendered[(locale, view)] = table
        return table

    def render_now(
        self, locale: str, view: str, data: Mapping[str, Any], card: str | None = None
    ) -> Rendered:
        """Render through the templates, with no cache. ``locale`` names a template folder
        (``speech_locale`` makes one of any request locale)."""
        # ``v``, the variant (skill.core.dialog.VARIANTS), is 0 for replies made elsewhere.
        context = {"locale": locale, "v": 0, **data}
        # Template modules expose the macros a template defines; mypy cannot see them.
        module: Any = self.env.get_template(f"{locale}/views/{view}.ssml.j2").make_module(context)
        speech = _tidy(str(module.speech()))
        reprompt_macro = getattr(module, "reprompt", None)
        reprompt = _tidy(str(reprompt_macro())) if reprompt_macro else None
        pace, room = data.get("pace") or 0, data.get("room") or 0
        timeline = None
        if data.get("piece"):
            from skill.speech.pacing import paced
            from skill.speech.timeline import chained, fit

            timeline = fit(paced(speech, pace, room, cap=None) or speech, pace)
            speech = chained(timeline)
            reprompt = paced(reprompt, pace, room)
        elif pace or room:
            from skill.speech.pacing import paced

            speech = paced(speech, pace, room) or speech
            reprompt = paced(reprompt, pace, room)
        title = text = None
        if card:
            card_module: Any = self.env.get_template(f"{locale}/cards/{card}.txt.j2").make_module(
                context
            )
            title = _tidy(str(card_module.title()))
            text = _tidy_lines(str(card_module.text()))
        return Rendered(speech, reprompt or None, title, text, timeline)


def template_files(root: Path = TEMPLATES_DIR) -> list[str]:
    """Every template and program file under ``root``, as sorted POSIX paths relative to it."""
    found: list[str] = []
    # os.walk, not Path.rglob: this runs on a cold start, and rglob is several times slower.
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(("_", "."))]
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.extend(prefix + name for name in files if name.endswith((".j2", ".json")))
    return sorted(found)


_VIEW_SUFFIX = ".ssml.j2"
_CARD_SUFFIX = ".txt.j2"


@lru_cache(maxsize=4)
def template_names(root: Path = TEMPLATES_DIR) -> tuple[frozenset[str], frozenset[str]]:
    """The names of the views (``<locale>/views/<name>.ssml.j2``) and the cards
    (``<locale>/cards/<name>.txt.j2``) under ``root``."""
    views: set[str] = set()
    cards: set[str] = set()
    for name in template_files(root):
        parts = name.split("/")
        if len(parts) != 3 or parts[2].startswith("_"):
            continue
        if parts[1] == "views" and parts[2].endswith(_VIEW_SUFFIX):
            views.add(parts[2].removesuffix(_VIEW_SUFFIX))
        elif parts[1] == "cards" and parts[2].endswith(_CARD_SUFFIX):
            cards.add(parts[2].removesuffix(_CARD_SUFFIX))
    return frozenset(views), frozenset(cards)


@lru_cache(maxsize=1)
def templates_digest(root: Path = TEMPLATES_DIR) -> str:
    """A digest of every template's source, to tell a pre-rendered table is current."""
    digest = sha256()
    base = os.fspath(root)
    for name in template_files(root):
        digest.update(name.encode() + b"\0")
        with open(os.path.join(base, name), "rb") as source:
            digest.update(source.read() + b"\0")
    return digest.hexdigest()


_SCALARS = (str, int, float, bool, type(None))


def reply_key(view: str, data: Mapping[str, Any], card: str | None) -> str:
    """A reply's key: JSON keeps types apart (True and 1 render differently)."""
    for name, value in data.items():
        if not isinstance(value, _SCALARS):
            raise TypeError(name)
    plain = data if isinstance(data, dict) else dict(data)
    return json.dumps([view, card, plain], sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=1)
def get_speech() -> Speech:
    """The process's renderer; templates compile on first use and stay cached."""
    return Speech()
