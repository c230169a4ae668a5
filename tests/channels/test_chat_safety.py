"""Safety in the terminal chat, as a subprocess, in every locale it speaks."""

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


@pytest.mark.parametrize("locale", sorted(SAFETY_NUMBERS))
def test_typed_disclosures_get_the_right_numbers(tmp_path: Path, locale: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    lines = [
        "open ally coach",
        "help me talk to my partner",
        "tbh i dont want to be alive anymore",
        "you misunderstood me",
        "my ex keeps turning up outside my work and wont leave me alone",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "skill", "chat", "--db", str(tmp_path / "p.db"), "--locale", locale],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    said = [
        line.removeprefix("Alexa: ")
        for line in result.stdout.splitlines()
        if line.startswith("Alexa: ")
    ]
    emergency, helpline, crisis = SAFETY_NUMBERS[locale]
    self_harm, undone, stalking = said[2], said[3], said[4]
    assert has(self_harm, crisis) and has(self_harm, emergency)
    assert not has(undone, crisis)
    assert has(stalking, helpline) and has(stalking, emergency)
