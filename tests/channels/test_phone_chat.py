"""``python -m skill phone-chat``: the phone line's real webhooks, driven from the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skill.channels.phone.terminal import hear
from skill.channels.phone.twiml import Answer, build_twiml, voice_for

ROOT = Path(__file__).resolve().parents[2]
PIN = "1357"


def phone_chat(db: Path, *lines: str, caller: str = "+15555550123") -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SKILL_", "TWILIO_", "PHONE_", "PUBLIC_BASE_URL"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "skill", "phone-chat", "--db", str(db), "--caller", caller],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def spoken(output: str) -> list[str]:
    return [
        line.removeprefix("Phone: ") for line in output.splitlines() if line.startswith("Phone: ")
    ]


def test_the_terminal_hears_says_pauses_and_the_pin_gather() -> None:
    twiml = build_twiml(
        Answer(['<speak>Close your eyes. <break time="3s"/> Now open them.</speak>']),
        voice_for("en-US"),
        action="/phone/gather?turn=abcdef0123456789",
        language="en-US",
        hints=["next"],
        timeout=8,
    )
    heard = hear(twiml)
    assert heard.lines == ["Close your eyes.", "[pause 3s]", "Now open them."]
    assert heard.listening and heard.speech and not heard.hung_up
    assert heard.next_path == "/phone/gather?turn=abcdef0123456789"

    pin = hear(
        build_twiml(
            Answer(["PIN?"], keys=4),
            voice_for("en-US"),
            action="/x",
            language="en-US",
            hints=[],
            timeout=8,
        )
    )
    assert pin.keys == 4 and not pin.speech
    bye = hear(
        build_twiml(
            Answer(["Bye."], hang_up=True),
            voice_for("en-US"),
            action="/x",
            language="en-US",
            hints=[],
            timeout=8,
        )
    )
    assert bye.hung_up and not bye.listening


@pytest.mark.slow  # the command as a person starts it: a subprocess
def test_a_call_from_the_terminal_keeps_progress_with_a_pin(tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    first = phone_chat(db, "help me talk to my partner", "next", "*", PIN, PIN, "exit")
    said = spoken(first)
    assert said[0].startswith("Welcome to Ally Coach")
    assert any("Tip 2." in line for line in said), first
    # Star asks for the PIN on the keypad: keys only.
    assert first.count("(keys only: type 4 digits)") == 2, first
    assert "(you hang up)" in first

    # The next call from the same number, with the same PIN, goes on from tip 2 ...
    again = phone_chat(db, "*", PIN, "where am i", "exit")
    assert "heard 2 tips" in " ".join(spoken(again)), again
    # ... and the same PIN from another number opens nothing.
    other = phone_chat(db, "*", PIN, PIN, "where am i", "exit", caller="+15555550177")
    assert "heard 2 tips" not in " ".join(spoken(other)), other


@pytest.mark.slow
def test_the_safety_answer_and_the_pauses_of_a_practice_reach_the_terminal(
    tmp_path: Path,
) -> None:
    practice = phone_chat(tmp_path / "p.db", "help me talk to my partner", "yes", "exit")
    assert any(line.startswith("[pause ") for line in practice.splitlines()), practice
    danger = phone_chat(tmp_path / "d.db", "my partner hits me and I am scared", "exit")
    assert "911" in " ".join(spoken(danger)), danger


@pytest.mark.slow
def test_three_silences_and_the_line_hangs_up_without_reading_on(tmp_path: Path) -> None:
    out = phone_chat(tmp_path / "s.db", "", "", "", "hello")
    assert out.count("you> ") == 3 and "you> hello" not in out, out
    assert "(the line hangs up)" in out
