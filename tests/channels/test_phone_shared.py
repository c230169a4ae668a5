"""The phone line on several instances sharing DynamoDB (moto): turns of one call land on
whichever instance is free, webhooks of one call race, and the store fails under them.

Each app here stands for a process of its own: its own Flask app, its own skill (with its own
DynamoDB progress store) and its own call store client, chosen by ``PHONE_CALLS_TABLE_NAME``
as a deployment chooses it. Only the tables are shared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from moto import mock_aws

from skill.channels.phone import dynamodb_calls
from skill.channels.phone.dynamodb_calls import DynamoDbCallStore
from skill.config import ENV_PUBLIC_BASE_URL, ENV_TWILIO_AUTH_TOKEN, get_settings
from skill.core.dialog import Action, Command
from skill.service.turns import TurnService
from skill.speech.programs import get_catalog
from skill.speech.render import get_speech
from skill.store import dynamodb as progress_dynamodb
from skill.store.dynamodb import DynamoDbProgressStore
from skill.web import create_app

from phone_support import (
    BASE,
    CALLS_TABLE,
    NUMBER,
    TOKEN,
    Caller,
    Faults,
    Heard,
    Recorder,
    aws_client,
)
from support import set_fake_aws

PROGRESS_TABLE = "ally-coach-progress-test"
KEYPAD_LINE = "use your phone's keypad"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv(ENV_TWILIO_AUTH_TOKEN, raising=False)
    monkeypatch.delenv(ENV_PUBLIC_BASE_URL, raising=False)
    set_fake_aws(monkeypatch, tmp_path)
    get_settings.cache_clear()
    with mock_aws():
        client = aws_client("dynamodb")
        progress_dynamodb.create_table(client, PROGRESS_TABLE)
        dynamodb_calls.create_table(client, CALLS_TABLE)
        yield
    get_settings.cache_clear()


def instance(**config: Any) -> tuple[Flask, Recorder]:
    """One process of the phone line: its own turn service, store clients and app."""
    store = DynamoDbProgressStore(PROGRESS_TABLE, client=aws_client("dynamodb"))
    recorder = Recorder(TurnService(store, get_catalog()))
    settings: dict[str, Any] = {
        "VERIFY_REQUESTS": False,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "PHONE_TURN_SERVICE": recorder,
        "PHONE_CALLS_TABLE_NAME": CALLS_TABLE,
        "PHONE_BUSY_WAIT_SECONDS": 0.2,
        **config,
    }
    return create_app(settings), recorder


class Roaming(Caller):
    """A caller whose webhooks land on the instances in turn, as a load balancer spreads them."""

    def __init__(self, apps: list[Flask], number: str = NUMBER) -> None:
        super().__init__(apps[0], number)
        self.clients = [app.test_client() for app in apps]
        self.sent = 0

    def post(
        self,
        path: str,
        params: dict[str, str],
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        self.client = self.clients[self.sent % len(self.clients)]
        self.sent += 1
        return super().post(path, params, signature, headers)


def raw_call(call_sid: str) -> dict[str, Any]:
    item = aws_client("dynamodb").get_item(
        TableName=CALLS_TABLE, Key={"call_sid": {"S": call_sid}}, ConsistentRead=True
    )
    return dict(item.get("Item") or {})


# --- one call, two instances ---------------------------------------------------------------


def test_a_call_alternating_between_two_instances_completes_the_walkthrough() -> None:
    (one, first), (two, second) = instance(), instance()
    caller = Roaming([one, two])

    greeting = caller.dial()  # instance one
    assert greeting.text.startswith("Welcome to Ally Coach.") and KEYPAD_LINE in greeting.text
    assert caller.say("yes").step == 1  # two
    # Silence counting carries across instances: the reprompt, then the options.
    first_silence = caller.silence()  # one
    assert first_silence.text == (
        "Would you like to try a short practice? Say yes. Or say next, for the next tip."
    )
    second_silence = caller.silence()  # two
    assert second_silence.text.startswith("Sorry, I didn't hear anything.")
    practice = caller.press("7")  # one; a key resets the count
    assert "Let's practice." in practice.text and "Do you have a sentence" in practice.text
    assert "Shall we go on to tip 2?" in caller.press("7").text  # two
    heard = caller.say("yes")  # one
    assert heard.step == 2
    for n in range(3, 6):
        heard = caller.say("next")
        assert heard.step == n, heard.text  # no turn lost, none run twice
    assert "That was the last of the five tips." in caller.say("next").text
    assert caller.silence().text.startswith("Would you like")  # count restarted at one
    assert "kept with this PIN" in caller.give_pin().text  # on both instances, in turn
    goodbye = caller.say("stop")
    assert goodbye.hung_up and "Take care" in goodbye.text  # all heard: no place to remember

    # Both instances served the call; the keypad was announced once in all.
    assert first.commands and second.commands
    assert sum(KEYPAD_LINE in h.text for h in caller.log) == 1
    item = raw_call(caller.call_sid)
    assert item["ended"] == {"BOOL": True} and "state" not in item

    # Progress is in the shared progress table: ringing back, on either instance.
    again = Caller(two)
    again.dial()
    assert "Welcome back to Ally Coach." in again.give_pin().text


def test_the_default_without_a_table_is_memory_and_with_one_dynamodb() -> None:
    from skill.channels.phone.calls import MemoryCallStore

    app, _ = instance()
    Caller(app).dial()
    assert isinstance(app.extensions["ally_coach_phone_calls"], DynamoDbCallStore)
    memory, _ = instance(PHONE_CALLS_TABLE_NAME="")
    Caller(memory).dial()
    assert isinstance(memory.extensions["ally_coach_phone_calls"], MemoryCallStore)


def test_the_table_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHONE_CALLS_TABLE_NAME", CALLS_TABLE)
    get_settings.cache_clear()
    app, _ = instance(PHONE_CALLS_TABLE_NAME=...)
    app.config.pop("PHONE_CALLS_TABLE_NAME")
    caller = Caller(app)
    caller.dial()
    assert raw_call(caller.call_sid)["version"] == {"N": "2"}


# --- webhooks of one call racing ------------------------------------------------------------


class Gate:
    """Holds a turn service inside a turn until the test lets it go."""

    def __init__(self, inner: TurnService) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.go = threading.Event()
        self.armed = False

    def run(self, caller: Any, session: Any, command: Command, **kwargs: Any) -> Any:
        if self.armed and command.action is not Action.LAUNCH:
            self.armed = False
            self.entered.set()
            assert self.go.wait(10), "the test never let the turn finish"
        return self.inner.run(caller, session, command, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def in_thread(work: Callable[[], Heard]) -> tuple[threading.Thread, list[Heard]]:
    out: list[Heard] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    return thread, out


def test_a_second_gather_for_a_running_turn_waits_then_runs_no_second_turn() -> None:
    """Two webhooks naming the same turn (a retry, or a capture posted again during the
    call): one runs; the other waits ("one moment"), then takes no turn of its own."""
    (one, first), (two, second) = instance(), instance()
    gate = Gate(first.inner)
    first.inner = gate
    caller = Caller(one)
    caller.dial()
    other = Caller(two)
    other.call_sid, other.next_path = caller.call_sid, caller.next_path

    gate.armed = True
    thread, out = in_thread(lambda: caller.say("yes"))  # instance one, held in the skill
    assert gate.entered.wait(10)
    held = other.say("yes")  # the same turn on instance two: busy past its wait
    assert held.holding and held.text == "One moment."
    assert "resume=" in held.next_url
    gate.go.set()
    thread.join(10)
    assert "Tip 1." in out[0].text

    # Twilio follows the redirect after "one moment": that turn is taken, so no second one.
    resumed = other.follow()
    assert resumed.listening and "Could you say that again?" in resumed.text
    assert second.commands == []
    assert raw_call(caller.call_sid)["deferred"] == {"M": {}}  # its input went with it
    assert "Tip 2." in other.say("next").text  # and the call goes on, on the turn it is on


def test_a_second_gather_that_finds_the_call_free_within_its_wait_runs_no_second_turn() -> None:
    (one, first), (two, second) = instance(), instance(PHONE_BUSY_WAIT_SECONDS=5.0)
    gate = Gate(first.inner)
    first.inner = gate
    caller = Caller(one)
    caller.dial()
    other = Caller(two)
    other.call_sid, other.next_path = caller.call_sid, caller.next_path

    gate.armed = True
    thread, out = in_thread(lambda: caller.say("yes"))
    assert gate.entered.wait(10)
    waiting, late = in_thread(lambda: other.say("yes"))
    threading.Timer(0.3, gate.go.set).start()
    thread.join(10)
    waiting.join(10)
    assert "Tip 1." in out[0].text
    assert not late[0].holding and "Could you say that again?" in late[0].text
    assert second.commands == []


def test_a_hang_up_during_a_turn_ends_the_call_when_the_turn_is_done() -> None:
    (one, first), (two, _) = instance(), instance()
    gate = Gate(first.inner)
    first.inner = gate
    caller = Caller(one)
    caller.dial()
    caller.say("yes")
    caller.give_pin()
    other = Caller(two)
    other.call_sid = caller.call_sid

    gate.armed = True
    thread, out = in_thread(lambda: caller.say("next"))
    assert gate.entered.wait(10)
    assert other.hang_up().status_code == 204  # status callback on instance two, meanwhile
    gate.go.set()
    thread.join(10)
    assert "Tip 2." in out[0].text
    # Instance one closed the session for the status callback it never saw.
    assert first.actions[-2:] == ["next", "session_ended"]
    assert raw_call(caller.call_sid)["ended"] == {"BOOL": True}
    again = Caller(two)
    again.dial()
    assert "Last time, you finished tip 2," in again.give_pin().text


# --- the store failing ---------------------------------------------------------------------


def faulty_instance() -> tuple[Flask, Faults]:
    faults = Faults(aws_client("dynamodb"))
    store = DynamoDbCallStore(CALLS_TABLE, client=faults, sleep=lambda s: None)
    app, _ = instance(PHONE_CALL_STORE=store)
    return app, faults


def test_throttling_on_every_other_request_loses_nothing() -> None:
    app, faults = faulty_instance()
    faults.every = 2
    caller = Caller(app)
    assert caller.dial().listening
    for n, words in enumerate(("yes", "next", "next", "next", "next"), start=1):
        heard = caller.say(words)
        assert heard.step == n, heard.text
    assert caller.silence().listening
    assert caller.silence().text.startswith("Sorry, I didn't hear anything.")
    assert caller.say("stop").hung_up
    assert faults.failed >= 8
    assert raw_call(caller.call_sid)["ended"] == {"BOOL": True}


def test_timeouts_mixed_with_throttling_lose_nothing() -> None:
    app, faults = faulty_instance()
    caller = Caller(app)
    faults.plan = ["timeout", None, "ThrottlingException"]
    assert caller.dial().listening
    faults.plan = ["timeout", "timeout", None, "InternalServerError"]
    assert caller.say("yes").step == 1
    assert caller.say("next").step == 2


def test_a_store_outage_is_an_apology_and_the_call_goes_on_when_it_is_back() -> None:
    app, faults = faulty_instance()
    caller = Caller(app)
    caller.dial()
    assert caller.say("yes").step == 1
    faults.down = True
    sorry = caller.say("next")
    assert sorry.listening and sorry.text == (
        "Sorry, I'm having a little trouble on my side. Could you say that again?"
    )
    assert "/phone/gather?trouble=1&turn=" in sorry.next_url
    faults.down = False
    heard = caller.say("next")  # said again: runs once, where the call was
    assert "Tip 2." in heard.text and "trouble" not in heard.next_url


def test_a_long_outage_ends_the_call_politely_without_promising_anything() -> None:
    app, faults = faulty_instance()
    caller = Caller(app)
    caller.dial()
    faults.down = True
    assert caller.say("yes").listening
    assert caller.say("yes").listening
    goodbye = caller.say("yes")
    assert goodbye.hung_up
    assert goodbye.text.startswith("I'm sorry, I'm having trouble on my side")
    assert "remember" not in goodbye.text and "saved" not in goodbye.text


def test_a_disclosure_during_an_outage_gets_the_safety_answer() -> None:
    app, faults = faulty_instance()
    caller = Caller(app)
    caller.dial()
    faults.down = True
    heard = caller.say("I'm scared of my partner")
    assert heard.hung_up and "you deserve to be safe" in heard.text


def test_an_outage_as_the_call_comes_in_is_an_apology_not_an_error() -> None:
    app, faults = faulty_instance()
    faults.down = True
    heard = Caller(app).dial()
    assert heard.hung_up and heard.text.startswith("I'm sorry, I'm having trouble on my side")


def test_a_turn_whose_state_could_not_be_written_is_written_before_the_next() -> None:
    app, faults = faulty_instance()
    caller = Caller(app)
    caller.dial()
    assert caller.say("yes").step == 1
    # The claim goes through, the skill answers, then the write fails for good.
    faults.plan = [None] + ["timeout"] * 20
    heard = caller.say("next")
    assert heard.step == 2 and heard.listening  # the caller hears the real answer
    faults.plan = []
    assert caller.say("next").step == 3  # the turn before was kept, not lost


def test_the_skill_failing_mid_call_still_ends_it_politely() -> None:
    class Broken(TurnService):
        def run(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("skill on fire")

    store = DynamoDbProgressStore(PROGRESS_TABLE, client=aws_client("dynamodb"))
    app, _ = instance(PHONE_TURN_SERVICE=Broken(store, get_catalog()))
    heard = Caller(app).dial()
    assert heard.hung_up and "something went wrong on my side" in heard.text


def test_phone_views_speak_in_every_locale() -> None:
    for locale in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN"):
        for view, data in (
            ("phone_busy", {}),
            ("phone_refused", {}),
            ("phone_trouble", {"attempt": 1, "last": False}),
            ("phone_trouble", {"attempt": 3, "last": True}),
        ):
            assert get_speech().render(locale, view, data).speech
