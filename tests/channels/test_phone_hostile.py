"""The phone line against what a careful attacker (or a bad day) brings: captured gathers
posted again during a live call, a spoofed caller ID, a disclosure while the call is busy,
a transcript of 60 KB, PIN guessing, and a deployment without its pepper. On both call
stores where the store matters."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from moto import mock_aws

from skill.channels.phone import dynamodb_calls, parameters
from skill.channels.phone.calls import CallStore, MemoryCallStore, new_lease
from skill.channels.phone.dynamodb_calls import DynamoDbCallStore
from skill.channels.phone.identity import caller_binding
from skill.channels.phone.pin import MAX_TRIES_PER_CALL, MAX_TRIES_PER_DAY
from skill.channels.phone.settings import PhoneLineMisconfigured
from skill.config import (
    ENV_PHONE_CALLER_PEPPER,
    ENV_PHONE_CALLER_PEPPER_PARAMETER,
    ENV_PHONE_CARRY_PROGRESS,
    get_settings,
)
from skill.web import create_app

from phone_support import (
    CALLS_TABLE,
    NUMBER,
    PEPPER,
    Caller,
    Recorder,
    Recording,
    aws_client,
    line_config,
)
from support import SAFETY_NUMBERS, set_fake_aws

TO = "+15557654321"


@pytest.fixture(params=["memory", "dynamodb"])
def calls(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[CallStore]:
    if request.param == "memory":
        yield MemoryCallStore()
        return
    set_fake_aws(monkeypatch, tmp_path)
    with mock_aws():
        dynamodb_calls.create_table(aws_client("dynamodb"), CALLS_TABLE)
        yield DynamoDbCallStore(CALLS_TABLE, client=aws_client("dynamodb"))


def line_app(turns: Recorder, calls: CallStore, **config: Any) -> Flask:
    return create_app(line_config(turns, calls, PHONE_BUSY_WAIT_SECONDS=0.05, **config))


@pytest.fixture
def app(turns: Recorder, calls: CallStore) -> Flask:
    return line_app(turns, calls)


def busy_call(app: Flask, calls: CallStore) -> Caller:
    """A call in progress whose lease another webhook holds (a turn running elsewhere)."""
    caller = Caller(app)
    caller.dial()
    binding = caller_binding({"From": caller.number, "To": TO}, PEPPER)
    assert calls.claim(caller.call_sid, binding, new_lease()).status.value == "claimed"
    return caller


def deferred(calls: CallStore, call_sid: str) -> dict[str, Any]:
    if isinstance(calls, MemoryCallStore):
        state = calls.get(call_sid)
        assert state is not None
        return state.deferred
    item = aws_client("dynamodb").get_item(
        TableName=CALLS_TABLE, Key={"call_sid": {"S": call_sid}}, ConsistentRead=True
    )["Item"]
    return dict((item.get("deferred") or {}).get("M") or {})


# --- a captured gather, posted again during the call -----------------------------------------


def test_a_captured_gather_posted_again_during_the_call_drives_no_turn(
    app: Flask, turns: Recorder
) -> None:
    caller = Recording(app)
    caller.dial()
    assert "Tip 1." in caller.say("yes").text
    assert "Tip 2." in caller.say("next").text
    captured = len(caller.captured) - 1
    turns_before = len(turns.commands)

    for _ in range(3):
        again = caller.replay(captured)
        assert "Tip" not in again.text and not again.hung_up

    assert len(turns.commands) == turns_before, "a replayed gather ran a turn"
    assert "Tip 3." in caller.say("next").text  # not tip 5: the call is where it was


# --- safety on the busy path ---------------------------------------------------------------


def test_a_disclosure_while_the_call_is_busy_gets_the_safety_answer(
    app: Flask, calls: CallStore
) -> None:
    caller = busy_call(app, calls)

    heard = caller.say("my husband hits me and I'm scared")
    for _ in range(5):  # "one moment"s, if any, until the line answers
        if not heard.holding:
            break
        heard = caller.follow()

    emergency, helpline, _ = SAFETY_NUMBERS["en-US"]
    assert helpline in heard.text and emergency in heard.text
    assert "trouble" not in heard.text
    assert deferred(calls, caller.call_sid) == {}  # never left with the call


def test_words_left_with_a_busy_call_go_when_the_line_gives_up(
    app: Flask, calls: CallStore
) -> None:
    caller = busy_call(app, calls)

    held = caller.say("next please")
    assert held.holding and len(deferred(calls, caller.call_sid)) == 1
    while held.holding:
        held = caller.follow()

    assert "Could you say that again?" in held.text
    assert deferred(calls, caller.call_sid) == {}  # not kept beyond the turn that gave up


# --- long speech ------------------------------------------------------------------------------


@pytest.mark.parametrize("calls", ["memory"], indirect=True)
def test_a_60_kb_transcript_is_answered_well_within_twilios_15_seconds(app: Flask) -> None:
    caller = Caller(app)
    caller.dial()
    # Words in no vocabulary, each one the ear tries to correct (the costly case).
    rng = random.Random(23)
    words = [
        "".join(rng.choices("abcdefghiklmnoprstuvw", k=rng.randint(5, 9))) for _ in range(8500)
    ]
    transcript = " ".join(words)[:61_000]
    assert len(transcript) >= 60_000

    started = time.monotonic()
    heard = caller.say(transcript)
    took = time.monotonic() - started

    assert took < 5.0, f"{took:.1f} s"
    assert heard.listening  # an answer, not a timeout


# --- caller ID is not identity ------------------------------------------------------------------


def test_a_spoofed_caller_id_hears_nothing_of_earlier_calls_and_cannot_forget_them(
    app: Flask,
) -> None:
    alice = Caller(app)
    alice.dial()
    alice.say("yes")
    alice.give_pin()
    alice.say("next")
    alice.say("stop")

    spoofer = Caller(app, NUMBER)  # Alice's number, from someone else's phone
    welcome = spoofer.dial()
    assert welcome.text.startswith("Welcome to Ally Coach. I'm here")
    assert "Tip 2" not in spoofer.say("where am I").text
    forget = spoofer.say("forget my progress")
    assert "enter your PIN" in forget.text and "Should I delete it?" not in forget.text
    assert "Welcome back" not in spoofer.give_pin("1357").text  # a wrong PIN: an empty vault
    spoofer.say("stop")

    back = Caller(app)
    back.dial()
    assert "Last time, you finished tip 2," in back.give_pin().text


def test_forgetting_asks_for_the_pin_and_then_deletes_what_it_kept(app: Flask) -> None:
    alice = Caller(app)
    alice.dial()
    alice.say("yes")
    alice.give_pin()
    alice.say("stop")

    again = Caller(app)
    again.dial()
    assert "enter your PIN" in again.say("forget my progress").text
    again.give_pin()
    assert "Should I delete it?" in again.say("forget my progress").text
    assert again.say("yes").hung_up

    last = Caller(app)
    last.dial()
    assert "Welcome back" not in last.give_pin().text


def test_pin_guesses_are_bounded_per_call_and_per_number(app: Flask) -> None:
    guesses = iter(f"{n:04d}" for n in range(1000, 2000))
    refused = 0
    for _ in range(MAX_TRIES_PER_DAY // MAX_TRIES_PER_CALL + 2):
        caller = Caller(app)
        caller.dial()
        for attempt in range(MAX_TRIES_PER_CALL + 1):
            asked = caller.press("*")
            if not asked.asks_for_pin:
                assert attempt == MAX_TRIES_PER_CALL or "today" in asked.text
                refused += 1
                break
            heard = caller.press(next(guesses))
            if "today" in heard.text:
                refused += 1
                break
            if heard.asks_for_pin:  # an empty vault asks to confirm: the guesser moves on
                caller.silence()
        caller.press("0")
    assert refused >= 2
    last = Caller(app)
    last.dial()
    last.press("*")
    assert "today" in last.press("2222").text


def test_with_carrying_off_every_call_starts_fresh(turns: Recorder, calls: CallStore) -> None:
    app = line_app(turns, calls, PHONE_CARRY_PROGRESS="off")
    first = Caller(app)
    first.dial()
    first.say("yes")
    assert "doesn't keep progress between calls" in first.press("*").text
    first.say("stop")
    assert Caller(app).dial().text.startswith("Welcome to Ally Coach. I'm here")


# --- the pepper -------------------------------------------------------------------------


@pytest.mark.parametrize("calls", ["memory"], indirect=True)
def test_a_line_with_a_token_refuses_to_start_without_its_pepper(
    monkeypatch: pytest.MonkeyPatch, turns: Recorder, calls: CallStore
) -> None:
    monkeypatch.delenv(ENV_PHONE_CALLER_PEPPER)
    get_settings.cache_clear()
    with pytest.raises(PhoneLineMisconfigured, match="PHONE_CALLER_PEPPER"):
        line_app(turns, calls)
    with pytest.raises(PhoneLineMisconfigured, match="at least 16"):
        line_app(turns, calls, PHONE_CALLER_PEPPER="short")
    with pytest.raises(PhoneLineMisconfigured, match="PHONE_CARRY_PROGRESS"):
        line_app(turns, calls, PHONE_CALLER_PEPPER=PEPPER, PHONE_CARRY_PROGRESS="always")
    # The unsigned development line (no token) starts, on its development pepper.
    dev = line_app(turns, calls, TWILIO_AUTH_TOKEN="", PHONE_ALLOW_UNSIGNED=True)
    client = dev.test_client()
    form = {"CallSid": "CA" + "5" * 32, "From": NUMBER, "To": TO}
    assert "Welcome to Ally Coach" in client.post("/phone/voice", data=form).get_data(as_text=True)


@pytest.mark.parametrize("calls", ["memory"], indirect=True)
def test_the_pepper_can_come_from_an_ssm_secure_string(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, turns: Recorder, calls: CallStore
) -> None:
    monkeypatch.delenv(ENV_PHONE_CALLER_PEPPER)
    monkeypatch.setenv(ENV_PHONE_CALLER_PEPPER_PARAMETER, "/ally-coach/phone-caller-pepper")
    monkeypatch.delenv(ENV_PHONE_CARRY_PROGRESS, raising=False)
    set_fake_aws(monkeypatch, tmp_path)
    get_settings.cache_clear()
    parameters.forget()
    with mock_aws():
        app = line_app(turns, calls)  # starts: the parameter is read on the first webhook
        caller = Caller(app)
        down = caller.dial()  # no such parameter yet: nothing touched, an apology
        assert down.hung_up and "something went wrong on my side" in down.text
        assert turns.commands == []
        aws_client("ssm").put_parameter(
            Name="/ally-coach/phone-caller-pepper", Value="p" * 32, Type="SecureString"
        )
        parameters.forget()
        assert Caller(app).dial().listening
    parameters.forget()
