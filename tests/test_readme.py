"""The README's commands are the ones CI and people run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


# --- the sample sessions: replayed, every reply checked ---------------------------------------

SAMPLE_USER = "amzn1.ask.account.README-SAMPLE"


def _samples() -> list[list[str]]:
    """The README's ```text blocks that are chat sessions: their you>/Alexa: lines."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n(.+?)\n```", readme, flags=re.S)
    return [block.splitlines() for block in blocks if block.startswith("you> ")]


def _chat(db: Path, typed: list[str]) -> list[str]:
    """The chat's you>/Alexa: lines for these typed lines, run in this process."""
    import contextlib
    import io
    import os
    import sys
    from unittest import mock

    from skill import config, lambda_function
    from skill.channels import chat

    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    out = io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out):
        config.get_settings.cache_clear()
        lambda_function.reset()
        try:
            with mock.patch.object(sys, "stdin", io.StringIO("\n".join(typed) + "\n")):
                assert chat.main(["--db", str(db), "--user", SAMPLE_USER]) == 0
        finally:
            config.get_settings.cache_clear()
            lambda_function.reset()
    return [line for line in out.getvalue().splitlines() if line.startswith(("you> ", "Alexa: "))]


def _matches(shown: str, real: str) -> bool:
    """A README line matches the real one: the same, but for ``...`` where words are left
    out (the pieces between them appear in order; the first starts it, the last ends it)."""
    pieces = [p.strip() for p in shown.split("...")]
    if not real.startswith(pieces[0]) or not real.endswith(pieces[-1]):
        return False
    at = len(pieces[0])
    for piece in pieces[1:]:
        found = real.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def test_the_readme_shows_a_first_and_a_second_session() -> None:
    samples = _samples()
    assert len(samples) == 2
    first, second = samples
    assert "you> ready" in first and "you> stop" in first
    assert all(line.startswith(("you> ", "Alexa: ")) for line in first + second)
    # Every line typed gets its reply shown, through the practice and to the end.
    for block in samples:
        for i, line in enumerate(block):
            if line.startswith("you> "):
                assert i + 1 < len(block) and block[i + 1].startswith("Alexa: "), line


def test_the_readme_sessions_are_what_the_chat_says(tmp_path: Path) -> None:
    db = tmp_path / "progress.sqlite3"
    for block in _samples():  # the second on the first's progress, as a second run is
        typed = [line.removeprefix("you> ") for line in block if line.startswith("you> ")]
        real = _chat(db, typed)
        assert len(real) == len(block), "\n".join(real)
        wrong = [
            f"README: {shown}\nchat:   {said}"
            for shown, said in zip(block, real, strict=True)
            if not _matches(shown, said)
        ]
        assert not wrong, "\n\n".join(wrong)


def test_the_readme_says_where_progress_is_kept() -> None:
    from skill.config import APP_NAME, DEFAULT_DB_FILENAME

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"~/.local/share/{APP_NAME}/" in readme and DEFAULT_DB_FILENAME in readme
    for way in ("forget my progress", "--db FILE", "--user ID"):
        assert way in readme


def test_serve_help_sends_production_readers_to_the_page_that_covers_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from skill.channels.web import app

    with pytest.raises(SystemExit):
        app.main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    named = re.findall(r"\b((?:docs/)?[\w-]+\.md)\b", help_text)
    assert named == ["docs/web-endpoint.md"], help_text
    page = (ROOT / named[0]).read_text(encoding="utf-8")
    assert "In production" in page and "waitress-serve" in page
