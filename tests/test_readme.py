"""The README's commands are the ones CI and people run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", readme, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in _commands(), "README and .ci/run disagree on the test command"
    assert "pytest" in ci


def test_readme_has_a_one_line_chat_command() -> None:
    assert any(
        c.startswith("python3 -m venv .venv") and c.endswith("python -m skill chat")
        for c in _commands()
    )


def test_docs_write_every_command_for_the_venv() -> None:
    """A bare ``python -m skill`` fails outside the venv; the docs never say it."""
    pages = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "infra" / "README.md",
    ]
    bare = [
        f"{page.relative_to(ROOT)}: {line.strip()}"
        for page in pages
        for line in page.read_text(encoding="utf-8").splitlines()
        if re.search(r"(?<![/\w])python3? -m (skill|bench)\b", line)
    ]
    assert not bare, "\n".join(bare)
