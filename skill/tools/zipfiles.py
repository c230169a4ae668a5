"""What goes into a Lambda zip, and writing it so that the same files give the same bytes.

The project's own directories (``skill``, ``templates``, ``interaction_model``) at the zip
root beside the installed dependencies, without caches, compiled files, hidden files or
what a profile leaves out; every reply the dialog can give rendered ahead
(``prerendered_files``, kept under build/ by the digest of the sources); entries sorted
and timestamps fixed.
"""

from __future__ import annotations

import csv
import hashlib
import os
import posixpath
import shutil
import stat
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skill.paths import ROOT

if TYPE_CHECKING:
    from skill.tools.bytecode import Compiler

# The project's own directories that the running skill needs, copied to the zip root.
PROJECT_DIRS = ("skill", "templates", "interaction_model")
PRERENDERED = "_prerendered"  # under templates/, as skill.speech.render.PRERENDERED_DIR

# The text channels' ear: the chat's and the phone line's resolver, its safety check and
# its classifier. Alexa does its own NLU, so the Alexa Lambda never imports them, and the
# zip leaves them out (numbers.py stays: the Alexa intents read slot numbers with it).
TEXT_CHANNELS_ONLY = "skill/understanding/"
TEXT_CHANNELS_KEPT = frozenset(
    {"skill/understanding/__init__.py", "skill/understanding/numbers.py"}
)
TEXT_CHANNELS_ENTRY = "skill/nlu.py"
CORPUS = "interaction_model/corpus/"

# The zip format cannot store times before 1980; any fixed time makes builds repeatable.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """The package could not be built; the message says why."""


@dataclass(frozen=True)
class Built:
    """What went into a zip."""

    entries: tuple[str, ...]
    unpacked_bytes: int
    bytecode: str | None = None  # the cache tag of the .pyc files, if any (cpython-312)
    compiler: Compiler | None = None  # the interpreter that compiled them


def _distribution_name(dist_info: str) -> str:
    """``"python_dateutil-2.9.0.dist-info"`` -> ``"python-dateutil"`` (normalised)."""
    name = dist_info.removesuffix(".dist-info").rsplit("-", 1)[0]
    return name.lower().replace("_", "-").replace(".", "-")


def distribution_files(target: Path, names: Collection[str]) -> set[str]:
    """Paths (relative to pip's ``--target``) of the files that installed ``names``.

    Read from each distribution's RECORD, which lists every file that pip wrote for it.
    """
    wanted = {name.lower().replace("_", "-") for name in names}
    paths: set[str] = set()
    for dist_info in sorted(target.glob("*.dist-info")):
        if _distribution_name(dist_info.name) not in wanted:
            continue
        with (dist_info / "RECORD").open(newline="", encoding="utf-8") as record:
            for row in csv.reader(record):
                if row:
                    paths.add(posixpath.normpath(row[0]))
    return paths


def _wanted(relative: Path) -> bool:
    """Whether a file belongs in the zip: no caches, compiled files or hidden files.

    A pre-rendered table left in the checkout is not taken either: the build renders its
    own from the templates it packs, so the two cannot disagree. Nor is the ear's corpus:
    it is what the heads were trained from, at build time; the heads are shipped."""
    if any(part in ("__pycache__", PRERENDERED) or part.startswith(".") for part in relative.parts):
        return False
    if relative.as_posix().startswith(CORPUS):
        return False
    return relative.suffix not in {".pyc", ".pyo"}


def for_text_channels_only(arcname: str) -> bool:
    """Whether a project file is the text channels' ear, which the Alexa zip leaves out."""
    if arcname == TEXT_CHANNELS_ENTRY:
        return True
    return arcname.startswith(TEXT_CHANNELS_ONLY) and arcname not in TEXT_CHANNELS_KEPT


def collect_files(
    root: Path,
    dependencies: Path | None,
    *,
    leave_out: Collection[str] = (),
    text_channels: bool = False,
    project_leave_out: tuple[str, ...] = (),
) -> dict[str, Path]:
    """Map each zip entry name to the file it is made from.

    ``dependencies`` is pip's ``--target`` directory; its ``bin/`` (console scripts whose
    first line names the build machine's interpreter) is of no use on Lambda, nor are
    the files of the distributions named in ``leave_out``. The text channels' ear is
    left out unless ``text_channels`` (the phone line's zip needs it; Alexa's does not),
    and so are the project's files under ``project_leave_out`` (path prefixes).
    """
    files: dict[str, Path] = {}
    if dependencies is not None:
        skipped = distribution_files(dependencies, leave_out)
        for path in sorted(dependencies.rglob("*")):
            relative = path.relative_to(dependencies)
            arcname = relative.as_posix()
            if arcname in skipped or relative.parts[0] == "bin":
                continue
            if path.is_file() and _wanted(relative):
                files[arcname] = path
    for name in PROJECT_DIRS:
        directory = root / name
        if not directory.is_dir():
            raise BuildError(f"{directory} is missing; the skill cannot run without it")
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(root)
            if not (path.is_file() and _wanted(relative)):
                continue
            arcname = relative.as_posix()
            if not text_channels and for_text_channels_only(arcname):
                continue
            if project_leave_out and arcname.startswith(project_leave_out):
                continue
            if arcname in files:
                # A dependency shipping a top-level "skill" (or "templates") would be
                # silently shadowed, or shadow ours; refuse rather than guess.
                raise BuildError(f"{arcname} comes both from a dependency and the project")
            files[arcname] = path
    return files


def _sources_digest() -> str:
    """What the rendered tables depend on: the templates and the skill's code."""
    digest = hashlib.sha256()
    sources = [p for p in (ROOT / "templates").rglob("*") if PRERENDERED not in p.parts]
    sources += list((ROOT / "skill").rglob("*.py"))
    for path in sorted(p for p in sources if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def prerendered_files(out_dir: Path) -> dict[str, Path]:
    """Every reply rendered ahead (``skill.speech.prerender``), so a cold start needs no
    Jinja2: the zip entries, from ``prerendered_tables``."""
    cache = prerendered_tables(out_dir)
    return {
        f"templates/{PRERENDERED}/{path.relative_to(cache).as_posix()}": path
        for path in sorted(cache.rglob("*.json"))
    }


def prerendered_tables(out_dir: Path) -> Path:
    """The folder of every locale's rendered tables for the sources as they are.

    Rendering them walks every state of the dialog (half a minute); the result depends only
    on the templates and the code, so it is kept under build/ by their digest and reused
    by the next build (and test run) of the same sources. Without a writable build/ the
    tables are rendered into ``out_dir``.
    """
    from skill.speech.prerender import build as prerender

    cache = ROOT / "build" / "prerendered" / _sources_digest()
    if not (cache / ".complete").exists():
        try:
            fresh = cache.with_name(f"{cache.name}.{os.getpid()}")
            shutil.rmtree(fresh, ignore_errors=True)
            prerender(fresh)
            (fresh / ".complete").write_text("", encoding="utf-8")
            try:
                fresh.rename(cache)
            except OSError:  # another build finished the same tables first
                shutil.rmtree(fresh, ignore_errors=True)
        except OSError:  # no writable build/: render into the build's own folder
            prerender(out_dir)
            cache = out_dir
    return cache


def write_zip(files: Mapping[str, Path], out: Path) -> None:
    """Write ``files`` to ``out`` so that the same files always give the same bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for arcname in sorted(files):
            source = files[arcname]
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so that the permission bits below are read
            executable = source.stat().st_mode & stat.S_IXUSR
            mode = 0o755 if executable else 0o644  # readable by Lambda's runtime user
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    # Replace the old zip only once the new one is whole.
    os.replace(partial, out)


def human_size(size: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
