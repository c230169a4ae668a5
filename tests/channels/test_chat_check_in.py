"""The check-in in the terminal chat, as a subprocess, in every locale it speaks: words
that may be a disclosure get one question; "I'm safe" carries on, "no" gets the numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import SAFETY_NUMBERS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def has(line: str, number: str) -> bool:
    return re.sub(r"\D", "", number) in re.sub(r"\D", "", line)


def chat(tmp_path: Path, locale: str, lines: list[str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    result = subprocess.run(
        [sys.executable, "-m", "skill", "chat", "--db", str(tmp_path / "p.db"), "--locale", locale],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return [
        line.removeprefix("Alexa: ")
        for line in result.stdout.splitlines()
        if line.startswith("Alexa: ")
    ]


@pytest.mark.parametrize("locale", sorted(SAFETY_NUMBERS))
def test_a_check_in_answered_safe_then_one_answered_yes(tmp_path: Path, locale: str) -> None:
    said = chat(
        tmp_path,
        locale,
        [
            "open ally coach",
            "help me talk to my partner",
            "things at home are scary sometimes",
            "yes im safe",
            "whats the point anymore",
            "yes",
        ],
    )
    emergency, _helpline, crisis = SAFETY_NUMBERS[locale]
    asked, fine, asked_again, answered = said[2], said[3], said[4], said[5]
    assert "safe right now?" in asked and not has(asked, emergency)
    assert "Thank you for telling me" in fine and "practice" in fine
    assert "thoughts of suicide" in asked_again
    assert has(answered, crisis) and has(answered, emergency)


@pytest.mark.parametrize("locale", sorted(SAFETY_NUMBERS))
def test_no_to_are_you_safe_gets_the_helpline(tmp_path: Path, locale: str) -> None:
    said = chat(
        tmp_path,
        locale,
        ["open ally coach", "things at home are scary sometimes", "not really"],
    )
    emergency, helpline, _ = SAFETY_NUMBERS[locale]
    assert "safe right now?" in said[1]
    assert has(said[2], emergency) and has(said[2], helpline)
