"""The programs the content describes: ``templates/<lang>/programs/<id>/program.json``.

Adding a program is adding a folder: its ``program.json`` (steps, what starts it, what it
offers next) and one template per step, beside a ``_program.ssml.j2`` that says how the
generic views talk about it. ``python -m skill content --check`` validates them all.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from skill.core.program import Catalog, ContentError, Program
from skill.paths import TEMPLATES_DIR

PROGRAMS = "programs"
PROGRAM_FILE = "program.json"
DEFAULT_LANGUAGE = "en"
LAST = 1_000_000  # programs without an "order" come after those with one


def program_files(root: Path, language: str = DEFAULT_LANGUAGE) -> list[Path]:
    folder = os.path.join(root, language, PROGRAMS)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [Path(folder, name, PROGRAM_FILE) for name in names if not name.startswith((".", "_"))]


def load_catalog(root: Path = TEMPLATES_DIR, language: str = DEFAULT_LANGUAGE) -> Catalog:
    """Every program under ``root``, ordered by their ``order`` (the first is the main one).

    Raises ContentError when a program's content cannot be walked, so a broken program
    fails a build or a start instead of a user's session.
    """
    found: list[tuple[int, Program]] = []
    for path in program_files(root, language):
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            continue  # a folder of templates shared by programs, not a program
        except ValueError as exc:
            raise ContentError(f"{path}: not valid JSON: {exc}") from exc
        program = Program.from_dict(data)
        if program.id != path.parent.name:
            raise ContentError(f"{path}: its id {program.id!r} is not its folder's name")
        found.append((int(data.get("order", LAST)), program))
    catalog = Catalog(tuple(program for _, program in sorted(found, key=lambda f: f[0])))
    problems = catalog.problems()
    if problems:
        raise ContentError(f"{root}: " + "; ".join(problems))
    return catalog


@lru_cache(maxsize=4)
def get_catalog(root: Path = TEMPLATES_DIR) -> Catalog:
    """The catalog of this process, read once."""
    return load_catalog(root)
