"""The README's commands, run as written in a fresh copy of the project with a fresh venv,
as a newcomer runs them (slow: each installs from the package index)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT = 900

CHAT = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[chat]' && "
    ".venv/bin/python -m skill chat"
)
TESTS = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest"
)
SIMULATOR = ".venv/bin/pip install -q -e '.[chat,web]' && .venv/bin/python -m skill simulator"
PHONE = (
    ".venv/bin/pip install -q -e '.[web]' && "
    ".venv/bin/python -m skill phone-chat --caller +15555550100"
)
# The README's commands not run here, and why.
NOT_RUN = {TESTS: "it is this suite; .ci/run runs it as written"}


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", readme, flags=re.S)


def test_every_readme_command_is_run_here_or_said_why_not() -> None:
    assert set(readme_commands()) == {CHAT, SIMULATOR, PHONE, *NOT_RUN}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A copy of the project's files (as a clone has them, no venv) and an environment
    with no venv, no skill settings and an empty user data folder."""
    if shutil.which("python3") is None:
        pytest.skip("no python3 on the PATH")
    base = tmp_path_factory.mktemp("newcomer")
    clone = base / "ally-coach"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONPYCACHEPREFIX")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SKILL_")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    env["XDG_DATA_HOME"] = str(base / "data")  # the user data folder, on Linux
    yield clone, env


def run(
    fresh: tuple[Path, dict[str, str]], command: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clone, env = fresh
    return subprocess.run(
        ["bash", "-c", command],
        cwd=clone,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )


@pytest.mark.slow
def test_a_newcomer_follows_the_readme(fresh: tuple[Path, dict[str, str]]) -> None:
    # The chat, set up by its one command, keeps progress in the user data folder.
    chat = run(fresh, CHAT, "open ally coach\nyes\nexit\n")
    assert chat.returncode == 0, chat.stderr[-3000:]
    assert "Alexa: Welcome to Ally Coach." in chat.stdout, chat.stdout
    assert "Tip 1." in chat.stdout
    data = Path(fresh[1]["XDG_DATA_HOME"]) / "ally-coach" / "progress.sqlite3"
    assert data.is_file()
    again = run(fresh, ".venv/bin/python -m skill chat", "open ally coach\nexit\n")
    assert "Alexa: Hello again." in again.stdout, again.stdout

    # With the chat extra only, the web commands say what to install, and how.
    for command in ("serve", "simulator", "phone-chat"):
        missing = run(fresh, f".venv/bin/python -m skill {command}")
        assert missing.returncode == 2, (command, missing.stdout, missing.stderr)
        assert "Traceback" not in missing.stderr
        assert missing.stderr.strip().endswith("Install it with: .venv/bin/pip install -e '.[web]'")

    # A call to the phone line from the terminal.
    phone = run(fresh, PHONE, "help me talk to my partner\nexit\n")
    assert phone.returncode == 0, phone.stderr[-3000:]
    assert "Phone: Welcome to Ally Coach." in phone.stdout, phone.stdout
    assert "(you hang up)" in phone.stdout

    # The simulator starts and serves its page (on any free port: 5001 may be taken).
    clone, env = fresh
    command = SIMULATOR.replace("&& .venv/bin/python", "&& exec .venv/bin/python") + " --port 0"
    server = subprocess.Popen(
        ["bash", "-c", command],
        cwd=clone,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        address = re.search(r"http://\S+", first)
        assert address, first + (server.stderr.read() if server.poll() is not None else "")
        import urllib.request

        with urllib.request.urlopen(address.group(0), timeout=30) as page:
            assert page.status == 200
            assert "Ally Coach" in page.read().decode("utf-8", "replace")
    finally:
        server.terminate()
        server.wait(timeout=30)
