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


def test_it_prints_groups_and_confusions_for_the_resolver_and_the_samples(tmp_path: Path) -> None:
    labelled = tmp_path / "small.jsonl"
    labelled.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    result = run("--set", str(labelled))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "small.jsonl: 6 utterances, en-US" in out
    resolver, alone = out.split("the model's samples alone")
    assert "safety:physical" in resolver and "1/1" in resolver
    assert "near_miss" in resolver and "not flagged" in resolver
    # The deliberately wrong label shows up as a confusion and a miss.
    assert "AMAZON.NextIntent -> ListTipsIntent" in resolver
    assert "'list the tips': ListTipsIntent" in resolver
    # The samples alone know no disclosure phrased like this.
    assert "SafetyIntent -> AMAZON.FallbackIntent" in alone


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text('{"text": "hi", "intent": "AMAZON.YesIntent", "group": "nonsense"}\n')
    result = run("--set", str(labelled))
    assert result.returncode == 1
    assert "bad.jsonl:1" in result.stderr and "nonsense" in result.stderr


def test_by_default_it_reads_every_set_in_the_test_data() -> None:
    result = run("--confusions", "3")
    assert result.returncode == 0, result.stderr
    assert "tune.jsonl:" in result.stdout
