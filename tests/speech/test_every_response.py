"""Every response the dialog can give, in every state it is given in, is valid speech.

The states are found by exploring the dialog core: from a fresh and a returning user,
every command is applied to every state reached, a few turns deep. Each reply is then
rendered through the real templates and checked as Alexa would check it, and for the ear.
"""

from __future__ import annotations

import re

import pytest

from skill.core.dialog import Reply
from skill.speech.prerender import LOCALES
from skill.speech.programs import get_catalog
from skill.speech.render import Rendered, Speech
from skill.speech.ssml import to_text, validate

from support import tip_reply

TIP_COUNT = get_catalog()["motivate"].size

MAX_WORDS_PER_SENTENCE = 26  # about one breath when spoken


pytestmark = pytest.mark.slow  # every reply of the dialog, in every locale: the full tier

LIVE = Speech(prerendered_dir=None)  # the templates themselves, never a pre-rendered table


def render(locale: str, reply: Reply) -> Rendered:
    assert reply.view is not None
    return LIVE.render(locale, reply.view, reply.data, reply.card)


def test_exploration_reaches_every_view(replies: list[tuple[Reply, str]]) -> None:
    views = {reply.view for reply, _ in replies}
    from skill.speech.render import TEMPLATES_DIR

    on_disk = {
        p.name.removesuffix(".ssml.j2") for p in (TEMPLATES_DIR / "en" / "views").glob("*.ssml.j2")
    }
    # Views only other adapters use (the error apology, the phone line, the chat) are rendered
    # by their own tests.
    others = {v for v in on_disk if v.startswith(("phone_", "chat_"))}
    unreached = on_disk - views - {"error"} - others
    assert not unreached, f"views the dialog never reaches: {sorted(unreached)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reply_renders_to_valid_speech(locale: str, replies: list[tuple[Reply, str]]) -> None:
    problems = []
    for reply, label in replies:
        rendered = render(locale, reply)
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


def test_sentences_fit_in_one_breath(replies: list[tuple[Reply, str]]) -> None:
    long = set()
    for reply, _ in replies:
        rendered = render("en-US", reply)
        for part in (rendered.speech, rendered.reprompt):
            text = to_text(part, show_pauses=False) if part else ""
            for sentence in re.split(r"(?<=[.?!])\s+", text):
                if len(sentence.split()) > MAX_WORDS_PER_SENTENCE:
                    long.add(sentence)
    assert not long, "\n".join(sorted(long))


def test_open_sessions_tell_the_user_what_to_say(replies: list[tuple[Reply, str]]) -> None:
    """A reprompt names something to say: yes/no, ready, next, resume, a tip number..."""
    cue = re.compile(r"\b(say|yes|no)\b", re.IGNORECASE)
    for reply, label in replies:
        if reply.end_session:
            continue
        rendered = render("en-US", reply)
        assert cue.search(to_text(rendered.reprompt or "")), f"{label}: {rendered.reprompt}"


def test_tip_cards_carry_the_tip_text() -> None:
    for n in range(1, TIP_COUNT + 1):
        rendered = render("en-US", tip_reply(n))
        assert rendered.card_title and rendered.card_title.startswith(f"Tip {n}:")
        assert rendered.card_text and "Instead of:" in rendered.card_text
        assert "<" not in rendered.card_text, "SSML leaked into a card"
        # The card holds the same advice the user heard.
        first_sentence = rendered.card_text.split(".")[0]
        assert first_sentence in to_text(rendered.speech or "")


@pytest.mark.parametrize("locale", LOCALES)
def test_each_tip_is_explained_in_two_or_three_short_sentences(locale: str) -> None:
    for n in range(1, TIP_COUNT + 1):
        meaning = (render(locale, tip_reply(n)).card_text or "").split("\n\n")[0]
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", meaning) if s]
        assert 2 <= len(sentences) <= 3, (n, sentences)
