"""Cold starts from the unpacked ``build-lambda`` zip, on the runtime's Python version.

What Lambda runs is the zip, not the repository: its dependencies, its pre-rendered
replies and its bytecode, compiled by an interpreter of the runtime's version. So the
benchmark builds the zip (``skill.tools.packaging.build``, from the committed lock, for
this machine's architecture), unpacks it into a task directory (Lambda's ``/var/task``)
and starts each run with that version's interpreter in isolation (``-I -S -B``: no
environment, no site-packages, nothing written), its path the task directory and the
standard library only, as the runtime's is.

The hello world runs from the same tree (it needs ask-sdk from there), its one module
compiled beside it by the same interpreter, so both skills start from bytecode, or both
from source: the "no .pyc" tree is the same files with every ``__pycache__`` left out,
which is what a zip built without bytecode holds.
"""

from __future__ import annotations

import os
import platform
import shutil
import zipfile
from pathlib import Path
from typing import Any

from bench.cold import PATH_ENV
from bench.measure import ROOT

# bench.cold's clock and report, run as a script from a folder of its own.
RUNNER = ROOT / "bench" / "cold.py"
HELLO = ROOT / "bench" / "hello_world.py"
# The handler modules as the trees hold them: the hello world's file sits at its top.
MODULES = {"ally_coach": "skill.lambda_function", "hello_world": HELLO.stem}
# Lambda's architecture for this machine, so that the zip's compiled wheels load here.
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def host_arch() -> str | None:
    return HOST_ARCH.get(platform.machine().lower())


class ZipTrees:
    """The unpacked zip with and without bytecode, the hello world, and the interpreter."""

    def __init__(self, root: Path, python: str, interpreter: str, described: str) -> None:
        self.root = root
        self.python = python
        self.interpreter = interpreter
        self.described = described
        self.task = root / "task"
        self.task_source = root / "task-source"
        self.hello = root / "hello"
        self.hello_source = root / "hello-source"
        self.runner = root / "runner"

    def paths(self, skill: str, bytecode: bool) -> list[str]:
        """sys.path entries in front of the standard library for one skill's run."""
        task = self.task if bytecode else self.task_source
        if skill == "hello_world":
            return [str(self.hello if bytecode else self.hello_source), str(task)]
        return [str(task)]


def _without_bytecode(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def prepare(workdir: Path, python: str, zip_path: Path | None = None) -> ZipTrees | str:
    """Build (or take) the zip and lay out the trees; a reason instead when it cannot be."""
    from skill.tools import packaging

    compiler = packaging.bytecode_interpreter(python)
    if compiler is None:
        return f"no Python {python} here (see build-lambda's warning)"
    arch = host_arch()
    if arch is None:
        return f"no Lambda architecture for this machine ({platform.machine()})"
    root = workdir / f"zip-{python}"
    trees = ZipTrees(root, python, compiler.path, compiler.describe())
    if zip_path is None:
        zip_path = root / "lambda.zip"
        try:
            packaging.build(
                zip_path,
                arch=arch,
                python=python,
                # Another runtime than the lock's is resolved afresh (a measurement only).
                use_lock=python == packaging.DEFAULT_PYTHON,
            )
        except packaging.BuildError as error:
            return f"build-lambda failed: {error}"
    with zipfile.ZipFile(zip_path) as archive:
        if not any(name.endswith(f".{compiler.tag}.pyc") for name in archive.namelist()):
            return f"{zip_path} holds no {compiler.tag} bytecode"
        archive.extractall(trees.task)
    _without_bytecode(trees.task, trees.task_source)
    trees.hello.mkdir(parents=True)
    shutil.copy(HELLO, trees.hello / HELLO.name)
    packaging.compile_bytecode(
        {HELLO.name: trees.hello / HELLO.name}, compiler.path, compiler.tag, trees.hello
    )
    _without_bytecode(trees.hello, trees.hello_source)
    trees.runner.mkdir(parents=True)
    shutil.copy(RUNNER, trees.runner / RUNNER.name)
    return trees


def command(trees: ZipTrees, module: str, event_file: Path) -> list[str]:
    """The child's command: isolated, nothing written, the runner as a script."""
    return [
        trees.interpreter,
        "-I",
        "-S",
        "-B",
        str(trees.runner / RUNNER.name),
        module,
        str(event_file),
    ]


def describe(trees: ZipTrees) -> dict[str, Any]:
    return {"python": trees.python, "interpreter": trees.described}


def zip_cold_starts(
    workdir: Path, repeats: int, python: str, zip_path: Path | None = None
) -> dict[str, Any]:
    """Both skills from the unpacked zip, with bytecode and without; or why not."""
    from bench.coldstart import _launch_event, compare
    from skill import config

    trees = prepare(workdir, python, zip_path)
    if isinstance(trees, str):
        return {"skipped": trees}
    event_file = _launch_event(workdir / f"zip-launch-{python}.json")
    # What a Lambda's environment has that matters here: no PYTHON* variables (-I drops
    # them anyway), the skill on its embedded store (an existing file), the hello world
    # without a store.
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    base["HOME"] = str(workdir)
    ours = {**base, config.ENV_DB_PATH: str(workdir / f"zip-{python}.sqlite3")}
    result: dict[str, Any] = describe(trees)
    for key, bytecode, runs in (
        ("bytecode", True, repeats),
        ("source", False, max(1, repeats // 2)),
    ):
        envs = {
            "ally_coach": {**ours, PATH_ENV: os.pathsep.join(trees.paths("ally_coach", bytecode))},
            "hello_world": {
                **base,
                PATH_ENV: os.pathsep.join(trees.paths("hello_world", bytecode)),
            },
        }
        commands = {name: command(trees, module, event_file) for name, module in MODULES.items()}
        result[key] = compare(envs, event_file, runs, commands=commands)
    return result
