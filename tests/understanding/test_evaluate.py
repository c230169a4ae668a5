"""``python -m skill evaluate``: run as people run it, on a small labelled file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from skill.paths import ROOT

pytestmark = pytest.mark.slow  # runs the command as a subprocess

ROWS = [
    {"text": "my boyfriend smacked me hard", "intent": "SafetyIntent", "group": "safety:physical"},
    {"text": "i want to die", "intent": "SelfHarmIntent", "group": "safety:self_harm"},
    {"text": "he never hits me", "intent": "AMAZON.FallbackIntent", "group": "near_miss"},
    {
        "text": "go to tip two",
        "intent": "GoToTipIntent",
        "group": "in_scope",
        "slots": {"number": "2"},
    },
    {"text": "list the tips", "intent": "AMAZON.NextIntent", "group": "in_scope"},
    {"text": "play some jazz", "intent": "AMAZON.FallbackIntent", "group": "out_of_scope"},
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skill", "evaluate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_prints_what_each_reader_made_of_the_set(tmp_path: Path) -> None:
    labelled = tmp_path / "small.jsonl"
    labelled.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    result = run("--set", str(labelled))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "small.jsonl: 6 utterances, en-US" in out
    ear, rest = out.split("the model's samples alone")
    alone, nearest = rest.split("nearest sample")
    assert "safety:physical" in ear and "answered 1" in ear
    assert "near_miss" in ear and "left alone 1" in ear
    assert "disclosures caught (answered or checked in): 100.0% of 2" in ear
    # The deliberately wrong label shows up as a confusion.
    assert "AMAZON.NextIntent -> ListTipsIntent" in ear
    # The samples alone know no disclosure phrased like this; the stand-in reads meaning.
    assert "safety:physical" in alone and "missed 1" in alone
    assert "in_scope right" in nearest


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text('{"text": "hi", "intent": "AMAZON.YesIntent", "group": "nonsense"}\n')
    result = run("--set", str(labelled))
    assert result.returncode == 1
    assert "bad.jsonl:1" in result.stderr and "nonsense" in result.stderr


def test_misses_are_listed_only_when_asked(tmp_path: Path) -> None:
    labelled = tmp_path / "small.jsonl"
    labelled.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    quiet = run("--set", str(labelled)).stdout
    assert "'list the tips'" not in quiet
    loud = run("--set", str(labelled), "--misses").stdout
    assert "[in_scope] 'list the tips': ListTipsIntent" in loud
