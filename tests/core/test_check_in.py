"""The check-in in the dialog core: words that may be a disclosure get one direct question.

"Are you safe right now?" (danger from a partner) takes yes as safe; "are you having
thoughts of suicide?" takes no as safe. Only a clear "I'm safe" carries on where the
person was; "no", "not really", "I don't know" or anything else brings the safety answer.
"""

from __future__ import annotations

import pytest

from skill.core.dialog import Action, Command, Conversation, Question, Turn, handle
from skill.core.progress import Progress
from skill.speech.programs import get_catalog

NOW = 1_800_000_000
CATALOG = get_catalog()
START = Command(Action.START_PROGRAM, program="motivate")


def run(*actions: Action | Command) -> list[Turn]:
    conversation, progress = Conversation(), Progress()
    turns = []
    for action in actions:
        command = action if isinstance(action, Command) else Command(action)
        turn = handle(conversation, progress, command, NOW, CATALOG)
        conversation, progress = turn.conversation, turn.progress
        turns.append(turn)
    return turns


def test_unclear_words_about_a_partner_ask_whether_the_person_is_safe() -> None:
    turn = run(Action.LAUNCH, START, Action.CHECK_IN)[-1]
    assert turn.reply.view == "check_in"
    assert turn.reply.data["question"] == "safe_now"
    assert turn.conversation.question is Question.SAFE_NOW
    assert not turn.conversation.hold  # nothing is held yet: only a question


def test_unclear_words_about_self_harm_ask_about_suicide_directly() -> None:
    turn = run(Action.LAUNCH, Action.CHECK_IN_SELF_HARM)[-1]
    assert turn.reply.view == "check_in"
    assert turn.conversation.question is Question.SUICIDE


def test_yes_im_safe_carries_on_exactly_where_the_person_was() -> None:
    before, _asked, fine = run(Action.LAUNCH, START, Action.CHECK_IN, Action.YES)[1:]
    assert fine.reply.view == "check_in_fine"
    assert fine.conversation.program == "motivate" and fine.conversation.step == 1
    assert fine.conversation.question is before.conversation.question
    # The next yes answers the question that was open before the check-in.
    after = run(Action.LAUNCH, START, Action.CHECK_IN, Action.YES, Action.YES)[-1]
    assert after.reply.view == "practice"


@pytest.mark.parametrize("answer", [Action.NO, Action.DONT_KNOW, Action.FALLBACK, Action.NEXT])
def test_no_or_anything_unclear_to_are_you_safe_brings_the_safety_answer(answer: Action) -> None:
    turn = run(Action.LAUNCH, START, Action.CHECK_IN, answer)[-1]
    assert turn.reply.view == "safety"
    assert turn.conversation.hold


@pytest.mark.parametrize("answer", [Action.YES, Action.DONT_KNOW, Action.FALLBACK])
def test_yes_or_anything_unclear_to_the_suicide_question_brings_the_crisis_line(
    answer: Action,
) -> None:
    turn = run(Action.LAUNCH, Action.CHECK_IN_SELF_HARM, answer)[-1]
    assert turn.reply.view == "self_harm"
    assert turn.conversation.hold


@pytest.mark.parametrize("answer", [Action.NO, Action.MISUNDERSTOOD])
def test_no_to_the_suicide_question_carries_on(answer: Action) -> None:
    turn = run(Action.LAUNCH, Action.CHECK_IN_SELF_HARM, answer)[-1]
    assert turn.reply.view == "check_in_fine"
    assert turn.conversation.question is Question.OFFER  # the welcome's question, again


def test_im_fine_is_a_clear_answer_to_are_you_safe() -> None:
    turn = run(Action.LAUNCH, START, Action.CHECK_IN, Action.MISUNDERSTOOD)[-1]
    assert turn.reply.view == "check_in_fine"


def test_the_check_in_is_not_asked_twice_for_the_same_kind_in_a_visit() -> None:
    turns = run(Action.LAUNCH, START, Action.CHECK_IN, Action.YES, Action.CHECK_IN)
    again = turns[-1]
    assert again.reply.view == "feelings" and again.reply.data["checked"] is True
    assert again.conversation.question is turns[-2].conversation.question
    # ...but the other kind is still asked, and a clear disclosure still gets the answer.
    other = run(Action.LAUNCH, START, Action.CHECK_IN, Action.YES, Action.CHECK_IN_SELF_HARM)
    assert other[-1].reply.view == "check_in"
    clear = run(Action.LAUNCH, START, Action.CHECK_IN, Action.YES, Action.SAFETY)
    assert clear[-1].reply.view == "safety"


def test_a_disclosure_during_the_check_in_is_answered_at_once() -> None:
    turn = run(Action.LAUNCH, Action.CHECK_IN, Action.SELF_HARM)[-1]
    assert turn.reply.view == "self_harm"


def test_repeat_and_help_say_the_question_again_and_stop_leaves_the_numbers() -> None:
    assert run(Action.LAUNCH, Action.CHECK_IN, Action.REPEAT)[-1].reply.view == "check_in"
    assert run(Action.LAUNCH, Action.CHECK_IN, Action.HELP)[-1].reply.view == "check_in"
    goodbye = run(Action.LAUNCH, Action.CHECK_IN, Action.STOP)[-1].reply
    assert goodbye.view == "safety_goodbye" and goodbye.end_session and goodbye.card == "numbers"


def test_misunderstood_after_a_check_in_turned_safety_answer_goes_back_to_before() -> None:
    turns = run(Action.LAUNCH, START, Action.CHECK_IN, Action.NO, Action.MISUNDERSTOOD)
    assert turns[-1].reply.view == "misunderstood"
    assert turns[-1].conversation.program == "motivate" and turns[-1].conversation.step == 1


def test_while_held_a_check_in_is_not_asked() -> None:
    turn = run(Action.LAUNCH, Action.SAFETY, Action.CHECK_IN)[-1]
    assert turn.reply.view == "safety_hold"


def test_feelings_are_acknowledged_and_the_open_question_stays_open() -> None:
    turn = run(Action.LAUNCH, START, Action.FEELINGS)[-1]
    assert turn.reply.view == "feelings"
    assert turn.conversation.question is Question.PRACTICE
    assert turn.conversation.misses == 0


def test_the_session_keeps_what_was_answered_across_turns() -> None:
    turn = run(Action.LAUNCH, Action.CHECK_IN, Action.YES)[-1]
    kept = Conversation.from_dict(turn.conversation.to_dict())
    assert kept.fine == ("partner",)
    assert Conversation.from_dict({"fine": ["partner", "nonsense", 3]}).fine == ("partner",)
