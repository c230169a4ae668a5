"""Alexa SSML -> what a browser's speech synthesis should say, and the silences between.

Browsers speak plain text, so the page plays a plan: utterances and timed gaps. Every
``<break>`` becomes a real silence of its length (or of its strength), ``say-as`` is
rewritten into words a browser voice reads the way Alexa would ("911" as "9 1 1"), and
``sub`` says its alias.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, NamedTuple

from skill.speech.ssml import parse, tag_name

# Alexa's pause for each break strength, in milliseconds; a bare <break/> is "medium".
BREAK_STRENGTH_MS = {
    "none": 0,
    "x-weak": 0,
    "weak": 250,
    "medium": 500,
    "strong": 750,
    "x-strong": 1000,
}
PARAGRAPH_MS = 750  # Alexa pauses after <p> as after a strong break
SENTENCE_MS = 300
_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")
_DIGIT_GROUP = re.compile(r"[0-9A-Za-z]+")
_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


class Segment(NamedTuple):
    """One step of the plan: words to say (``ms`` 0), or a silence of ``ms`` (``text`` "")."""

    text: str = ""
    ms: int = 0
    whisper: bool = False

    def to_dict(self) -> dict[str, Any]:
        if self.text:
            return {"say": self.text, **({"whisper": True} if self.whisper else {})}
        return {"pause": self.ms}


def break_ms(element: ET.Element) -> int:
    time = element.attrib.get("time")
    if time is not None:
        match = _TIME.match(time.strip())
        if match:
            amount = float(match.group(1))
            return int(amount if match.group(2) == "ms" else amount * 1000)
    return BREAK_STRENGTH_MS.get(element.attrib.get("strength", "medium"), 500)


def _one_by_one(text: str) -> str:
    """Each character on its own, groups apart: 1-800-799-7233 -> "1 8 0 0, 7 9 9, ..."."""
    groups = _DIGIT_GROUP.findall(text)
    return ", ".join(" ".join(group) for group in groups)


def _ordinal(text: str) -> str:
    if not text.strip().isdigit():
        return text
    number = int(text)
    suffix = "th" if 10 <= number % 100 <= 20 else _ORDINAL_SUFFIX.get(number % 10, "th")
    return f"{number}{suffix}"


def say_as(interpretation: str, text: str) -> str:
    """Words a browser voice reads as Alexa reads ``<say-as interpret-as=...>``."""
    if interpretation in {"digits", "telephone", "characters", "spell-out"}:
        return _one_by_one(text)
    if interpretation == "ordinal":
        return _ordinal(text)
    if interpretation == "expletive":
        return "bleep"
    return text  # cardinal, number, date, time, unit, address...: voices read these well


class _Planner:
    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.words: list[str] = []
        self.whisper = False

    def flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.words)).strip()
        self.words = []
        if text:
            self.segments.append(Segment(text, whisper=self.whisper))

    def pause(self, ms: int) -> None:
        self.flush()
        if ms <= 0:
            return
        if self.segments and not self.segments[-1].text:
            # Two silences in a row are one longer silence.
            self.segments[-1] = Segment(ms=self.segments[-1].ms + ms)
        else:
            self.segments.append(Segment(ms=ms))

    def walk(self, element: ET.Element) -> None:
        tag = tag_name(element)
        if tag == "break":
            self.pause(break_ms(element))
        elif tag == "say-as":
            self.words.append(say_as(element.attrib.get("interpret-as", ""), element.text or ""))
        elif tag == "sub":
            self.words.append(element.attrib.get("alias", ""))
        elif tag == "audio":
            pass  # no sounds in the simulator; Alexa's audio clips are not fetched
        else:
            whispered = tag == "amazon:effect" and element.attrib.get("name") == "whispered"
            if whispered:
                self.flush()
                self.whisper = True
            self.words.append(element.text or "")
            for child in element:
                self.walk(child)
            if whispered:
                self.flush()
                self.whisper = False
            if tag == "p":
                self.pause(PARAGRAPH_MS)
            elif tag == "s":
                self.pause(SENTENCE_MS)
        self.words.append(element.tail or "")


def plan(ssml: str) -> list[Segment]:
    """The utterances and silences of one SSML answer, in order."""
    planner = _Planner()
    planner.walk(parse(ssml))
    planner.flush()
    return planner.segments


def plan_dicts(ssml: str | None) -> list[dict[str, Any]]:
    return [segment.to_dict() for segment in plan(ssml)] if ssml else []
