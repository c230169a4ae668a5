"""``python -m skill chat``: talk to the skill in the terminal, as to a speaker.

What you type is resolved against the interaction model, sent as a real Alexa request
envelope through the same ``lambda_handler`` Lambda calls, and what Alexa would say is
printed as text. Works interactively and with piped input, so a talk can be scripted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from collections.abc import Iterable, Iterator
from typing import IO

from skill.channels.echo import Echo, Handler, default_user_id
from skill.channels.text import QUIT_WORDS, Said, Silence, TextSession
from skill.config import DEFAULT_LOCALE, ENV_DB_PATH, LOCALES
from skill.speech.ssml import to_text
from skill.understanding.resolver import get_resolver

BANNER = (
    "Ally Coach - terminal chat. Type what you would say to the speaker.\n"
    "Start with: open ally coach. Press Enter on an empty line to stay silent. "
    "Type exit to leave."
)

__all__ = ["QUIT_WORDS", "Chat", "default_user_id", "main"]


class Chat:
    """The terminal's side of a text session (``skill.channels.text``) with an Echo."""

    def __init__(
        self,
        handler: Handler,
        out: IO[str],
        user_id: str,
        locale: str = "en-US",
        show_reprompts: bool = False,
        application_id: str | None = None,
    ) -> None:
        self.out = out
        self.echo = Echo(handler, user_id, locale, application_id)
        self.session = TextSession(self.echo)
        self.resolver = get_resolver(locale)
        self.show_reprompts = show_reprompts
        self.wrap_width: int | None = None
        self.locale = locale

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def say(self, text: str) -> None:
        """What Alexa says: one line for scripts, wrapped to the terminal for people."""
        line = f"Alexa: {text}"
        if self.wrap_width:
            line = textwrap.fill(line, width=self.wrap_width, subsequent_indent="       ")
        self.print(line)

    def show(self, said: Said) -> None:
        if said.speech:
            self.say(to_text(said.speech, written=True))
        if said.card_title is not None:
            self.print(f"  [card] {said.card_title}")
            for line in (said.card_text or "").splitlines():
                self.print(f"         {line}")
        reprompt = to_text(said.reprompt, written=True) if said.reprompt else None
        if reprompt and self.show_reprompts:
            self.print(f"  (if you stay quiet: {reprompt})")
        if said.ended:
            self.print("  (the skill has closed; say 'open ally coach' to start again)")

    def hear(self, line: str) -> bool:
        """Handle one line the user said. Returns False when the chat should end."""
        words = line.strip()
        if words.lower() in QUIT_WORDS:
            self.session.leave()
            return False
        if not words:
            self.stay_silent()
            return True
        resolution = self.resolver.resolve(words)
        if self.session.closed and not self.session.active and not resolution.launch:
            # As on a device: the session is over, so what comes next opens the skill
            # again, as "Alexa, open Ally Coach" would.
            self.note("chat_reopened")
            self.show(self.session.launch())
            return True
        said = self.session.hear(resolution)
        if said is None:
            self.print("  (the skill isn't open. Say: open ally coach)")
            return True
        self.show(said)
        return True

    def stay_silent(self) -> None:
        """An empty line is silence: the reprompt once, then Alexa ends the session."""
        silence = self.session.silence()
        if silence is Silence.REPROMPT:
            self.say(to_text(self.session.reprompt or "", written=True))
        elif silence is Silence.ENDED:
            self.note("chat_silence_ended")

    def note(self, view: str) -> None:
        """A line about the chat itself, not said by the skill; its words are a template."""
        from skill.speech.render import get_speech

        rendered = get_speech().render(self.locale, view, {})
        self.print(f"  ({to_text(rendered.speech or '')})")

    def run(self, lines: Iterable[str], interactive: bool) -> int:
        self.print(BANNER)
        for line in lines:
            if not interactive:
                self.print(f"you> {line.rstrip()}")
            if not self.hear(line):
                break
        else:
            self.session.leave()
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
