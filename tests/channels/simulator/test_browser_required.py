"""Without a browser the browser tests skip and say how to get one; in CI they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim_browser import ENV_CHROMIUM, ENV_REQUIRED

ROOT = Path(__file__).resolve().parents[3]
ONE_BROWSER_TEST = "tests/channels/simulator/test_simulator_browser.py::" + (
    "test_without_speech_recognition_typing_still_does_everything"
)


def run_without_a_browser(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != ENV_REQUIRED}
    environment.update({ENV_CHROMIUM: "/nonexistent/chromium", **env})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", ONE_BROWSER_TEST],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_without_a_browser_the_tests_skip_saying_how_to_install_one() -> None:
    result = run_without_a_browser()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "apt-get install chromium chromium-driver" in result.stdout


@pytest.mark.slow
def test_in_ci_a_missing_browser_fails_the_run() -> None:
    result = run_without_a_browser(**{ENV_REQUIRED: "1"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{ENV_REQUIRED} is set but there is no headless Chromium" in result.stdout


def test_ci_installs_a_browser_and_requires_the_browser_tests() -> None:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    last = len(lines) - 1
    install = next(i for i, line in enumerate(lines) if "apt-get install" in line)
    required = lines.index(f"export {ENV_REQUIRED}=1")
    assert install < required < last
    assert "chromium chromium-driver" in lines[install]
