"""The zip's bytecode: compiled by an interpreter of the Lambda runtime's version.

Lambda unpacks the zip into a read-only ``/var/task``, so Python cannot cache the
bytecode it compiles: without ``.pyc`` files in the zip, every cold start compiles every
module it imports, about three times the cost of a start from bytecode (bench/README.md).
So the build compiles each module with an interpreter of the runtime's version
(``$SKILL_BYTECODE_PYTHON``, the one running the build, ``python3.X`` on the PATH, or
pyenv's: see ``bytecode_interpreter``) into unchecked-hash ``.pyc`` files (PEP 552: used
as they are, whatever the file times after unzipping), and says which one.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from skill.tools.zipfiles import BuildError, Built

# Where Lambda unpacks the zip: names in tracebacks point at the deployed files.
LAMBDA_TASK_ROOT = "/var/task"

# Run by the runtime's interpreter: stdin is [[source, pyc, display name], ...]. Only
# the standard library, so any CPython of the version will do.
_COMPILE = """
import json, py_compile, sys
for source, target, shown in json.load(sys.stdin):
    py_compile.compile(source, cfile=target, dfile=shown, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


# An interpreter to compile the zip's bytecode with, when the one to use is known; it
# must be of the runtime's version.
BYTECODE_PYTHON_ENV = "SKILL_BYTECODE_PYTHON"
PYENV_ROOT_ENV = "PYENV_ROOT"


class Compiler(NamedTuple):
    """The interpreter that compiles a zip's bytecode."""

    path: str
    tag: str  # sys.implementation.cache_tag, "cpython-312"
    version: str  # the full version, "3.12.1"
    found: str  # where it was found, for the build's output

    def describe(self) -> str:
        return f"{self.path} (Python {self.version}, {self.found})"


def _probe(interpreter: str, python: str) -> tuple[str, str] | None:
    """The interpreter's full version and cache tag if it runs and is version ``python``."""
    probe = (
        "import platform, sys; "
        "print('%d.%d' % sys.version_info[:2], platform.python_version(), "
        "sys.implementation.cache_tag)"
    )
    try:
        result = subprocess.run(
            [interpreter, "-I", "-c", probe], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = result.stdout.split()
    # A pyenv shim, say, exists for versions that are not selected and then fails.
    if result.returncode != 0 or len(found) != 3 or found[0] != python:
        return None
    return found[1], found[2]


def pyenv_roots(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Where pyenv keeps its versions: ``$PYENV_ROOT``, ``pyenv root``, ``~/.pyenv``."""
    roots: list[Path] = []
    if environ.get(PYENV_ROOT_ENV):
        roots.append(Path(environ[PYENV_ROOT_ENV]))
    pyenv = shutil.which("pyenv", path=environ.get("PATH"))
    if pyenv:
        try:
            said = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            said = None
        if said is not None and said.returncode == 0 and said.stdout.strip():
            roots.append(Path(said.stdout.strip()))
    roots.append(Path("~/.pyenv").expanduser())
    unique: list[Path] = []
    for root in roots:
        if root not in unique and (root / "versions").is_dir():
            unique.append(root)
    return unique


def _patch(name: str, python: str) -> int | None:
    """The patch number of a pyenv version named ``name`` if it is CPython ``python``:
    ``"3.12.1"`` -> 1 for 3.12; None for other versions and for builds such as
    ``3.12.1t`` or ``3.12-dev``."""
    if name == python:
        return 0
    prefix, _, patch = name.rpartition(".")
    return int(patch) if prefix == python and patch.isdigit() else None


def pyenv_interpreters(python: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The ``python3.X`` binaries of pyenv's versions of ``python``, newest patch first."""
    found: list[tuple[int, str]] = []
    for root in pyenv_roots(environ):
        for version in (root / "versions").iterdir():
            patch = _patch(version.name, python)
            binary = version / "bin" / f"python{python}"
            if patch is not None and binary.is_file():
                found.append((patch, str(binary)))
    return [path for _, path in sorted(found, key=lambda item: -item[0])]


def bytecode_interpreter(python: str, environ: Mapping[str, str] = os.environ) -> Compiler | None:
    """An interpreter of version ``python`` (``3.12``) to compile the bytecode with.

    ``$SKILL_BYTECODE_PYTHON`` if set (it must be that version); else this interpreter if
    it is; else ``python3.12`` on the PATH; else pyenv's newest 3.12 (a pyenv shim on the
    PATH runs only the versions pyenv has selected, so the versions' own binaries are
    looked up). None when there is none.
    """
    chosen = environ.get(BYTECODE_PYTHON_ENV)
    if chosen:
        probed = _probe(chosen, python)
        if probed is None:
            raise BuildError(
                f"{BYTECODE_PYTHON_ENV}={chosen} is not a Python {python} interpreter that runs"
            )
        return Compiler(chosen, probed[1], probed[0], f"from ${BYTECODE_PYTHON_ENV}")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python:
        version = ".".join(str(part) for part in sys.version_info[:3])
        return Compiler(sys.executable, sys.implementation.cache_tag, version, "this interpreter")
    candidates = [(path, "pyenv") for path in pyenv_interpreters(python, environ)]
    on_path = shutil.which(f"python{python}", path=environ.get("PATH"))
    if on_path:
        candidates.insert(0, (on_path, "on the PATH"))
    for path, found in candidates:
        probed = _probe(path, python)
        if probed is not None:
            return Compiler(path, probed[1], probed[0], found)
    return None


def compile_bytecode(
    files: Mapping[str, Path], interpreter: str, tag: str, work: Path
) -> dict[str, Path]:
    """Compile every ``.py`` entry with ``interpreter``; the ``.pyc`` entries to add."""
    jobs: list[list[str]] = []
    added: dict[str, Path] = {}
    for arcname, source in sorted(files.items()):
        if not arcname.endswith(".py"):
            continue
        folder, name = posixpath.split(arcname)
        entry = posixpath.join(folder, "__pycache__", f"{name[:-3]}.{tag}.pyc")
        target = work / entry
        jobs.append([str(source), str(target), posixpath.join(LAMBDA_TASK_ROOT, arcname)])
        added[entry] = target
    result = subprocess.run(
        [interpreter, "-I", "-c", _COMPILE],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"compiling bytecode failed:\n{result.stderr[-2000:]}")
    return added


def report_bytecode(built: Built, python: str | None, skipped: bool) -> None:
    """Say which interpreter compiled the bytecode, or warn that there is none."""
    if built.compiler is not None:
        print(
            f"Compiled bytecode ({built.compiler.tag}) for every module with "
            f"{built.compiler.describe()}."
        )
    elif not skipped:
        wanted = f"python{python}" if python else "this interpreter's version"
        print(
            f"warning: no {wanted} here to compile bytecode with (looked at "
            f"${BYTECODE_PYTHON_ENV}, the PATH and pyenv's versions): the zip holds source "
            "only, and each cold start compiles what it imports (about 3x slower). Install "
            f"{wanted} (pyenv install), or set {BYTECODE_PYTHON_ENV} to one.",
            file=sys.stderr,
        )
