"""``python -m skill content --check`` on the content that ships."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill.tools import content

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_programs_are_complete_and_speakable() -> None:
    assert content.check() == []


def test_a_long_sentence_is_caught() -> None:
    words = " ".join(["word"] * 30) + "."
    assert content.long_sentences(f"Short one. {words} Another.") == [words]


@pytest.mark.slow
def test_the_command_says_what_it_checked() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skill", "content", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "motivate: 5 steps, 5 with a practice" in result.stdout
    assert "direction: 3 steps" in result.stdout
