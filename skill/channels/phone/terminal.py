"""``python -m skill phone-chat``: call the phone line from the terminal, no Twilio needed.

What you type goes to the line's real webhooks (``/phone/voice``, ``/phone/gather``,
``/phone/status``) in this process, through Flask's test client, as Twilio would post it:
words as ``SpeechResult``, keys (``0``-``9``, ``*``, ``#``) as ``Digits``, an empty line as
silence. The TwiML that comes back is printed as what the caller would hear: the words of
each ``<Say>``, each ``<Pause>``, and the hang-up. The line runs unsigned (development
only: no token, loopback only) on the fixed development pepper, so ``--caller`` is the
number the call comes from; progress carries to a later call with a PIN, as on a real line.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import urlsplit

from flask import Flask

from skill.channels.text import QUIT_WORDS
from skill.config import DEFAULT_LOCALE, ENV_DB_PATH, LOCALES

DEFAULT_CALLER = "+15555550100"  # a number reserved for fiction
LINE_NUMBER = "+15555550199"
KEYS = re.compile(r"^[0-9*#]+$")
COUNTRIES = {"en-US": "US", "en-CA": "CA", "en-GB": "GB", "en-AU": "AU", "en-IN": "IN"}
BANNER = (
    "Ally Coach - the phone line, from the terminal (development, no Twilio).\n"
    "Type what you would say; keys (0-9, * and #) are pressed. An empty line is silence. "
    "Type exit to hang up."
)


def line_app(locale: str) -> Flask:
    """The phone line alone, unsigned, on a call store of its own, answering this machine."""
    from skill.channels.phone import webhooks
    from skill.channels.phone.calls import MemoryCallStore
    from skill.channels.phone.settings import (
        CONFIG_ALLOW_UNSIGNED,
        CONFIG_CALL_STORE,
        CONFIG_LOCALE,
        CONFIG_TWILIO_AUTH_TOKEN,
    )

    app = Flask("ally_coach_phone_chat")
    app.config.update(
        {
            # Development only: no token, so nothing to sign, and loopback only.
            CONFIG_TWILIO_AUTH_TOKEN: "",
            CONFIG_ALLOW_UNSIGNED: True,
            CONFIG_CALL_STORE: MemoryCallStore(),
            CONFIG_LOCALE: locale,
        }
    )
    app.register_blueprint(webhooks.blueprint)
    return app


@dataclass
class Heard:
    """One TwiML answer, as the caller hears it."""

    lines: list[str]
    hung_up: bool
    listening: bool  # a <Gather>: the caller may speak or press keys
    keys: int  # how many keys the <Gather> takes at once (4 for a PIN, else 1)
    speech: bool  # whether it takes speech too
    next_path: str


def hear(xml: str) -> Heard:
    """The words, pauses and hang-up of a TwiML document, in order."""
    root = ET.fromstring(xml.encode("utf-8"))
    lines: list[str] = []
    gather: ET.Element | None = None
    next_path = "/phone/gather"

    def walk(element: ET.Element) -> None:
        nonlocal gather, next_path
        for child in element:
            if child.tag == "Say":
                words = re.sub(r"\s+", " ", "".join(child.itertext())).strip()
                if words:
                    lines.append(words)
            elif child.tag == "Pause":
                lines.append(f"[pause {child.get('length', '1')}s]")
            elif child.tag == "Gather":
                gather = child
                walk(child)
            elif child.tag == "Redirect":
                url = urlsplit(child.text or "")
                next_path = url.path + (f"?{url.query}" if url.query else "")

    walk(root)
    hung_up = root.find("Hangup") is not None
    return Heard(
        lines=lines,
        hung_up=hung_up,
        listening=gather is not None,
        keys=int(gather.get("numDigits", "1")) if gather is not None else 0,
        speech=gather is not None and "speech" in (gather.get("input") or ""),
        next_path=next_path,
    )


@dataclass
class Call:
    """One call to the line, from ``caller``: each webhook as Twilio would post it."""

    app: Flask
    caller: str = DEFAULT_CALLER
    locale: str = DEFAULT_LOCALE
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    last: Heard | None = None

    def __post_init__(self) -> None:
        self.client = self.app.test_client()

    def form(self, **extra: str) -> dict[str, str]:
        country = COUNTRIES.get(self.locale, "US")
        return {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": self.caller,
            "Caller": self.caller,
            "To": LINE_NUMBER,
            "Called": LINE_NUMBER,
            "FromCountry": country,
            "ToCountry": country,
            **extra,
        }

    def post(self, path: str, **extra: str) -> Heard:
        response = self.client.post(path, data=self.form(**extra))
        if response.status_code != 200:
            raise RuntimeError(f"the line answered {response.status_code} on {path}")
        self.last = hear(response.get_data(as_text=True))
        return self.last

    def dial(self) -> Heard:
        return self.post("/phone/voice", CallStatus="ringing")

    def next_path(self) -> str:
        return self.last.next_path if self.last else "/phone/gather"

    def say(self, words: str) -> Heard:
        return self.post(self.next_path(), SpeechResult=words, Confidence="0.9")

    def press(self, keys: str) -> Heard:
        return self.post(self.next_path(), Digits=keys)

    def silence(self) -> Heard:
        return self.post(self.next_path())

    def hang_up(self) -> None:
        self.client.post("/phone/status", data=self.form(CallStatus="completed"))


class Terminal:
    """The caller's side, in the terminal: prints what is heard, takes what is typed."""

    def __init__(self, call: Call, out: IO[str], echo: bool) -> None:
        self.call = call
        self.out = out
        self.echo = echo
        self.keys: list[str] = []  # keys typed ahead, pressed at the next <Gather>s

    def print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, heard: Heard) -> None:
        for line in heard.lines:
            self.print(line if line.startswith("[pause") else f"Phone: {line}")
        if heard.hung_up:
            self.print("  (the line hangs up)")
        elif heard.listening and not heard.speech:
            self.print(f"  (keys only: type {heard.keys} digits)")

    def answer(self, heard: Heard) -> Heard:
        """Follow a holding answer ("one moment") until the line listens or hangs up,
        pressing keys typed ahead."""
        while not heard.hung_up:
            if not heard.listening:
                heard = self.call.silence()
            elif self.keys:
                pressed, self.keys = self.keys[: heard.keys], self.keys[heard.keys :]
                heard = self.call.press("".join(pressed))
            else:
                return heard
            self.show(heard)
        return heard

    def run(self, lines: Iterable[str]) -> int:
        self.print(BANNER)
        heard = self.call.dial()
        self.show(heard)
        heard = self.answer(heard)
        for line in [] if heard.hung_up else lines:
            words = line.strip()
            if self.echo:
                self.print(f"you> {words}")
            if words.lower() in QUIT_WORDS:
                self.call.hang_up()
                self.print("  (you hang up)")
                break
            if KEYS.match(words):
                self.keys.extend(words)
            else:
                heard = self.call.say(words) if words else self.call.silence()
                self.show(heard)
            heard = self.answer(heard)
            if heard.hung_up:
                break  # the line hung up: no more input is read
        else:
            if not heard.hung_up:
                self.call.hang_up()
        self.print("Bye.")
        return 0


def _prompted_lines(prompt: str) -> Iterator[str]:
    while True:
        try:
            yield input(prompt)
        except (EOFError, KeyboardInterrupt):
            print()
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill phone-chat", description=__doc__)
    parser.add_argument(
        "--caller",
        default=DEFAULT_CALLER,
        help=f"the number the call comes from (default: {DEFAULT_CALLER})",
    )
    parser.add_argument("--db", help="SQLite file for progress (default: your data folder)")
    parser.add_argument(
        "--locale",
        default=DEFAULT_LOCALE,
        choices=LOCALES,
        help="the English the line speaks, with that country's helplines",
    )
    args = parser.parse_args(argv)
    if args.db:
        os.environ[ENV_DB_PATH] = args.db
    import logging

    # The line warns on every unsigned request; in the terminal that is understood.
    logging.getLogger("skill.channels.phone").setLevel(logging.ERROR)
    call = Call(line_app(args.locale), caller=args.caller, locale=args.locale)
    interactive = sys.stdin.isatty()
    terminal = Terminal(call, sys.stdout, echo=not interactive)
    lines: Iterable[str] = _prompted_lines("you> ") if interactive else sys.stdin
    return terminal.run(lines)


__all__ = ["Call", "Terminal", "hear", "line_app", "main"]
