"""``python -m skill speech-report``: how long each view talks before it asks something.

For every view, of every reply the dialog can give (explored as ``skill.speech.prerender``
does for the build), it estimates the words and the seconds of speech before the first
question: the words at about 150 a minute, plus every pause on the way. A listener who
waits 50 seconds for a question has stopped listening; the tests hold the first tip to
``FIRST_TIP_SECONDS``.
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import NamedTuple

from skill.core.dialog import Reply
from skill.speech.render import Speech
from skill.speech.ssml import parse, tag_name

WORDS_PER_MINUTE = 150
FIRST_TIP_SECONDS = 35.0  # the first tip's turn, up to its question


class Estimate(NamedTuple):
    words: int
    seconds: float


def before_question(ssml: str | None) -> Estimate:
    """Words and estimated seconds of ``ssml`` up to its first question mark (all of it
    when it asks nothing)."""
    if not ssml:
        return Estimate(0, 0.0)
    words = 0
    pauses_ms = 0.0
    done = False

    def text(piece: str | None) -> None:
        nonlocal words, done
        if done or not piece:
            return
        head, mark, _ = piece.partition("?")
        words += len(head.split())
        done = bool(mark)

    def walk(element: ET.Element) -> None:
        nonlocal pauses_ms
        if done:
            return
        if tag_name(element) == "break" and "time" in element.attrib:
            value = element.attrib["time"]
            pauses_ms += float(value[:-2]) if value.endswith("ms") else float(value[:-1]) * 1000
        else:
            text(element.text)
            for child in element:
                walk(child)
                text(child.tail)

    walk(parse(ssml))
    return Estimate(words, round(words * 60 / WORDS_PER_MINUTE + pauses_ms / 1000, 1))


def by_view(
    replies: Iterable[tuple[Reply, str]], speech: Speech, locale: str = "en-US"
) -> dict[str, tuple[Estimate, str]]:
    """The longest estimate of each view, with the path that reaches it."""
    longest: dict[str, tuple[Estimate, str]] = {}
    for reply, label in replies:
        assert reply.view is not None
        rendered = speech.render_now(locale, reply.view, reply.data, reply.card)
        estimate = before_question(rendered.speech)
        if reply.view not in longest or estimate.seconds > longest[reply.view][0].seconds:
            longest[reply.view] = (estimate, label)
    return longest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill speech-report", description=__doc__)
    parser.add_argument("--locale", default="en-US", help="the templates to measure")
    args = parser.parse_args(argv)
    from skill.speech.prerender import reachable_replies

    longest = by_view(reachable_replies(), Speech(prerendered_dir=None), args.locale)
    print(f"{'view':<20} {'words':>5} {'seconds':>7}  (the longest, before its first question)")
    for view, (estimate, label) in sorted(longest.items()):
        print(f"{view:<20} {estimate.words:>5} {estimate.seconds:>7.1f}  {label}")
    return 0
