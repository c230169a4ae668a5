"""The simulator served for real on loopback, and a headless Chromium to open it.

Fixtures ``browser`` and ``server`` (made available by this folder's conftest.py) and helpers.

One browser per test module. Its speech synthesis is a stub that records every utterance
it is asked to say and when, and its speech recognition is a fake that "hears" what a
test queues, so the voice path runs without a microphone or a voice installed. Time runs
at TIME_SCALE through the page's test hook, so a 10 s pause lasts half a second.

Without a Chromium the browser tests skip, saying how to install one; with
SIMULATOR_BROWSER_REQUIRED=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from skill.channels.simulator.app import create_simulator_app
from skill.channels.simulator.pages import CONFIG_DIALOGS, CONFIG_USER

ROOT = Path(__file__).resolve().parents[3]
TIME_SCALE = 0.05
ENV_REQUIRED = "SIMULATOR_BROWSER_REQUIRED"
ENV_CHROMIUM = "SIMULATOR_CHROMIUM"
ENV_CHROMEDRIVER = "SIMULATOR_CHROMEDRIVER"
ENV_ARTIFACTS = "SIMULATOR_ARTIFACTS"
INSTALL_HINT = (
    "no headless Chromium for the simulator's browser tests: install one with "
    "`apt-get install chromium chromium-driver` (Debian) and `pip install -e '.[dev]'` for "
    f"selenium, or point {ENV_CHROMIUM} and {ENV_CHROMEDRIVER} at a browser and its driver"
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)

# Runs before any of the page's scripts, on every page the browser opens.
STUBS = """
(() => {
  // #patient: the eight seconds of listening run in real time, so no reprompt comes
  // while a test is busy; pauses stay fast.
  const patient = location.hash.includes("patient");
  window.AllySimulatorHooks = { timeScale: %(scale)s, silenceScale: patient ? 1 : %(scale)s };
  const spoken = (window.__spoken = []);
  class FakeUtterance {
    constructor(text) { this.text = text; this.lang = ""; this.voice = null; this.volume = 1; }
  }
  let current = 0;
  const synth = {
    speaking: false, pending: false, paused: false,
    getVoices() { return []; },
    speak(utterance) {
      const entry = { text: utterance.text, lang: utterance.lang, end: null };
      entry.start = performance.now();
      spoken.push(entry);
      current = setTimeout(() => {
        entry.end = performance.now();
        if (utterance.onend) utterance.onend({});
      }, 5);
    },
    cancel() { clearTimeout(current); },
    pause() {}, resume() {}, addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = FakeUtterance;

  const toHear = (window.__toHear = []);
  window.__recognitions = [];
  class FakeRecognition {
    start() {
      window.__recognitions.push({ lang: this.lang });
      setTimeout(() => {
        const words = toHear.shift();
        if (words !== undefined && this.onresult) {
          const result = [{ transcript: words, confidence: 0.92 }];
          result.isFinal = true;
          this.onresult({ resultIndex: 0, results: [result] });
        }
        if (this.onend) this.onend();
      }, 20);
    }
    stop() {}
    abort() {}
  }
  const noMicrophone = location.hash.includes("no-recognition");
  for (const name of ["SpeechRecognition", "webkitSpeechRecognition"]) {
    Object.defineProperty(window, name, {
      value: noMicrophone ? undefined : FakeRecognition, configurable: true, writable: true,
    });
  }

  const countdowns = (window.__countdowns = []);
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("countdown");
    if (!box) return; // not the simulator (about:blank between tests)
    const record = () => {
      if (box.hidden) return;
      const shown = box.textContent.replace(/\\s+/g, " ").trim();
      if (countdowns[countdowns.length - 1] !== shown) countdowns.push(shown);
    };
    new MutationObserver(record).observe(box, {
      subtree: true, childList: true, characterData: true, attributes: true,
    });
  });
})();
"""


def _program(variable: str, *names: str) -> str | None:
    """The program named by ``variable`` if set (and there), else the first of ``names``."""
    configured = os.environ.get(variable)
    if configured:
        return shutil.which(configured)
    return next((found for name in names if (found := shutil.which(name))), None)


def _find_browser() -> tuple[str, str] | None:
    chromium = _program(ENV_CHROMIUM, "chromium", "chromium-browser", "google-chrome")
    driver = _program(ENV_CHROMEDRIVER, "chromedriver")
    if not chromium or not driver:
        return None
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    return chromium, driver


def _no_browser() -> None:
    if os.environ.get(ENV_REQUIRED, "").strip() not in ("", "0"):
        pytest.fail(f"{ENV_REQUIRED} is set but there is {INSTALL_HINT}", pytrace=False)
    pytest.skip(INSTALL_HINT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    found = _find_browser()
    if found is None:
        _no_browser()
    assert found is not None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="ally-sim-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": STUBS % {"scale": TIME_SCALE}}
    )
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Server:
    url: str  # the page
    dialogs: Path  # where the page may save scripts


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The simulator on a free loopback port, on the real lambda_handler.

    The handler's store is whatever the settings say when a request comes; the autouse
    fixture in tests/conftest.py gives each test an empty SQLite file of its own.
    """
    dialogs = tmp_path_factory.mktemp("dialogs")
    app = create_simulator_app(
        {CONFIG_USER: "amzn1.ask.account.BROWSERTEST", CONFIG_DIALOGS: dialogs}
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_port}/simulator/", dialogs)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def artifacts_dir() -> Path:
    folder = Path(os.environ.get(ENV_ARTIFACTS) or ROOT / "tmp" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def console_errors(driver: Any) -> list[str]:
    return [json.dumps(entry) for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
