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
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(st|nd|rd|th)$")


def parse_number(text: str | None) -> int | None:
    """A tip number from a slot value: "3", "three", "third", "3rd"; None if not a number."""
    if not text:
        return None
    word = text.strip().lower()
    if len(word) > 9:  # no tip number is this long, and int() refuses 4300+ digits
        return None
    if word.isdecimal():  # not isdigit(): "12²" is digits to it, but not to int()
        return int(word)
    match = _ORDINAL_SUFFIX.match(word)
    if match:
        return int(match.group(1))
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    return _ORDINAL_WORDS.get(word)
