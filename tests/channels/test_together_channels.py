"""Issue 26 on the text channels: "Try one together" on the chat and on the phone line
(a speakerphone in the room), by words as two people say them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from test_chat import answers, chat

from skill.web import create_app

from phone_support import BASE, TOKEN, Caller, Recorder


def test_the_exercise_for_two_in_the_chat(tmp_path: Path) -> None:
    said = answers(
        chat(
            tmp_path / "p.db",
            "open ally coach",
            "an exercise for the two of us",
            "we're Sam and Alex",
            "done",
            "so on sunday we went for a walk and it was lovely",  # said to the partner
            "done",
            "switch",
            "we're finished",
            "yes",
            "stop",
        )
    )
    started, names, first, aside, back, swapped, closing, done = said[1:9]
    assert "listening exercise" in started and "Sam and Alex" in names
    assert first.startswith(("Sam,", "Here's the next one. Sam,", "Let's keep going. Sam,"))
    assert "[pause 60s]" in first  # a minute of real silence
    assert "Sam" not in aside and "[pause" not in aside  # a quiet word; the turn stays
    assert "Alex" in back and "[pause 30s]" in back
    assert "Alex" in swapped and "[pause 60s]" in swapped
    assert closing.rstrip().endswith("?")
    assert "Thank you both" in done


def test_the_exercise_for_two_on_a_speakerphone(turns: Recorder) -> None:
    app: Flask = create_app(
        {
            "VERIFY_REQUESTS": False,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": BASE,
            "PHONE_TURN_SERVICE": turns,
        }
    )
    caller = Caller(app)
    caller.dial()
    heard = caller.say("Something we can do together.")
    assert heard.step == 1 and heard.listening
    assert caller.say("We're Sam and Alex.").view == "names"
    heard = caller.say("Done.")
    assert heard.step == 2 and heard.data["one"] == "Sam"
    pauses = [float(p.get("length", "0")) for p in heard.root.iter("Pause")]
    assert sum(pauses) >= 60  # the minute, as <Pause>s between the <Say>s
    # Talk picked up by the phone during a turn: the turn stays, nobody is cut short.
    for words in (
        "I loved the coffee you made me.",
        "So on Sunday we went for a walk and it was lovely.",
        "I liked the dinner we cooked together.",
    ):
        heard = caller.say(words)
        assert heard.view == "turn_wait" and heard.listening and not heard.hung_up
    assert caller.say("Switch.").step == 4
    closing = caller.say("We're finished.")
    assert closing.step == 6 and closing.listening
    done = caller.say("No.")
    assert done.view == "program_done" and done.data["answered"] is False
