"""``python -m skill content --check`` on the content that ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.tools import content

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # full tier: explores the whole dialog
def test_the_shipped_programs_are_complete_and_speakable() -> None:
    assert content.check() == []


def test_a_long_sentence_is_caught() -> None:
    words = " ".join(["word"] * 30) + "."
    assert content.long_sentences(f"Short one. {words} Another.") == [words]


@pytest.mark.slow  # full tier: explores the whole dialog
def test_the_command_says_what_it_checked(capsys: pytest.CaptureFixture[str]) -> None:
    # In process: the exploration it needs is the one the test above already made.
    assert content.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "motivate: 5 steps, 5 with a practice" in out
    assert "direction: 3 steps" in out
