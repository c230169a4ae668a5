"""The Jinja2 side of speech: one environment over ``templates/`` with locale fallback.

Imported only when something has to be rendered, so a process whose replies are all
pre-rendered (a Lambda cold start, see ``skill.speech.prerender``) never pays for Jinja2.
"""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Callable
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

from skill.speech.render import NEUTRAL_LOCALE, TEMPLATES_DIR


class LocaleLoader(BaseLoader):
    """Loads ``<locale>/<name>`` from the locale's folder, else from its language's, else
    from the default language's: a locale without templates of its own never fails to
    find one (``skill.speech.render.speech_locale`` says which locale to ask for)."""

    def __init__(self, root: Path) -> None:
        self._files = FileSystemLoader(str(root))

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        locale, _, name = template.partition("/")
        language = locale.split("-")[0]
        for folder in dict.fromkeys((locale, language, NEUTRAL_LOCALE)):
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


def build_environment(root: Path | None = None) -> Environment:
    root = root or TEMPLATES_DIR
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
