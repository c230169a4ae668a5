"""The simulator's JSON API through real HTTP requests, on the real lambda_handler.

Each test has an empty SQLite store of its own (tests/conftest.py), which is the store
lambda_handler's skill saves to and the simulator reads progress from.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.alexa.skill_builder import build_skill
from skill.channels.simulator.app import create_simulator_app
from skill.channels.simulator.guard import CONTENT_SECURITY_POLICY
from skill.channels.simulator.pages import (
    CONFIG_DIALOGS,
    CONFIG_STORE,
    EXTENSION,
    MAX_PAGES,
    PAGE_IDLE_SECONDS,
    TOKEN_HEADER,
)
from skill.channels.simulator.script import load, replay
from skill.channels.web.app import CONFIG_SKILL_HANDLER, create_app
from skill.lambda_function import invoke, lambda_handler
from skill.paths import TEMPLATES_DIR
from skill.store.base import StorageError
from skill.store.sqlite import SqliteProgressStore

from support import instant_retries

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "skill" / "channels" / "simulator" / "static"
PAGE = ROOT / "skill" / "channels" / "simulator" / "page.html"
GOOD_THINGS = ROOT / "tests" / "fixtures" / "programs" / "good_things"


class Browser:
    """One open page: its token, sent on every call as the page's script does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        page = client.get("/simulator/")
        assert page.status_code == 200
        found = re.search(r'name="simulator-token" content="([^"]+)"', page.get_data(as_text=True))
        assert found
        self.token = found.group(1)

    def get(self, path: str) -> Any:
        return self.client.get(f"/simulator/api/{path}", headers={TOKEN_HEADER: self.token})

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            f"/simulator/api/{path}",
            json={} if body is None else body,
            headers={TOKEN_HEADER: self.token, **headers},
        )

    def say(self, text: str) -> dict[str, Any]:
        response = self.post("say", {"text": text})
        assert response.status_code == 200, response.get_json()
        data: dict[str, Any] = response.get_json()
        return data

    def silence(self) -> dict[str, Any]:
        data: dict[str, Any] = self.post("silence").get_json()
        return data

    def progress(self) -> dict[str, Any]:
        response = self.get("progress")
        assert response.status_code == 200, response.get_json()
        data: dict[str, Any] = response.get_json()
        return data


def heard(stored: dict[str, Any], key: str = "heard", program: str = "motivate") -> list[int]:
    """The steps of ``program`` in a progress summary that were heard (or practiced)."""
    found: list[int] = next(p[key] for p in stored["programs"] if p["id"] == program)
    return found


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_simulator_app({CONFIG_DIALOGS: tmp_path / "dialogs"})


@pytest.fixture
def page(app: Flask) -> Browser:
    return Browser(app.test_client())


# --- off unless started, and only for this machine ----------------------------------------


def test_the_simulator_is_in_no_app_but_its_own() -> None:
    client = create_app().test_client()
    assert client.get("/simulator/").status_code == 404
    assert client.post("/simulator/api/say", json={"text": "hi"}).status_code == 404


def test_the_page_loads_nothing_from_elsewhere(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/simulator/")
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html  # nothing inline for the CSP
    for asset in re.findall(r'(?:src|href)="(static/[^"]+)"', html):
        assert client.get(f"/simulator/{asset}").status_code == 200, asset
    for path in [PAGE, *STATIC.iterdir()]:
        text = path.read_text(encoding="utf-8")
        urls = re.findall(r"https?://[^\s\"')]+", text)
        assert urls in ([], ["http://www.w3.org/2000/svg"]), (path.name, urls)


def test_every_page_gets_a_token_of_its_own(app: Flask) -> None:
    client = app.test_client()
    assert Browser(client).token != Browser(client).token


def test_an_idle_page_is_let_go_for_a_new_one_and_its_session_saved(app: Flask) -> None:
    clock = [1000.0]
    app.extensions[EXTENSION].clock = lambda: clock[0]
    client = app.test_client()
    first = Browser(client)
    first.say("open ally coach")
    # A launch alone waits to store its visit until something changes or the session ends.
    assert first.progress()["stored"]["last_visit"] is None
    clock[0] += PAGE_IDLE_SECONDS + 1  # the page is left alone
    others = [Browser(client) for _ in range(MAX_PAGES)]
    gone = first.post("say", {"text": "next"})
    assert gone.status_code == 403 and "reload the page" in gone.get_json()["error"]
    # Letting the page go ended its session, and that stored the visit.
    assert others[-1].progress()["stored"]["last_visit"] is not None


def test_a_page_in_use_is_never_let_go_however_many_pages_are_loaded(app: Flask) -> None:
    client = app.test_client()
    mine = Browser(client)
    mine.say("open ally coach")
    for _ in range(MAX_PAGES * 3):  # pages never used: each new one takes an idle one's place
        client.get("/simulator/")
    assert "Tip 1." in mine.say("yes")["speech"]["text"]
    # When every page kept is in use, a new page is refused rather than take one's place.
    for _ in range(MAX_PAGES - 1):
        Browser(client).get("state")
    refused = client.get("/simulator/")
    assert refused.status_code == 503 and "in use" in refused.get_json()["error"]
    assert "Tip 2." in mine.say("next")["speech"]["text"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ],
)
def test_another_site_cannot_load_pages(app: Flask, headers: dict[str, str]) -> None:
    client = app.test_client()
    mine = Browser(client)
    mine.say("open ally coach")
    for _ in range(MAX_PAGES + 1):
        assert client.get("/simulator/", headers=headers).status_code == 403
    assert "Tip 1." in mine.say("yes")["speech"]["text"]
    # Typed into the address bar, or from the page itself: loads as ever.
    assert client.get("/simulator/", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert client.get("/simulator/", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_calls_without_the_pages_token_are_refused(page: Browser) -> None:
    client = page.client
    assert client.post("/simulator/api/say", json={"text": "open ally coach"}).status_code == 403
    wrong = {TOKEN_HEADER: "not-a-token"}
    assert client.post("/simulator/api/say", json={"text": "x"}, headers=wrong).status_code == 403
    assert client.get("/simulator/api/progress").status_code == 403
    refused = client.post("/simulator/api/forget", json={})
    assert refused.status_code == 403 and "reload the page" in refused.get_json()["error"]


def test_cross_site_requests_are_refused_even_with_a_token(page: Browser) -> None:
    evil = page.post("say", {"text": "hi"}, Origin="https://evil.example")
    assert evil.status_code == 403
    fetched = page.post("say", {"text": "hi"}, **{"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    same_site = page.post("say", {"text": "open ally coach"}, Origin="http://localhost")
    assert same_site.status_code == 200


def test_a_host_that_is_not_this_machine_is_refused(app: Flask) -> None:
    # A DNS-rebinding page would reach the server under its own host name.
    client = app.test_client()
    assert client.get("/simulator/", headers={"Host": "evil.example"}).status_code == 403
    assert client.get("/simulator/", headers={"Host": "127.0.0.1:5001"}).status_code == 200
    assert client.get("/simulator/", headers={"Host": "[::1]:5001"}).status_code == 200


def test_bad_input_gets_a_clear_answer(page: Browser) -> None:
    not_json = page.client.post(
        "/simulator/api/say", data="text=hi", headers={TOKEN_HEADER: page.token}
    )
    assert not_json.status_code == 400 and not_json.get_json()["error"] == "expected a JSON object"
    assert page.post("say", {"text": 3}).status_code == 400
    too_long = page.post("say", {"text": "a" * 501})
    assert too_long.status_code == 400 and "500" in too_long.get_json()["error"]
    assert page.post("locale", {"locale": "fr-FR"}).status_code == 400
    assert page.post("record", {"on": "yes"}).status_code == 400
    # None of that touched the conversation.
    assert page.get("state").get_json()["session_open"] is False


# --- talking -----------------------------------------------------------------------------------


def test_words_go_through_the_resolver_and_the_skill(page: Browser) -> None:
    turn = page.say("help me talk to my partner")
    assert turn["understood"] == {
        "intent": "MotivatePartnerIntent",
        "slots": {},
        "confidence": 1.0,
        "launch": False,
    }
    assert turn["requests"] == ["IntentRequest"]
    assert turn["view"] == "step" and turn["action"] == "start_program"
    assert "Tip 1. Focus on the relationship, not on your partner." in turn["speech"]["text"]
    assert turn["card"]["title"] == "Tip 1: Focus on the relationship, not on your partner."
    assert turn["reprompt"]["text"] and turn["session_open"] and not turn["ended"]
    assert turn["speech"]["ssml"].startswith("<speak>")
    # The answer's plan: utterances and the silences of its breaks.
    plan = turn["speech"]["plan"]
    assert {"pause": 500} in plan
    assert {"say": "Tip 1. Focus on the relationship, not on your partner."} in plan

    # The practice is one piece (an APL for Audio document, to this Echo): its plan is the
    # document's timeline, silences longer than SSML's ten seconds included.
    practice = page.say("yes")
    assert [step["pause"] for step in practice["speech"]["plan"] if "pause" in step] == [
        1000,
        2000,
        8000,
        20000,
        30000,
        8000,
    ]
    assert practice["view"] == "practice" and practice["speech"]["document"] is True
    assert practice["speech"]["sound"] is None
    assert practice["speech"]["plan"][-1] == {
        "say": "You can open your eyes now. Do you have a sentence you could say to your partner?"
    }


def test_opening_the_skill_is_a_launch_request(page: Browser) -> None:
    turn = page.say("open ally coach")
    assert turn["requests"] == ["LaunchRequest"]
    assert turn["understood"]["launch"] is True and turn["understood"]["intent"] is None
    assert turn["view"] == "welcome"
    again = page.say("open ally coach")  # mid-session: Alexa ends the old session first
    assert again["requests"] == ["SessionEndedRequest", "LaunchRequest"]


def test_near_misses_show_a_lower_confidence(page: Browser) -> None:
    page.say("open ally coach")
    # Not a sample of the model: the classifier's guess, and the page says how sure it was.
    turn = page.say("okay carry on to the next bit")
    assert turn["understood"]["intent"] == "AMAZON.NextIntent"
    # Below an exact sample's certainty; how far below moves a little with each training.
    assert 0.35 <= turn["understood"]["confidence"] < 0.95
    exact = page.say("next")
    assert exact["understood"]["confidence"] == 1.0


def test_silence_plays_the_reprompt_then_ends_the_session(page: Browser) -> None:
    opened = page.say("help me talk to my partner")
    first = page.silence()
    assert first["kind"] == "silent" and first["requests"] == []  # Alexa speaks it itself
    assert first["speech"]["text"] == opened["reprompt"]["text"]
    assert first["session_open"]
    second = page.silence()
    assert second["requests"] == ["SessionEndedRequest"]
    assert second["ended"] and not second["session_open"] and second["speech"] is None
    # The session's end stored the visit; the next launch greets a returning person.
    assert heard(page.progress()["stored"]) == [1]
    assert page.say("open ally coach")["view"] == "welcome_back"


def test_a_word_after_speech_resets_the_silences(page: Browser) -> None:
    page.say("open ally coach")
    assert page.silence()["session_open"]
    page.say("help")
    assert page.silence()["session_open"]  # one silence since the last answer


def test_words_to_a_closed_skill_that_do_not_open_it_send_nothing(page: Browser) -> None:
    turn = page.say("purple elephants")
    assert turn["kind"] == "not_open" and turn["requests"] == [] and turn["speech"] is None
    assert page.silence()["kind"] == "not_open"
    assert page.post("leave").get_json()["requests"] == []


def test_a_disclosure_gets_the_safety_answer_and_coaching_stops(page: Browser) -> None:
    page.say("help me talk to my partner")
    turn = page.say("my husband hits me")
    assert turn["understood"]["intent"] == "SafetyIntent"
    assert "1-800-799-7233" in turn["speech"]["text"] and "911" in turn["speech"]["text"]
    assert "1-800-799-7233" in turn["card"]["text"] and "988" in turn["card"]["text"]
    plan_text = " ".join(step.get("say", "") for step in turn["speech"]["plan"])
    assert "call 9 1 1" in plan_text and "1, 8 0 0, 7 9 9, 7 2 3 3" in plan_text
    # The coaching is held: "next" does not go on to the second tip.
    held = page.say("next")
    assert "Tip 2" not in held["speech"]["text"]


def test_leaving_ends_the_session_as_exit_does(page: Browser) -> None:
    page.say("help me talk to my partner")
    left = page.say("exit")
    assert left["kind"] == "leave" and left["requests"] == ["SessionEndedRequest"]
    assert not left["session_open"]


def test_switching_locale_starts_a_new_session_in_that_english(page: Browser) -> None:
    page.say("open ally coach")
    state = page.post("locale", {"locale": "en-GB"}).get_json()
    assert state["locale"] == "en-GB" and not state["session_open"]
    assert state["locales"] == ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
    turn = page.say("my partner is violent")
    # The text is what is heard: 0808 as people say it.
    assert "999" in turn["speech"]["text"] and "oh eight oh eight" in turn["speech"]["text"]
    envelope_locale = page.post("locale", {"locale": "en-AU"}).get_json()["locale"]
    assert envelope_locale == "en-AU"
    assert "Triple Zero" in page.say("my partner is violent")["speech"]["text"]


# --- progress ------------------------------------------------------------------------------


def test_progress_is_read_from_the_skills_store_and_can_be_forgotten(page: Browser) -> None:
    assert page.progress()["stored"]["is_new"]
    page.say("help me talk to my partner")
    page.say("yes")
    page.say("ready")
    page.say("yes")  # practice 1 done
    page.say("yes")  # tip 2
    progress = page.progress()
    assert heard(progress["stored"]) == [1, 2]
    assert heard(progress["stored"], "practiced") == [1]
    assert heard(progress["session"]) == [1, 2]
    assert progress["stored"]["current"] == "motivate"
    programs = {p["id"]: p for p in progress["stored"]["programs"]}
    assert programs["motivate"]["name"] == "motivate your partner"
    assert programs["motivate"]["steps"][0] == "relationship"
    assert programs["direction"]["heard"] == [] and not programs["direction"]["finished"]

    forgotten = page.post("forget")
    assert forgotten.status_code == 200
    assert forgotten.get_json()["stored"]["is_new"]
    assert page.get("state").get_json()["session_open"] is False
    # The skill agrees: it greets this person as new.
    assert page.say("open ally coach")["view"] == "welcome"


class BrokenStore:
    slowest_call_seconds = 2.0

    def read(self, key: str) -> dict[str, Any]:
        raise StorageError("disk on fire")

    def write(self, key: str, attributes: dict[str, Any]) -> None:
        raise StorageError("disk on fire")

    def forget(self, key: str, when: int) -> None:
        raise StorageError("disk on fire")

    def delete_user(self, user_id: str) -> None:
        raise StorageError("disk on fire")


def test_a_failing_store_says_so_and_forgets_nothing() -> None:
    store = BrokenStore()
    skill = build_skill(store, retry=instant_retries())  # the retries, without the waits
    app = create_simulator_app(
        {CONFIG_SKILL_HANDLER: lambda e, c: invoke(skill, e, c), CONFIG_STORE: store}
    )
    page = Browser(app.test_client())
    turn = page.say("help me talk to my partner")  # the skill still answers
    assert "Tip 1." in turn["speech"]["text"]
    assert page.get("progress").status_code == 503
    refused = page.post("forget")
    assert refused.status_code == 503 and "nothing was forgotten" in refused.get_json()["error"]


# --- recording ----------------------------------------------------------------------------


def test_a_recording_becomes_a_script_that_replays(page: Browser, app: Flask) -> None:
    page.say("help me talk to my partner")  # before recording: not in the script
    state = page.post("record", {"on": True}).get_json()
    assert state["recording"] and not state["session_open"] and state["recorded"] == 0
    assert page.progress()["stored"]["is_new"]  # a new listener for the recording
    tip = page.say("help me talk to my partner")
    assert tip["recorded"] == 0
    suggested = [c["text"] for c in tip["choices"] if c["suggested"]]
    assert "Tip 1: Focus on the relationship, not on your partner" in suggested
    practice = page.say("yes")
    safety = page.say("my husband hits me")
    assert page.post("locale", {"locale": "en-GB"}).status_code == 409
    state = page.post("record", {"on": False}).get_json()
    assert not state["recording"] and state["recorded"] == 3
    # Back to the person's own progress.
    assert heard(page.progress()["stored"]) == [1]

    picks = {
        "0": suggested,
        "1": [c["text"] for c in practice["choices"] if c["suggested"]],
        "2": ["911", "1-800-799-7233"],
    }
    made = page.post("script", {"name": "Safety after a practice", "picks": picks})
    assert made.status_code == 200
    body = made.get_json()
    assert body["filename"] == "safety-after-a-practice.yaml" and body["saved_to"] is None
    assert "say: my husband hits me" in body["text"]
    assert "1-800-799-7233" in safety["speech"]["text"]

    saved = page.post("script", {"name": "Safety after a practice", "picks": picks, "save": True})
    path = Path(saved.get_json()["saved_to"])
    assert path == Path(app.config[CONFIG_DIALOGS]) / "safety-after-a-practice.yaml"
    script = load(path)
    assert script.steps[1].pauses == (1, 2, 8, 20, 30, 8)
    assert script.steps[2].intent == "SafetyIntent" and "911" in script.steps[2].hear
    replay(script, lambda_handler, str(path))
    again = page.post("script", {"name": "Safety after a practice", "picks": picks, "save": True})
    assert again.status_code == 409


def test_a_script_cannot_require_what_was_not_heard(page: Browser) -> None:
    page.post("record", {"on": True})
    page.say("help me talk to my partner")
    wrong = page.post("script", {"name": "x", "picks": {"0": ["Tip 2"]}})
    assert wrong.status_code == 400 and "Tip 2" in wrong.get_json()["error"]
    assert page.post("script", {"name": "!!!", "picks": {}}).status_code == 400
    assert page.post("script", {"name": "x", "picks": {"0": "Tip 1"}}).status_code == 400


def test_saving_needs_a_folder(tmp_path: Path) -> None:
    page = Browser(create_simulator_app().test_client())
    page.post("record", {"on": True})
    page.say("open ally coach")
    refused = page.post("script", {"name": "x", "picks": {}, "save": True})
    assert refused.status_code == 400 and "folder" in refused.get_json()["error"]
    assert page.get("state").get_json()["save_folder"] is None


def test_nothing_recorded_is_no_script(page: Browser) -> None:
    page.post("record", {"on": True})
    page.say("purple elephants")  # sent nothing: nothing to replay
    refused = page.post("script", {"name": "empty", "picks": {}})
    assert refused.status_code == 400 and "nothing was recorded" in refused.get_json()["error"]


def _stored_users() -> list[str]:
    from skill.config import get_settings

    store = SqliteProgressStore(get_settings().db_path)
    try:
        with store._lock:
            rows = store._connection().execute("SELECT user_id FROM progress").fetchall()
    finally:
        store.close()
    return [str(row[0]) for row in rows]


def test_the_recording_listener_is_forgotten_when_recording_stops(page: Browser) -> None:
    page.post("record", {"on": True})
    page.say("help me talk to my partner")
    assert any("SIMRECORD" in user for user in _stored_users())
    page.post("record", {"on": False})
    assert not any("SIMRECORD" in user for user in _stored_users())


# --- the command --------------------------------------------------------------------------


def content_with_a_third_program(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(
        TEMPLATES_DIR, root, ignore=shutil.ignore_patterns("_prerendered", "__pycache__")
    )
    shutil.copytree(GOOD_THINGS, root / "en" / "programs" / "good_things")
    return root


def test_progress_lists_every_program_of_the_skills_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill import config

    monkeypatch.setenv(config.ENV_TEMPLATES_DIR, str(content_with_a_third_program(tmp_path)))
    config.get_settings.cache_clear()
    page = Browser(create_simulator_app().test_client())
    programs = {p["id"]: p for p in page.progress()["stored"]["programs"]}
    assert set(programs) == {"motivate", "direction", "good_things", "together"}
    assert programs["good_things"]["heard"] == []


@pytest.mark.slow
def test_the_command_serves_the_page_on_loopback_and_prints_its_url(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    command = [sys.executable, "-m", "skill", "simulator", "--port", "0"]
    command += ["--db", str(tmp_path / "p.db")]
    command += ["--templates", str(content_with_a_third_program(tmp_path))]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = r"(http://127\.0\.0\.1:\d+/simulator/)"
        found = re.match(rf"Ally Coach simulator: {url}$", first.strip())
        assert found, first
        page_url = found.group(1)
        with urllib.request.urlopen(page_url, timeout=10) as response:
            html = response.read().decode("utf-8")
        token = re.search(r'name="simulator-token" content="([^"]+)"', html)
        assert token
        home = page_url.removesuffix("simulator/")
        with urllib.request.urlopen(home, timeout=10) as response:
            assert response.url == page_url  # / leads to the page
        asked = urllib.request.Request(
            page_url + "api/progress", headers={TOKEN_HEADER: token.group(1)}
        )
        with urllib.request.urlopen(asked, timeout=10) as response:
            progress = json.loads(response.read())
        # --templates: the skill speaks from that folder, with its third program.
        assert "good_things" in [p["id"] for p in progress["stored"]["programs"]]
    finally:
        process.terminate()
        process.wait(timeout=10)
