"""Safety in the terminal chat (``python -m skill chat``, run in this process: see
test_chat.py), in every locale it speaks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_chat import chat

from support import SAFETY_NUMBERS


def has(line: str, number: str) -> bool:
    return re.sub(r"\D", "", number) in re.sub(r"\D", "", line)


@pytest.mark.parametrize("locale", sorted(SAFETY_NUMBERS))
def test_typed_disclosures_get_the_right_numbers(tmp_path: Path, locale: str) -> None:
    lines = [
        "open ally coach",
        "help me talk to my partner",
        "tbh i dont want to be alive anymore",
        "you misunderstood me",
        "my ex keeps turning up outside my work and wont leave me alone",
    ]
    said = [
        line.removeprefix("Alexa: ")
        for line in chat(tmp_path / "p.db", *lines, locale=locale).splitlines()
        if line.startswith("Alexa: ")
    ]
    emergency, helpline, crisis = SAFETY_NUMBERS[locale]
    self_harm, undone, stalking = said[2], said[3], said[4]
    assert has(self_harm, crisis) and has(self_harm, emergency)
    assert not has(undone, crisis)
    assert has(stalking, helpline) and has(stalking, emergency)
