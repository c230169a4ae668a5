"""The terminal chat as a person uses it: ``python -m skill chat`` fed on standard input.

Most tests run the command's ``main`` in this process, with its own standard input and
output and its own store (``in_process``); one runs it as a real subprocess, as a person
starts it, and one checks its command line there.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from skill import config, lambda_function
from skill.channels import chat as chat_command
from skill.channels.chat import Chat
from skill.understanding.resolver import get_resolver

ROOT = Path(__file__).resolve().parents[2]


def subprocess_chat(db: Path, *lines: str, user: str = "amzn1.ask.account.CHATTEST") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    result = subprocess.run(
        [sys.executable, "-m", "skill", "chat", "--db", str(db), "--user", user],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def chat(
    db: Path,
    *lines: str,
    user: str = "amzn1.ask.account.CHATTEST",
    locale: str | None = None,
    **extra_env: str,
) -> str:
    """What ``python -m skill chat --db DB --user USER`` prints for these typed lines, run
    in this process (the skill is built afresh for it, on its own settings)."""
    argv = ["--db", str(db), "--user", user] + (["--locale", locale] if locale else [])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")} | extra_env
    out = io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out):
        config.get_settings.cache_clear()
        lambda_function.reset()
        try:
            with mock.patch.object(sys, "stdin", io.StringIO("\n".join(lines) + "\n")):
                assert chat_command.main(argv) == 0
        finally:
            config.get_settings.cache_clear()
            lambda_function.reset()
    return out.getvalue()


def answers(output: str) -> list[str]:
    return [
        line.removeprefix("Alexa: ") for line in output.splitlines() if line.startswith("Alexa: ")
    ]


@pytest.mark.slow  # the command as a person starts it: a subprocess
def test_scripted_walkthrough_of_all_five_tips(tmp_path: Path) -> None:
    out = subprocess_chat(
        tmp_path / "p.db",
        "open ally coach",
        "yes",
        "yes",  # tip 1's practice, one piece
        "yes",  # its question
        "yes",  # tip 2
        "no",  # skip the practice of tip 2: on to tip 3
        "go back",
        "repeat",
        "the fourth tip",
        "tip nine",
        "nxt",  # jump, typo
        "which tip am I on",
        "help",
        "next",
        "yes",  # set your direction: one piece
        "yes",  # its question
        "stop",
    )
    said = answers(out)
    assert said[0].startswith("Welcome to Ally Coach")
    assert any("Tip 1. Focus on the relationship" in s for s in said)
    assert any("[pause 30s]" in s for s in said), "practices pause for real, past SSML's 10 s"
    assert not any("say ready" in s for s in said)
    assert any("Tip 3." in s for s in said)
    assert sum("Tip 2." in s for s in said) == 3  # after tip 1, back, repeat
    assert any("There's no tip 9" in s for s in said)
    assert any("Tip 5." in s for s in said)  # "nxt" understood as next
    assert any("on tip 5 of 5" in s for s in said)
    assert any("last of the five tips" in s for s in said)
    assert any("small step" in s for s in said)
    assert "[card] Tip 1:" in out
    assert said[-1].startswith("Okay.")
    assert "the skill has closed" in out


def test_quitting_and_reopening_offers_to_resume(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    chat(db, "open ally coach", "help me talk to my wife", "next", "exit")
    said = answers(chat(db, "open ally coach", "yes", "exit"))
    assert "Last time, you finished tip 2" in said[0]
    assert "Tip 3." in said[1]


def test_safety_disclosure_in_free_words(tmp_path: Path) -> None:
    said = answers(
        chat(
            tmp_path / "p.db",
            "open ally coach",
            "honestly my boyfriend gets violent when he drinks",
        )
    )
    assert "911" in said[-1] and "1-800-799-7233" in said[-1]


def test_silence_plays_the_reprompt_and_nonsense_gets_help(tmp_path: Path) -> None:
    out = chat(tmp_path / "p.db", "open ally coach", "", "purple monkey dishwasher")
    said = answers(out)
    assert said[1].startswith("Would you like to hear the five tips?")
    assert said[2].startswith("Sorry, I didn't quite get that.")


def test_words_before_opening_the_skill(tmp_path: Path) -> None:
    out = chat(tmp_path / "p.db", "what is the weather", "set my direction")
    assert "the skill isn't open" in out
    assert any("Let's set your direction" in s for s in answers(out))


def test_chat_in_process_with_a_fake_handler() -> None:
    """The chat sends real envelopes; here we look at them."""
    import io

    seen: list[dict] = []

    def handler(event: dict, context: object) -> dict:
        seen.append(event)
        return {"version": "1.0", "response": {"shouldEndSession": False}}

    out = io.StringIO()
    c = Chat(handler, out, user_id="amzn1.ask.account.X")
    c.run(["ask ally coach to help me talk to my husband", "the second tip"], interactive=False)
    assert seen[0]["session"]["new"] is True
    assert seen[0]["request"]["intent"]["name"] == "MotivatePartnerIntent"
    assert seen[0]["request"]["intent"]["slots"]["partner"]["value"] == "husband"
    assert seen[1]["session"]["new"] is False
    assert seen[1]["request"]["intent"]["slots"]["ordinal"]["value"] == "2"
    assert seen[-1]["request"]["type"] == "SessionEndedRequest"
    assert get_resolver() is get_resolver()


def test_chat_works_when_a_skill_id_is_configured(tmp_path: Path) -> None:
    said = answers(
        chat(
            tmp_path / "p.db",
            "open ally coach",
            SKILL_ID="amzn1.ask.skill.11111111-2222-3333-4444-555555555555",
        )
    )
    assert said[0].startswith("Welcome to Ally Coach")


@pytest.mark.slow
def test_chat_refuses_a_locale_it_cannot_speak() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skill", "chat", "--locale", "de-DE"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice: 'de-DE'" in result.stderr
    assert "en-GB" in result.stderr
    assert "Traceback" not in result.stderr


def test_silence_reprompts_once_then_the_session_ends_and_typing_opens_it_again(
    tmp_path: Path,
) -> None:
    out = chat(tmp_path / "p.db", "open ally coach", "", "", "yes")
    said = answers(out)
    assert said[0].startswith("Welcome to Ally Coach")
    assert said[1].startswith("Would you like to hear the five tips?")  # the reprompt, once
    assert "Alexa has closed Ally Coach" in out  # the second silence ends the session
    assert "opens it again" in out
    # "yes" after the end is no answer to the old question: it opened the skill again.
    assert "welcome to Ally Coach" in said[2] and "Tip 1" not in said[2]
    assert len(said) == 3
