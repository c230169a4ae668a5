"""The phone line end to end: signed Twilio webhooks through the Flask app into the skill."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from skill.channels.phone.call import KEYPAD
from skill.channels.phone.calls import MemoryCallStore
from skill.channels.phone.guard import MAX_FORM_BYTES
from skill.channels.phone.identity import line_key, vault_user_id
from skill.config import ENV_PUBLIC_BASE_URL, ENV_TWILIO_AUTH_TOKEN, get_settings
from skill.digest import short_hash
from skill.service.turns import TurnService
from skill.speech.programs import get_catalog
from skill.speech.render import get_speech
from skill.store.sqlite import SqliteProgressStore
from skill.web import create_app

from phone_support import BASE, NUMBER, PEPPER, PIN, TOKEN, Caller, Recorder

AppFactory = Callable[..., Flask]


@pytest.fixture
def calls() -> MemoryCallStore:
    return MemoryCallStore()


@pytest.fixture
def make_app(turns: Recorder, calls: MemoryCallStore) -> AppFactory:
    def factory(**overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "VERIFY_REQUESTS": False,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": BASE,
            "PHONE_TURN_SERVICE": turns,
            "PHONE_CALL_STORE": calls,
            **overrides,
        }
        # An override of ... removes the key, for "not configured at all".
        return create_app({k: v for k, v in config.items() if v is not ...})

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def caller(app: Flask) -> Caller:
    return Caller(app)


def keypad_line() -> str:
    return get_speech().render("en-US", "phone_keypad", {"unknown": False}).speech or ""


# --- whole calls ----------------------------------------------------------------------------


def test_the_default_app_registers_the_phone_routes(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/phone/voice", "/phone/gather", "/phone/status"} <= rules


def test_a_whole_call_by_speech(caller: Caller, calls: MemoryCallStore) -> None:
    greeting = caller.dial()
    assert greeting.text.startswith("Welcome to Ally Coach.")
    assert "use your phone's keypad" in greeting.text
    # After the keypad list, the question comes again: it was buried under the list.
    assert greeting.text.endswith(
        "Would you like to hear the five tips? Say yes. Or say, set my direction."
    )
    assert greeting.says[0].get("voice") == "Polly.Joanna-Neural"
    assert greeting.gather is not None and greeting.gather.get("language") == "en-US"

    heard = caller.say("Yes.")
    assert "Tip 1. Focus on the relationship" in heard.text
    for n, words in zip(range(2, 6), ("No thanks.", "no", "Nope", "No."), strict=True):
        heard = caller.say(words)
        assert heard.step == n, heard.text
        assert heard.listening
    heard = caller.say("next")
    assert "That was the last of the five tips." in heard.text
    goodbye = caller.say("No, thank you.")
    assert goodbye.hung_up and "Take care" in goodbye.text
    assert len(calls) == 0  # the call's state goes with the call

    announced = [h for h in caller.log if "use your phone's keypad" in h.text]
    assert len(announced) == 1


def test_a_whole_call_by_keypad(caller: Caller, turns: Recorder) -> None:
    caller.dial()
    assert caller.press("1").step == 1
    practice = caller.press("7")  # one piece: its silences are <Pause>s, its question last
    assert "Let's practice." in practice.text and "Do you have a sentence" in practice.text
    assert "Shall we go on to tip 2?" in caller.press("7").text
    assert caller.press("1").step == 2
    assert caller.press("2").step == 2  # repeat
    assert caller.press("3").step == 1  # back
    for n in range(2, 6):
        assert f"Tip {n}." in caller.press("1").text
    assert "That was the last of the five tips." in caller.press("1").text
    assert "To finish, say stop." in caller.press("9").text  # help
    goodbye = caller.press("0")
    # Every tip is heard: no place left to remember, so none is promised.
    assert goodbye.hung_up and "Take care" in goodbye.text
    assert "I'll remember" not in goodbye.text
    assert "use your phone's keypad" not in " ".join(h.text for h in caller.log[1:])
    assert turns.actions[:3] == ["launch", "next", "yes"]
    assert turns.actions[-2:] == ["help", "stop"]


def test_every_practice_is_one_piece_of_says_and_pauses(caller: Caller) -> None:
    """Each tip's practice and the reflection: one answer, its silences real <Pause>s (some
    longer than SSML's ten seconds), no "say ready" in it, its question last."""
    caller.dial()
    pieces = []
    for n in range(1, 6):
        caller.say(f"tip {n}")
        pieces.append(caller.say("yes"))
        caller.say("yes")  # its question
    pieces.append(caller.say("set my direction"))
    for heard in pieces:
        gather = heard.gather
        assert gather is not None
        verbs = [child.tag for child in gather]
        pauses = [int(p.get("length", "0")) for p in gather.iter("Pause")]
        assert verbs[0] == "Say" and "Pause" in verbs, verbs
        assert max(pauses) > 10, pauses
        assert "ready" not in heard.text.lower()
        last_say = [child for child in gather if child.tag == "Say"][-1]
        assert "".join(last_say.itertext()).strip().endswith("?")


def test_an_unknown_key_explains_the_keypad_without_bothering_the_skill(
    caller: Caller, turns: Recorder
) -> None:
    caller.dial()
    before = len(turns.commands)
    heard = caller.press("5")
    assert heard.text.startswith("That key doesn't do anything here.")
    assert "Press 9 for help" in heard.text
    assert heard.text.endswith("Say yes. Or say, set my direction.")  # the open question
    assert len(turns.commands) == before
    assert caller.press("7").step == 1  # the call goes on as before


def test_the_keypad_template_announces_exactly_the_keys_the_line_handles() -> None:
    line = keypad_line()
    assert sorted(re.findall(r"\b(\d)\b", line)) == sorted(KEYPAD)
    for sentence in re.split(r"(?<=\.)\s+", line):
        assert len(re.findall(r"\b\d\b", sentence)) <= 3, sentence


# --- silence --------------------------------------------------------------------------------


def test_silence_reprompts_then_lists_options_then_says_goodbye(
    caller: Caller, turns: Recorder, calls: MemoryCallStore
) -> None:
    caller.dial()
    caller.say("yes")
    first = caller.silence()
    assert first.listening
    assert (
        first.text == "Would you like to try a short practice? Say yes. Or say next, for the "
        "next tip."
    )
    second = caller.silence()
    assert second.listening
    assert second.text.startswith("Sorry, I didn't hear anything.")
    assert "Press 7 for yes, or 8 for no." in second.text
    assert second.text.endswith("Say yes. Or say next, for the next tip.")
    third = caller.silence()
    assert third.hung_up and not third.listening
    assert "Take care of yourself." in third.text
    assert [e.tag for e in third.root] == ["Say", "Pause", "Hangup"]
    # The session ends as when Alexa's reprompts run out, so the skill saves anything unsaved.
    assert turns.actions[-1] == "session_ended"
    assert len(calls) == 0


def test_speaking_resets_the_silence_count(caller: Caller) -> None:
    caller.dial()
    caller.silence()
    caller.silence()
    assert caller.say("yes").step == 1
    again = caller.silence()
    assert again.listening and again.text.startswith("Would you like to try a short practice?")


@pytest.mark.parametrize("empty", ["", "   ", "...", "?"])
def test_an_empty_or_wordless_result_counts_as_silence(caller: Caller, empty: str) -> None:
    caller.dial()
    heard = caller.say(empty)
    assert heard.text == "Would you like to hear the five tips? Say yes. Or say, set my direction."


# --- ringing back ---------------------------------------------------------------------------


def test_ringing_back_with_the_pin_resumes_where_the_caller_left_off(app: Flask) -> None:
    first = Caller(app)
    first.dial()
    first.say("yes please")
    assert "Your progress is now kept with this PIN." in first.give_pin().text
    first.say("next")
    assert first.say("next tip").step == 3
    assert first.say("stop").hung_up

    again = Caller(app)
    assert again.dial().text.startswith("Welcome to Ally Coach. I'm here")  # the number alone
    back = again.give_pin()
    assert back.text.startswith("Thank you.") and "Welcome back to Ally Coach." in back.text
    assert "Last time, you finished tip 3," in back.text
    assert "Shall we go on with tip 4?" in back.text

    stranger = Caller(app, "+15550000000")
    stranger.dial()
    assert "Welcome back" not in stranger.give_pin().text  # the same PIN, another number


def test_hanging_up_mid_call_keeps_progress_and_frees_the_call(
    app: Flask, calls: MemoryCallStore, turns: Recorder
) -> None:
    first = Caller(app)
    first.dial()
    first.say("yes")
    first.give_pin()
    first.say("next")
    assert len(calls) == 1
    assert first.hang_up().status_code == 204
    assert len(calls) == 0
    assert turns.actions[-1] == "session_ended"

    again = Caller(app)
    again.dial()
    assert "Last time, you finished tip 2," in again.give_pin().text
    assert "Tip 3." in again.say("yes").text


def test_callers_without_caller_id_never_share_progress(app: Flask) -> None:
    first = Caller(app, "+266696687")  # Twilio's stand-in for "anonymous"
    first.dial()
    first.say("yes")
    first.say("next")
    first.say("stop")
    second = Caller(app, "+266696687").dial()
    assert second.text.startswith("Welcome to Ally Coach. I'm here")


def test_a_lost_call_state_ends_the_call_politely_and_keeps_progress(
    app: Flask, calls: MemoryCallStore, turns: Recorder
) -> None:
    first = Caller(app)
    first.dial()
    first.give_pin()
    first.say("yes")
    first.say("next")
    calls.forget(first.call_sid)  # expired, evicted, or a restart of the only process
    before = len(turns.commands)
    heard = first.say("next")
    # Unknown to the line: it cannot tell a lost call from a replayed one, so it drives
    # nothing and says so, instead of starting a session on a stranger's word.
    assert heard.hung_up and heard.text.startswith("Sorry, I can't go on with this call.")
    assert len(turns.commands) == before
    again = Caller(app)
    again.dial()
    assert "Last time, you finished tip 2," in again.give_pin().text


def test_the_greeting_asked_for_again_restarts_the_same_call(
    caller: Caller, turns: Recorder, calls: MemoryCallStore
) -> None:
    caller.dial()
    assert caller.say("yes").step == 1
    again = caller._heard("/phone/voice", CallStatus="in-progress")  # Twilio asks again
    assert "Welcome back to Ally Coach." in again.text
    assert turns.actions[-2:] == ["session_ended", "launch"]
    assert len(calls) == 1 and caller.say("yes").step == 2


def test_opening_the_skill_again_mid_call_starts_over(caller: Caller, turns: Recorder) -> None:
    caller.dial()
    caller.say("yes")
    heard = caller.say("open ally coach")
    assert "Welcome back to Ally Coach." in heard.text
    assert turns.actions[-2:] == ["session_ended", "launch"]


# --- safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["My husband hits me.", "I'm scared of my partner"])
def test_a_safety_disclosure_gets_the_safety_answer_and_the_line_stays_open(
    caller: Caller, calls: MemoryCallStore, turns: Recorder, words: str
) -> None:
    caller.dial()
    caller.say("yes")
    heard = caller.say(words)
    assert turns.actions[-1] == "safety"
    assert "you deserve to be safe" in heard.text
    assert "1-800-799-7233" in heard.text
    assert "Tip" not in heard.text
    # The caller can say they were misunderstood, or hang up, or ask for the numbers again.
    assert heard.root.find("Gather") is not None and heard.root.find("Hangup") is None
    say_as = heard.root.find("Gather/Say/say-as")
    assert say_as is not None and say_as.get("interpret-as") in {"digits", "telephone"}
    again = caller.say("repeat that")
    assert "Here are the numbers again." in again.text and "1-800-799-7233" in again.text
    bye = caller.say("stop")
    assert bye.root.find("Hangup") is not None
    assert len(calls) == 0


# --- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/phone/voice", "/phone/gather", "/phone/status"])
def test_a_request_without_a_signature_is_forbidden(app: Flask, turns: Recorder, path: str) -> None:
    caller = Caller(app)
    caller.call_sid = "CA" + "1" * 32
    response = app.test_client().post(path, data=caller.params())
    assert response.status_code == 403
    assert turns.commands == []


def test_a_wrong_signature_is_forbidden(app: Flask, turns: Recorder) -> None:
    caller = Caller(app)
    caller.call_sid = "CA" + "1" * 32
    response = caller.post("/phone/voice", caller.params(), signature="bm90IHRoZSBzaWduYXR1cmU=")
    assert response.status_code == 403
    forged = Caller(app, token="someone-elses-token")
    forged.call_sid = caller.call_sid
    assert forged.post("/phone/voice", forged.params()).status_code == 403
    assert turns.commands == []


def test_a_tampered_body_is_forbidden(caller: Caller, turns: Recorder) -> None:
    caller.dial()
    before = len(turns.commands)
    signed = caller.params(SpeechResult="yes")
    path = caller.next_path  # the turn the answer asked for
    signature = caller.validator.compute_signature(BASE + path, signed)
    tampered = {**signed, "SpeechResult": "forget my progress"}
    assert caller.post(path, tampered, signature=signature).status_code == 403
    added = {**signed, "Digits": "0"}
    assert caller.post(path, added, signature=signature).status_code == 403
    assert caller.post(path, signed, signature=signature).status_code == 200
    assert len(turns.commands) == before + 1


def test_the_signature_is_checked_against_the_public_url(app: Flask) -> None:
    # Flask sees http://localhost behind the proxy; Twilio signed the public https URL.
    inner = Caller(app, base="http://localhost")
    inner.call_sid = "CA" + "2" * 32
    assert inner.post("/phone/voice", inner.params()).status_code == 403
    other_path = Caller(app)
    other_path.call_sid = inner.call_sid
    params = other_path.params()
    signature = other_path.validator.compute_signature(BASE + "/phone/gather", params)
    assert other_path.post("/phone/voice", params, signature=signature).status_code == 403


def test_without_a_public_base_url_the_request_url_is_what_was_signed(
    make_app: AppFactory,
) -> None:
    app = make_app(PUBLIC_BASE_URL=...)
    # Twilio resolves a relative action against the URL it requested: right behind any proxy.
    caller = Caller(app, base="http://localhost", action="/phone/gather")
    assert caller.dial().listening
    assert caller.say("yes").step == 1


def test_no_auth_token_fails_closed(make_app: AppFactory, turns: Recorder) -> None:
    app = make_app(TWILIO_AUTH_TOKEN=...)
    caller = Caller(app)
    caller.call_sid = "CA" + "3" * 32
    assert caller.post("/phone/voice", caller.params()).status_code == 403
    assert caller.post("/phone/voice", caller.params(), signature="").status_code == 403
    assert turns.commands == []


def test_the_development_flag_accepts_unsigned_requests_only_without_a_token(
    make_app: AppFactory,
) -> None:
    dev = make_app(TWILIO_AUTH_TOKEN=..., PHONE_ALLOW_UNSIGNED=True)
    params = {"CallSid": "CA" + "4" * 32, "From": NUMBER}
    assert dev.test_client().post("/phone/voice", data=params).status_code == 200
    guarded = make_app(PHONE_ALLOW_UNSIGNED=True)
    assert guarded.test_client().post("/phone/voice", data=params).status_code == 403


def test_token_and_base_url_come_from_the_environment(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_TWILIO_AUTH_TOKEN, "env-token")
    monkeypatch.setenv(ENV_PUBLIC_BASE_URL, BASE + "/")
    get_settings.cache_clear()
    app = make_app(TWILIO_AUTH_TOKEN=..., PUBLIC_BASE_URL=...)
    assert Caller(app, token="env-token").dial().listening
    caller = Caller(app)  # signed with the test token, not the configured one
    caller.call_sid = "CA" + "5" * 32
    assert caller.post("/phone/voice", caller.params()).status_code == 403


def test_a_missing_call_sid_is_a_bad_request(caller: Caller) -> None:
    assert caller.post("/phone/voice", caller.params()).status_code == 400


def test_an_oversized_body_is_refused(caller: Caller) -> None:
    caller.call_sid = "CA" + "6" * 32
    params = caller.params(SpeechResult="x" * (MAX_FORM_BYTES + 1))
    assert caller.post("/phone/gather", params).status_code == 413


# --- voices, locales, the skill ID ----------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "voice", "say_language", "gather_language"),
    [
        ("GB", "Polly.Amy-Neural", "en-GB", "en-GB"),
        ("AU", "Polly.Olivia-Neural", "en-AU", "en-AU"),
        ("IN", "Polly.Kajal-Neural", "en-IN", "en-IN"),
        ("CA", "Polly.Joanna-Neural", "en-US", "en-CA"),
        ("FR", "Polly.Joanna-Neural", "en-US", "en-US"),
    ],
)
def test_the_called_number_sets_voice_and_language(
    app: Flask, country: str, voice: str, say_language: str, gather_language: str
) -> None:
    heard = Caller(app, country=country).dial()
    say = heard.says[0]
    assert (say.get("voice"), say.get("language")) == (voice, say_language)
    assert heard.gather is not None and heard.gather.get("language") == gather_language


def test_voice_and_locale_can_be_configured(make_app: AppFactory) -> None:
    app = make_app(PHONE_VOICE="Polly.Joanna", PHONE_LOCALE="en-GB")
    heard = Caller(app).dial()
    assert heard.says[0].get("voice") == "Polly.Joanna"
    assert heard.gather is not None and heard.gather.get("language") == "en-GB"


def test_the_line_needs_no_skill_id_and_sends_no_alexa_request(
    make_app: AppFactory, turns: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A SKILL_ID makes the Alexa endpoint refuse other skills' requests; the phone line
    # sends none: it runs its turns on the turn service itself.
    monkeypatch.setenv("SKILL_ID", "amzn1.ask.skill.phone-test")
    get_settings.cache_clear()
    app = make_app()
    assert Caller(app).dial().text.startswith("Welcome to Ally Coach.")
    assert turns.actions == ["launch"]


def test_a_failing_skill_gets_an_apology_not_an_http_error(
    make_app: AppFactory, calls: MemoryCallStore, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(TurnService):
        def run(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("store on fire")

    app = make_app(PHONE_TURN_SERVICE=Broken(SqliteProgressStore(":memory:"), get_catalog()))
    with caplog.at_level(logging.ERROR, logger="skill.channels.phone.webhooks"):
        heard = Caller(app).dial()
    assert heard.hung_up and "something went wrong on my side" in heard.text
    assert "phone turn failed" in caplog.text
    assert len(calls) == 0


def test_the_default_call_store_is_bounded_and_per_app(make_app: AppFactory) -> None:
    app = make_app(PHONE_CALL_STORE=...)
    Caller(app).dial()
    store = app.extensions["ally_coach_phone_calls"]
    assert isinstance(store, MemoryCallStore) and len(store) == 1
    assert store.max_calls > 0 and store.ttl_seconds > 0
    other = make_app(PHONE_CALL_STORE=...)
    Caller(other).dial()
    assert other.extensions["ally_coach_phone_calls"] is not store


# --- privacy --------------------------------------------------------------------------------


def test_the_number_never_reaches_the_store_or_the_logs(
    app: Flask, db_path: Path, calls: MemoryCallStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = Caller(app)
    first.dial()
    first.say("yes")
    first.give_pin()
    first.say("next")
    state = calls.get(first.call_sid)
    assert state is not None
    assert NUMBER not in repr(state.to_dict()) and NUMBER[1:] not in repr(state.to_dict())
    assert PIN not in repr(state.to_dict())
    first.say("my partner hurts me")  # a disclosure: its words must not be logged either
    again = Caller(app)
    again.dial()
    assert "Last time, you finished tip 2," in again.give_pin().text
    again.press("0")

    vault = vault_user_id(line_key(NUMBER, PEPPER), PIN, PEPPER)
    assert state.user_id == vault
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert vault.encode() in stored  # progress is there, under the keyed hash
    hashed = hashlib.sha256(NUMBER.encode()).hexdigest()
    for form in (NUMBER, NUMBER[1:], NUMBER[-10:], "555-123-4567", hashed):
        assert form.encode() not in stored
        assert form not in caplog.text
    assert "hurts me" not in caplog.text and PIN not in caplog.text
    assert "phone turn call=" in caplog.text  # the turns are logged, just not who or what
    # Log tags are of keyed hashes only: hashing every number gives none of them.
    assert short_hash("phone:" + hashed) not in caplog.text


def test_a_new_pepper_opens_none_of_the_old_vaults(
    make_app: AppFactory, calls: MemoryCallStore
) -> None:
    caller = Caller(make_app(PHONE_CALLER_PEPPER="the-first-pepper-of-the-line"))
    caller.dial()
    caller.say("yes")
    caller.give_pin()
    caller.say("stop")
    state = calls.get(caller.call_sid)

    rotated = Caller(make_app(PHONE_CALLER_PEPPER="a-rotated-pepper-of-the-line"))
    rotated.dial()
    # What rotating the pepper does (docs/phone.md): every number's vault is another one.
    assert "Welcome back" not in rotated.give_pin().text
    assert state is None  # the call ended: nothing of it is kept in the call store


def test_a_call_store_that_breaks_unexpectedly_still_gets_twiml(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(MemoryCallStore):
        def claim(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug, not an outage")

    app = make_app(PHONE_CALL_STORE=Broken())
    caller = Caller(app)
    assert caller.dial().listening
    with caplog.at_level(logging.ERROR, logger="skill.channels.phone.webhooks"):
        heard = caller.say("yes")
    assert heard.hung_up and "something went wrong on my side" in heard.text
    assert "phone webhook failed" in caplog.text
    # Not every error becomes TwiML: a wrong method is still a plain 405.
    assert app.test_client().get("/phone/voice").status_code == 405


def test_reminders_on_the_phone_line_need_an_alexa_device(caller: Caller) -> None:
    caller.dial()
    heard = caller.say("Remind me to practice every evening at seven.")
    assert heard.view == "reminder" and heard.data["outcome"] == "no_device"
    assert "Alexa device" in heard.text and heard.listening
