"""``python -m skill chat``: talk to the skill in the terminal, as to a speaker.

What you type is resolved against the interaction model, sent as a real Alexa request
envelope through the same ``lambda_handler`` Lambda calls, and what Alexa would say is
printed as text. Works interactively and with piped input, so a talk can be scripted.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from skill.alexa.envelopes import LOCAL_SKILL_ID, SessionDriver
from skill.config import DEFAULT_LOCALE, ENV_DB_PATH, LOCALES
from skill.speech.ssml import to_text
from skill.understanding.resolver import Resolution, get_resolver

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

QUIT_WORDS = frozenset({"exit", "quit", "bye", "goodbye alexa", "alexa exit", "alexa quit"})
BANNER = (
    "Ally Coach - terminal chat. Type what you would say to the speaker.\n"
    "Start with: open ally coach. Press Enter on an empty line to stay silent. "
    "Type exit to leave."
)


def default_user_id() -> str:
    # Stable per person on this machine, so the embedded store remembers them.
    who = hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:24]
    return f"amzn1.ask.account.LOCAL{who.upper()}"


class Chat:
    def __init__(
        self,
        handler: Handler,
        out: IO[str],
        user_id: str,
        locale: str = "en-US",
        show_reprompts: bool = False,
        application_id: str | None = None,
    ) -> None:
        self.handler = handler
        self.out = out
        # With SKILL_ID set the skill rejects requests for other skills, so speak as it.
        self.driver = SessionDriver(
            user_id=user_id, locale=locale, application_id=application_id or LOCAL_SKILL_ID
        )
        self.resolver = get_resolver(locale)
        self.show_reprompts = show_reprompts
        self.wrap_width: int | None = None
        self.last_reprompt: str | None = None
        self.locale = locale
        self.silent = False  # the last line was empty: the reprompt has been said
        self.closed = False  # a session was open and has ended

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.handler(envelope, None)
        self.driver.update(response)
        return response

    def say(self, text: str) -> None:
        """What Alexa says: one line for scripts, wrapped to the terminal for people."""
        line = f"Alexa: {text}"
        if self.wrap_width:
            line = textwrap.fill(line, width=self.wrap_width, subsequent_indent="       ")
        self.print(line)

    def show(self, response: dict[str, Any]) -> None:
        body = response.get("response") or {}
        speech = (body.get("outputSpeech") or {}).get("ssml")
        if speech:
            self.say(to_text(speech, written=True))
        card = body.get("card")
        if card:
            text = card.get("text") or card.get("content") or ""
            self.print(f"  [card] {card.get('title', '')}")
            for line in text.splitlines():
                self.print(f"         {line}")
        reprompt = ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        self.last_reprompt = to_text(reprompt, written=True) if reprompt else None
        if self.last_reprompt and self.show_reprompts:
            self.print(f"  (if you stay quiet: {self.last_reprompt})")
        if not self.driver.active:
            self.closed = True
            self.print("  (the skill has closed; say 'open ally coach' to start again)")

    def hear(self, line: str) -> bool:
        """Handle one line the user said. Returns False when the chat should end."""
        words = line.strip()
        if words.lower() in QUIT_WORDS:
            if self.driver.active:
                self.send(self.driver.session_ended("USER_INITIATED"))
            return False
        if not words:
            self.stay_silent()
            return True
        self.silent = False
        resolution = self.resolver.resolve(words)
        if self.closed and not self.driver.active and not resolution.launch:
            # As on a device: the session is over, so what comes next opens the skill
            # again, as "Alexa, open Ally Coach" would.
            self.note("chat_reopened")
            self.show(self.send(self.driver.launch()))
            return True
        envelope = self._envelope(resolution)
        if envelope is None:
            self.print("  (the skill isn't open. Say: open ally coach)")
            return True
        self.show(self.send(envelope))
        return True

    def stay_silent(self) -> None:
        """An empty line is silence: the reprompt once, then Alexa ends the session."""
        if not self.driver.active:
            return
        if not self.silent and self.last_reprompt:
            self.silent = True
            self.say(self.last_reprompt)
            return
        self.silent = False
        self.send(self.driver.session_ended("EXCEEDED_MAX_REPROMPTS"))
        self.closed = True
        self.note("chat_silence_ended")

    def note(self, view: str) -> None:
        """A line about the chat itself, not said by the skill; its words are a template."""
        from skill.speech.render import get_speech

        rendered = get_speech().render(self.locale, view, {})
        self.print(f"  ({to_text(rendered.speech or '')})")

    def _envelope(self, resolution: Resolution) -> dict[str, Any] | None:
        if resolution.launch:
            if self.driver.active:
                # Opening the skill again mid-session: Alexa ends the old session first.
                self.send(self.driver.session_ended("USER_INITIATED"))
            if resolution.intent is None:
                return self.driver.launch()
            return self.driver.intent(resolution.intent, resolution.slots)
        if not self.driver.active and resolution.intent in (None, "AMAZON.FallbackIntent"):
            return None
        # Without "open ally coach" we still accept a clear request, as a one-shot would.
        return self.driver.intent(resolution.intent or "AMAZON.FallbackIntent", resolution.slots)

    def run(self, lines: Iterable[str], interactive: bool) -> int:
        self.print(BANNER)
        for line in lines:
            if not interactive:
                self.print(f"you> {line.rstrip()}")
            if not self.hear(line):
                break
        else:
            if self.driver.active:
                self.send(self.driver.session_ended("USER_INITIATED"))
        self.print("Bye.")
        return 0


def _prompted_lines(prompt: str) -> Iterator[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print()
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill chat", description=__doc__)
    parser.add_argument("--db", help="SQLite file for progress (default: your data folder)")
    parser.add_argument(
        "--user",
        default=None,
        help="the Alexa user ID to talk as, so one machine can hold several people's progress "
        "(default: one ID for your login)",
    )
    parser.add_argument(
        "--locale",
        default=DEFAULT_LOCALE,
        choices=LOCALES,
        help="the English the skill speaks, with that country's helplines",
    )
    parser.add_argument(
        "--reprompts", action="store_true", help="show what Alexa says if you stay quiet"
    )
    args = parser.parse_args(argv)
    if args.db:
        os.environ[ENV_DB_PATH] = args.db
    # Imported after --db is applied: settings are read once, when the skill is built.
    from skill.config import get_settings
    from skill.lambda_function import lambda_handler

    interactive = sys.stdin.isatty()
    chat = Chat(
        lambda_handler,
        sys.stdout,
        args.user or default_user_id(),
        args.locale,
        show_reprompts=args.reprompts,
        application_id=get_settings().skill_id,
    )
    if interactive:
        chat.wrap_width = max(40, shutil.get_terminal_size().columns - 1)
    lines = _prompted_lines("you> ") if interactive else sys.stdin
    return chat.run(lines, interactive)
