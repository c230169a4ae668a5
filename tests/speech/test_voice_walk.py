"""One walk of every reachable state (the explorer of ``skill.speech.prerender``), with the
real templates, checking what a listener would notice across two turns in a row:

* no response repeats the one before it word for word, except after "repeat" (and the
  answers to a disclosure, which keep their exact words on purpose: ``FIXED_VIEWS``);
* every variant of every reply is valid SSML, with a reprompt when the session stays open;
* a returning person's welcome is shorter than a first one;
* the third fallback in a row offers help or a way out, and a "no" after a program is done
  never offers that program again;
* the first tip is at most ``FIRST_TIP_SECONDS`` of speech before its question.

The walk is the same search the build does, so it adds seconds, not minutes; it is run
once per test run (the ``walk_steps`` fixture of tests/conftest.py) and shared by the
assertions, and by every test that needs the replies it reaches. A full-tier test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from skill.core.dialog import (
    FIXED_VIEWS,
    Action,
    Command,
    Conversation,
    Question,
    Reply,
    handle,
)
from skill.core.hold import CHECK_IN_QUESTIONS
from skill.core.progress import Progress
from skill.speech.prerender import NOW, _key, commands, starts, variants
from skill.speech.programs import get_catalog
from skill.speech.render import Speech, reply_key
from skill.speech.report import FIRST_TIP_SECONDS, before_question
from skill.speech.ssml import to_text, validate

from support import Step

pytestmark = pytest.mark.slow

CATALOG = get_catalog()
SPEECH = Speech(prerendered_dir=None)


_TEXT: dict[str, str] = {}


def text(reply: Reply) -> str:
    """What the listener hears of ``reply``, in en-US (rendered once per distinct reply)."""
    assert reply.view is not None
    key = reply_key(reply.view, reply.data, reply.card)
    said = _TEXT.get(key)
    if said is None:
        rendered = SPEECH.render_now("en-US", reply.view, reply.data, reply.card)
        said = _TEXT[key] = to_text(rendered.speech or "")
    return said


def unique(replies: Iterator[Reply] | list[Reply]) -> list[Reply]:
    """Each distinct reply once: the walk reaches most of them many times."""
    return list({reply_key(r.view or "", r.data, r.card): r for r in replies}.values())


def test_the_walk_is_wide(walk_steps: list[Step]) -> None:
    views = {step.reply.view for step in walk_steps}
    assert {"welcome", "welcome_back", "step", "practice", "fallback", "pacing"} <= views
    assert len(walk_steps) > 10_000


def test_no_response_repeats_the_one_before_word_for_word(walk_steps: list[Step]) -> None:
    repeated = {
        f"{step.path}: {text(step.reply)[:80]}"
        for step in walk_steps
        if step.before is not None
        and step.command.action is not Action.REPEAT
        and step.reply.view not in FIXED_VIEWS
        and text(step.reply) == text(step.before)
    }
    assert not repeated, "\n".join(sorted(repeated)[:20])


def test_every_variant_is_valid_speech_with_a_reprompt_when_open(walk_steps: list[Step]) -> None:
    replies = {
        reply_key(s.reply.view or "", s.reply.data, s.reply.card): s.reply for s in walk_steps
    }
    problems = []
    for found in replies.values():
        for reply in variants(found):
            assert reply.view is not None
            rendered = SPEECH.render_now("en-US", reply.view, reply.data, reply.card)
            try:
                validate(rendered.speech or "")
                if reply.end_session:
                    assert rendered.reprompt is None
                else:
                    assert rendered.reprompt, "no reprompt on an open session"
                    validate(rendered.reprompt)
            except Exception as exc:  # collect them all
                problems.append(f"{reply.view} {dict(reply.data)}: {exc}")
    assert not problems, "\n".join(problems[:10])


def test_every_view_with_variants_has_three_that_differ(walk_steps: list[Step]) -> None:
    # Every view that keeps the session open (it can come twice in a row), and goodbye.
    one_each = {
        step.reply.view: step.reply
        for step in walk_steps
        if "v" in step.reply.data and (not step.reply.end_session or step.reply.view == "goodbye")
    }
    for view, reply in one_each.items():
        by_level: dict[object, set[str]] = {}
        for r in variants(reply):
            by_level.setdefault(r.data.get("level"), set()).add(text(r))
        for level, said in by_level.items():
            assert len(said) == 3, (view, level, said)


def test_a_returning_welcome_is_shorter_than_a_first_one(walk_steps: list[Step]) -> None:
    first = [step.reply for step in walk_steps if step.reply.view == "welcome"]
    back = [step.reply for step in walk_steps if step.reply.view == "welcome_back"]
    shortest_first = min(len(text(r).split()) for f in first for r in variants(f))
    longest_back = max(len(text(r).split()) for b in back for r in variants(b))
    assert longest_back < shortest_first


def test_the_third_fallback_in_a_row_offers_help_or_a_way_out() -> None:
    states = {}
    for conversation, progress in _some_states():
        if not conversation.misses:
            states[_key(conversation, progress, CATALOG)] = (conversation, progress)
    for conversation, progress in states.values():
        checking = conversation.question in CHECK_IN_QUESTIONS
        said = []
        for _ in range(3):
            turn = handle(conversation, progress, Command(Action.FALLBACK), NOW, CATALOG)
            conversation, progress = turn.conversation, turn.progress
            said.append(turn.reply)
        if checking:
            # Anything unclear said to "are you safe?" is the safety answer, then the hold.
            assert said[0].view in ("safety", "self_harm")
            assert all(r.view == "safety_hold" for r in said[1:])
            continue
        if conversation.hold:
            assert all(r.view == "safety_hold" for r in said)  # the hold answers as ever
            continue
        if conversation.question is Question.TURN:
            # Two people taking turns talk to each other: never a miss, never an end.
            assert all(r.view == "turn_wait" for r in said)
            continue
        third = text(said[2]).lower()
        assert "say help" in third and "say stop" in third, third
        first, second = (len(text(r).split()) for r in said[:2])
        assert first < second, (text(said[0]), text(said[1]))


def _some_states() -> Iterator[tuple[Conversation, Progress]]:
    """The states two turns from every start."""
    for progress in starts(CATALOG):
        for a in commands(CATALOG):
            turn = handle(Conversation(), progress, a, NOW, CATALOG)
            if turn.reply.end_session:
                continue
            for b in commands(CATALOG):
                after = handle(turn.conversation, turn.progress, b, NOW, CATALOG)
                if not after.reply.end_session:
                    yield after.conversation, after.progress


def test_no_after_a_finished_program_never_offers_it_again(walk_steps: list[Step]) -> None:
    looped = {
        step.path
        for step in walk_steps
        if step.before is not None
        and step.before.view == "program_done"
        and step.command.action is Action.NO
        and step.reply.data.get("offer") == step.before.data["done"]
    }
    assert not looped, sorted(looped)[:10]


def test_the_first_tip_asks_its_question_within_35_seconds(walk_steps: list[Step]) -> None:
    first_tips = unique(
        r
        for step in walk_steps
        if step.reply.view == "step" and step.reply.data.get("step") == 1
        if step.reply.data.get("program") == "motivate"
        for r in variants(step.reply)
    )
    assert first_tips
    for reply in first_tips:
        assert reply.view is not None
        rendered = SPEECH.render_now("en-US", reply.view, reply.data, reply.card)
        assert before_question(rendered.speech).seconds <= FIRST_TIP_SECONDS, text(reply)


def test_the_list_of_tips_says_what_tips_four_and_five_are_about(walk_steps: list[Step]) -> None:
    listed = next(text(s.reply) for s in walk_steps if s.reply.view == "list_steps")
    assert "what happens next" not in listed
    assert "when your partner says no. Four. Roll with the resistance" in listed
    assert "about you. Five. Start with yourself" in listed


def test_pacing_keeps_every_pause_within_alexas_limit(walk_steps: list[Step]) -> None:
    paced = unique(
        s.reply for s in walk_steps if s.reply.data.get("room") or s.reply.data.get("pace")
    )
    assert paced
    for reply in paced:
        assert reply.view is not None
        rendered = SPEECH.render_now("en-US", reply.view, reply.data, reply.card)
        validate(rendered.speech or "")  # breaks over 10 s are invalid
        assert ("<prosody" in (rendered.speech or "")) is bool(reply.data.get("pace"))
