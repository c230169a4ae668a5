"""Numbers as people and Alexa say them: "3", "three", "third", "3rd"."""

from __future__ import annotations

import re

_NUMBER_WORDS = {
    word: i
    for i, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
_ORDINAL_WORDS = {
    word: i
    for i, word in enumerate(
        [
            "zeroth",
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
        ]
    )
}
# "Go back a couple": how people say two without saying it (the ear only; Alexa's
# AMAZON.NUMBER does not fill these).
_AMOUNT_WORDS = {"couple": 2, "a couple": 2, "a couple of": 2, "couple of": 2, "pair": 2}
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(st|nd|rd|th)$")


def parse_number(text: str | None) -> int | None:
    """A tip number from a slot value: "3", "three", "third", "3rd"; None if not a number."""
    if not text:
        return None
    word = text.strip().lower()
    if word.startswith("number "):  # "tip number three"
        word = word.removeprefix("number ").strip()
    if len(word) > 9:  # no tip number is this long, and int() refuses 4300+ digits
        return None
    if word.isdecimal():  # not isdigit(): "12²" is digits to it, but not to int()
        return int(word)
    match = _ORDINAL_SUFFIX.match(word)
    if match:
        return int(match.group(1))
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    if word in _AMOUNT_WORDS:
        return _AMOUNT_WORDS[word]
    return _ORDINAL_WORDS.get(word)
