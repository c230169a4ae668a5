"""Every response the dialog can give, in every state it is given in, is valid speech.

The states are found by exploring the dialog core: from a fresh and a returning user,
every command is applied to every state reached, a few turns deep. Each reply is then
rendered through the real templates and checked as Alexa would check it, and for the ear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

from skill.dialog import Action, Command, Conversation, Reply, handle
from skill.program import TIP_COUNT
from skill.progress import Progress
from skill.speech import get_speech
from skill.ssml import to_text, validate

NOW = 1_800_000_000
COMMANDS = (
    [Command(a) for a in Action if a is not Action.GO_TO_TIP]
    + [Command(Action.GO_TO_TIP, tip=n, heard=str(n)) for n in (1, 3, TIP_COUNT, 9, 0)]
    + [Command(Action.GO_TO_TIP, tip=None, heard="banana"), Command(Action.GO_TO_TIP)]
    + [Command(Action.START_MOTIVATE, partner="husband")]
)
STARTS = [
    Progress(),
    Progress(current_tip=2, finished_tips=frozenset({1, 2}), last_visit=NOW - 3600),
    Progress(current_tip=3, finished_tips=frozenset({1, 2, 3}), last_visit=NOW - 30 * 86400),
    Progress(
        current_tip=5,
        finished_tips=frozenset(range(1, 6)),
        program_finished=True,
        last_visit=NOW - 86400,
    ),
    Progress(
        current_tip=5,
        finished_tips=frozenset(range(1, 6)),
        program_finished=True,
        direction_finished=True,
        last_visit=NOW - 86400,
    ),
    Progress(direction_finished=True, last_visit=NOW - 86400),
]
DEPTH = 6
MAX_WORDS_PER_SENTENCE = 26  # about one breath when spoken


def explore() -> Iterator[tuple[Reply, str]]:
    seen_states: set[tuple[str, str]] = set()
    frontier = [(Conversation(), p, "start") for p in STARTS]
    for _ in range(DEPTH):
        next_frontier = []
        for conversation, progress, path in frontier:
            # "last" only feeds "repeat"; leaving it out of the key keeps the search small.
            key = (repr(replace(conversation, last=None).to_dict()), repr(progress.to_dict()))
            if key in seen_states:
                continue
            seen_states.add(key)
            for command in COMMANDS:
                turn = handle(conversation, progress, command, NOW)
                label = f"{path} > {command.action.value}"
                yield turn.reply, label
                if not turn.reply.end_session:
                    next_frontier.append((turn.conversation, turn.progress, label))
        frontier = next_frontier


def _replies() -> list[tuple[Reply, str]]:
    unique: dict[str, tuple[Reply, str]] = {}
    for reply, label in explore():
        unique.setdefault(repr(reply.to_dict()), (reply, label))
    return list(unique.values())


REPLIES = _replies()


def test_exploration_reaches_every_view() -> None:
    views = {reply.view for reply, _ in REPLIES}
    from skill.speech import TEMPLATES_DIR

    on_disk = {
        p.name.removesuffix(".ssml.j2") for p in (TEMPLATES_DIR / "en" / "views").glob("*.ssml.j2")
    }
    # Views only other adapters use (the error apology, the phone line) are rendered
    # by their own tests.
    unreached = on_disk - views - {"error"} - {v for v in on_disk if v.startswith("phone_")}
    assert not unreached, f"views the dialog never reaches: {sorted(unreached)}"


@pytest.mark.parametrize("locale", ["en-US"])
def test_every_reply_renders_to_valid_speech(locale: str) -> None:
    speech = get_speech()
    problems = []
    for reply, label in REPLIES:
        rendered = speech.render(locale, reply.view, reply.data, reply.card)
        if reply.view is None:
            assert rendered.speech is None
            continue
        try:
            validate(rendered.speech or "")
            if not reply.end_session:
                assert rendered.reprompt, "no reprompt on an open session"
                validate(rendered.reprompt)
            else:
                assert rendered.reprompt is None, "a reprompt on a closing response"
        except Exception as exc:  # collect them all, then fail once with the list
            problems.append(f"{label}: {reply.view}: {exc}")
    assert not problems, "\n".join(problems[:20])


def test_sentences_fit_in_one_breath() -> None:
    speech = get_speech()
    long = set()
    for reply, _ in REPLIES:
        if reply.view is None:
            continue
        rendered = speech.render("en-US", reply.view, reply.data, reply.card)
        for part in (rendered.speech, rendered.reprompt):
            text = to_text(part, show_pauses=False) if part else ""
            for sentence in re.split(r"(?<=[.?!])\s+", text):
                if len(sentence.split()) > MAX_WORDS_PER_SENTENCE:
                    long.add(sentence)
    assert not long, "\n".join(sorted(long))


def test_open_sessions_tell_the_user_what_to_say() -> None:
    """A reprompt names something to say: yes/no, ready, next, resume, a tip number..."""
    speech = get_speech()
    cue = re.compile(r"\b(say|yes|no)\b", re.IGNORECASE)
    for reply, label in REPLIES:
        if reply.view is None or reply.end_session:
            continue
        rendered = speech.render("en-US", reply.view, reply.data, reply.card)
        assert cue.search(to_text(rendered.reprompt or "")), f"{label}: {rendered.reprompt}"


def test_tip_cards_carry_the_tip_text() -> None:
    speech = get_speech()
    for n in range(1, TIP_COUNT + 1):
        data = {
            "tip": n,
            "intro": False,
            "partner": None,
            "note": None,
            "practiced": False,
            "question": "practice",
        }
        rendered = speech.render("en-US", "tip", data, "tip")
        assert rendered.card_title and rendered.card_title.startswith(f"Tip {n}:")
        assert rendered.card_text and "Instead of:" in rendered.card_text
        assert "<" not in rendered.card_text, "SSML leaked into a card"
        # The card holds the same advice the user heard.
        first_sentence = rendered.card_text.split(".")[0]
        assert first_sentence in to_text(rendered.speech or "")
