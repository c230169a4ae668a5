"""Every dialog script in tests/dialogs/, replayed through lambda_handler.

The scripts were recorded by talking to the simulator (docs/simulator.md); record a new
one with ``--save-dialogs tests/dialogs`` and it is a test here. Each replays for a new
listener on an empty store of its own (tests/conftest.py) and fails on the first answer
that lacks what must be heard.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.channels.simulator.script import load, replay
from skill.lambda_function import lambda_handler

DIALOGS = Path(__file__).resolve().parent / "dialogs"
SCRIPTS = sorted([*DIALOGS.glob("*.yaml"), *DIALOGS.glob("*.yml"), *DIALOGS.glob("*.json")])


@pytest.mark.parametrize("path", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_dialog_script(path: Path) -> None:
    replay(load(path), lambda_handler, str(path.relative_to(DIALOGS.parent.parent)))


def test_the_shipped_scripts_cover_the_walkthrough_practice_safety_and_resuming() -> None:
    scripts = [load(path) for path in SCRIPTS]
    said = [[step.say for step in script.steps] for script in scripts]
    assert any(words.count("next") >= 4 for words in said), "no walkthrough of all five tips"
    assert any(step.pauses for script in scripts for step in script.steps), "no practice"
    safety = [step for script in scripts for step in script.steps if step.intent == "SafetyIntent"]
    assert {"911", "1-800-799-7233"} <= {phrase for step in safety for phrase in step.hear}
    assert any(
        any(step.ends for step in script.steps[:-1]) and script.steps[-1].hear for script in scripts
    ), "no script that goes on in a second session"
    assert {script.locale for script in scripts} >= {"en-US", "en-GB"}
