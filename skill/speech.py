"""Turning a ``Reply`` into words: SSML for speech and plain text for cards.

One Jinja2 environment per process, built on first use. Templates live under
``templates/<language>/`` with overrides in ``templates/<locale>/`` (en-GB over en):
a template asked for as ``en-GB/views/tip.ssml.j2`` is taken from ``templates/en-GB/``
when it exists there and from ``templates/en/`` otherwise, and names a template imports
resolve the same way, so a locale overrides only the files that differ.

Two caches keep rendering cheap (bench/README.md has the numbers). Compiled templates are
kept on disk the way Python keeps ``.pyc`` files, so a new process skips Jinja's compiler.
And rendering is a pure function of (locale, view, data, card), so each Speech remembers
its recent results: most turns say something already said to someone.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_LOCALE = "en-US"
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,?!;:])")
RENDER_CACHE_SIZE = 1024  # distinct (view, data) pairs; a few MB at most


@dataclass(frozen=True)
class Rendered:
    speech: str | None  # SSML without the <speak> wrapper; None for silence
    reprompt: str | None
    card_title: str | None = None
    card_text: str | None = None


class LocaleLoader(BaseLoader):
    """Loads ``<locale>/<name>`` from the locale's folder, else from its language's."""

    def __init__(self, root: Path) -> None:
        self._files = FileSystemLoader(str(root))

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        locale, _, name = template.partition("/")
        language = locale.split("-")[0]
        for folder in dict.fromkeys((locale, language)):
            try:
                return self._files.get_source(environment, f"{folder}/{name}")
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)


class LocaleEnvironment(Environment):
    def join_path(self, template: str, parent: str) -> str:
        # Imports inside a template name files relative to the locale root.
        if template.startswith("/"):
            return template.lstrip("/")
        locale = parent.partition("/")[0]
        return posixpath.join(locale, template)


class TemplateBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates on disk, so a new process (a cold start) does not compile them.

    Like Python's own bytecode: beside the sources in ``__pycache__`` (or under
    PYTHONPYCACHEPREFIX), written only when Python would write ``.pyc`` files, and never
    an error when it cannot be written (a read-only install compiles in memory). Jinja
    checks each entry against a checksum of its source and the Python version.
    """

    def __init__(self, root: Path) -> None:
        if sys.pycache_prefix:
            directory = Path(sys.pycache_prefix).joinpath(*root.resolve().parts[1:])
        else:
            directory = root / "__pycache__"
        super().__init__(str(directory), "jinja2-%s.cache")

    def dump_bytecode(self, bucket: Any) -> None:
        if sys.dont_write_bytecode:
            return
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def build_environment(root: Path = TEMPLATES_DIR) -> Environment:
    return LocaleEnvironment(
        loader=LocaleLoader(root),
        bytecode_cache=TemplateBytecodeCache(root),
        # SSML is XML: every value put into speech is escaped; card text is plain.
        autoescape=select_autoescape(enabled_extensions=("ssml.j2",), default=False),
        undefined=StrictUndefined,
        # Whitespace is normalised after rendering, so block tags may sit on their own lines
        # without gluing sentences together.
        trim_blocks=False,
        lstrip_blocks=False,
        auto_reload=False,
        keep_trailing_newline=False,
    )


def _tidy(text: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def _tidy_lines(text: str) -> str:
    lines = [_tidy(line) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class Speech:
    """Renders views. Each view template defines macros ``speech`` and ``reprompt``;
    each card template defines ``title`` and ``text``."""

    def __init__(
        self, environment: Environment | None = None, cache_size: int = RENDER_CACHE_SIZE
    ) -> None:
        self.env = environment or build_environment()
        self._cached = lru_cache(maxsize=cache_size)(self._render_frozen)

    def render(
        self, locale: str, view: str | None, data: Mapping[str, Any], card: str | None = None
    ) -> Rendered:
        if view is None:
            return Rendered(None, None)
        locale = locale or DEFAULT_LOCALE
        try:
            key = _freeze(data)
        except TypeError:  # a value that cannot be a cache key: render it every time
            return self._render(locale, view, data, card)
        result: Rendered = self._cached(locale, view, key, card)
        return result

    def _render_frozen(
        self, locale: str, view: str, key: tuple[Any, ...], card: str | None
    ) -> Rendered:
        return self._render(locale, view, _thaw(key), card)

    def _render(
        self, locale: str, view: str, data: Mapping[str, Any], card: str | None
    ) -> Rendered:
        context = {"locale": locale, **data}
        # Template modules expose the macros a template defines; mypy cannot see them.
        module: Any = self.env.get_template(f"{locale}/views/{view}.ssml.j2").make_module(context)
        speech = _tidy(str(module.speech()))
        reprompt_macro = getattr(module, "reprompt", None)
        reprompt = _tidy(str(reprompt_macro())) if reprompt_macro else None
        title = text = None
        if card:
            card_module: Any = self.env.get_template(f"{locale}/cards/{card}.txt.j2").make_module(
                context
            )
            title = _tidy(str(card_module.title()))
            text = _tidy_lines(str(card_module.text()))
        return Rendered(speech, reprompt or None, title, text)


_SCALARS = (str, int, float, bool, type(None))


def _freeze(data: Mapping[str, Any]) -> tuple[Any, ...]:
    """A hashable key for ``data`` that keeps types apart (True and 1 render differently)."""
    items = []
    for name, value in data.items():
        if not isinstance(value, _SCALARS):
            raise TypeError(name)
        items.append((name, type(value), value))
    return tuple(sorted(items, key=lambda item: item[0]))


def _thaw(key: tuple[Any, ...]) -> dict[str, Any]:
    return {name: value for name, _, value in key}


@lru_cache(maxsize=1)
def get_speech() -> Speech:
    """The process's renderer; templates compile on first use and stay cached."""
    return Speech()
