"""A call belongs to the caller who placed it, and an ended call stays ended.

Twilio's signature proves a webhook came from Twilio once, not that it is new or that it is
about the caller it names: a captured signed webhook replays byte for byte, and a CallSid is
not a secret. So the line binds each call to its From and To, refuses webhooks for calls it
does not know or that have ended (their tombstones outlive any call), and answers a refused
webhook with a polite hang-up, never with the skill.
"""

from __future__ import annotations

import pytest
from flask import Flask

from skill.channels.phone.calls import MemoryCallStore
from skill.web import create_app

from phone_support import Caller, Heard, Recorder, Recording, line_config

ALICE = "+15551234567"
MALLORY = "+15559876543"


@pytest.fixture
def calls() -> MemoryCallStore:
    return MemoryCallStore()


@pytest.fixture
def app(turns: Recorder, calls: MemoryCallStore) -> Flask:
    return create_app(line_config(turns, calls))


def refused(heard: Heard) -> bool:
    return heard.hung_up and heard.text.startswith("Sorry, I can't go on with this call.")


def finish_tip_one(app: Flask) -> Recording:
    alice = Recording(app)
    alice.dial()
    assert "Tip 1." in alice.say("yes").text
    alice.give_pin()
    return alice


# --- replays of an ended call ----------------------------------------------------------------


@pytest.mark.parametrize("ending", ["goodbye", "status callback"])
def test_replayed_gathers_of_an_ended_call_cannot_forget_the_callers_progress(
    app: Flask, turns: Recorder, calls: MemoryCallStore, ending: str
) -> None:
    alice = finish_tip_one(app)
    asked = alice.say("forget my progress")
    assert "Should I delete it?" in asked.text and asked.listening
    assert alice.say("no").listening  # kept: the caller changed their mind
    if ending == "goodbye":
        assert alice.say("stop").hung_up
    else:
        assert alice.hang_up().status_code == 204
    assert calls.is_ended(alice.call_sid)
    handled = len(turns.commands)

    # The two captured webhooks that, replayed in this order, used to delete everything.
    for index in (alice.find("forget my progress"), alice.find("yes")):
        assert refused(alice.replay(index))
    assert refused(alice.replay(0))  # the greeting webhook, too
    assert len(turns.commands) == handled, "a replay reached the skill"

    again = Caller(app, ALICE)
    again.dial()
    back = again.give_pin()
    assert "Welcome back to Ally Coach." in back.text
    assert "Last time, you finished tip 1," in back.text


def test_a_tombstone_outlives_any_call(calls: MemoryCallStore) -> None:
    # Twilio ends a call after 4 hours unless told otherwise; replays are refused far longer.
    assert calls.tombstone_seconds >= 7 * 24 * 3600
    assert calls.max_tombstones >= 10 * calls.max_calls


# --- another caller's CallSid ------------------------------------------------------------------


def test_a_signed_webhook_with_another_callers_call_sid_drives_nothing(
    app: Flask, turns: Recorder
) -> None:
    alice = finish_tip_one(app)
    mallory = Caller(app, MALLORY)
    mallory.call_sid = alice.call_sid  # Twilio signed it; the CallSid is Alice's
    handled = len(turns.commands)
    for words in ("forget my progress", "yes"):
        assert refused(mallory.say(words))
    assert refused(mallory.press("0"))
    assert refused(mallory._heard("/phone/voice", CallStatus="ringing"))
    assert mallory.hang_up().status_code == 204  # and cannot end Alice's call either
    assert len(turns.commands) == handled

    # Alice's call goes on where it was.
    heard = alice.say("next")
    assert heard.step == 2 and heard.listening


def test_the_called_number_is_part_of_the_binding(app: Flask, turns: Recorder) -> None:
    alice = finish_tip_one(app)
    handled = len(turns.commands)
    params = alice.params(SpeechResult="next", To="+15550000001", Called="+15550000001")
    response = alice.post("/phone/gather", params)
    heard = Heard(response.status_code, response.get_data(as_text=True))
    assert refused(heard) and len(turns.commands) == handled


# --- calls the line never saw ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/phone/gather", "/phone/gather?resume=0123456789abcdef"])
def test_a_gather_for_an_unknown_call_is_refused(app: Flask, turns: Recorder, path: str) -> None:
    stranger = Caller(app)
    stranger.call_sid = "CA" + "7" * 32
    stranger.next_path = path
    assert refused(stranger.say("forget my progress"))
    assert refused(stranger.silence())
    assert stranger.hang_up().status_code == 204
    assert turns.commands == []


def test_a_refused_call_still_hears_the_safety_answer(app: Flask, turns: Recorder) -> None:
    # A real caller whose call state was lost must not be turned away without help.
    lost = Caller(app)
    lost.call_sid = "CA" + "8" * 32
    heard = lost.say("my husband hits me")
    assert heard.hung_up and "you deserve to be safe" in heard.text
    assert "Sorry, I can't go on" not in heard.text
    assert turns.commands == []


@pytest.mark.parametrize("call_sid", ["CA" + "1" * 100, "CA../../x", "CA 12"])
def test_a_malformed_call_sid_is_a_bad_request(app: Flask, call_sid: str) -> None:
    caller = Caller(app)
    caller.call_sid = call_sid
    assert caller.post("/phone/voice", caller.params()).status_code == 400
