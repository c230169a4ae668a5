"""The dialog core on its own: no ASK SDK, no storage, no templates."""

from __future__ import annotations

from skill.core.dialog import Action, Command, Conversation, Question, Turn, handle
from skill.core.program import PRACTICE_STEPS, TIP_COUNT
from skill.core.progress import Progress

NOW = 1_800_000_000


def run(*actions: Action | Command, progress: Progress | None = None) -> Turn:
    conversation, p = Conversation(), progress or Progress()
    turn = None
    for action in actions:
        command = action if isinstance(action, Command) else Command(action)
        turn = handle(conversation, p, command, NOW)
        conversation, p = turn.conversation, turn.progress
    assert turn is not None
    return turn


def test_new_user_is_welcomed_and_asked_to_start() -> None:
    turn = run(Action.LAUNCH)
    assert turn.reply.view == "welcome"
    assert turn.conversation.question is Question.START


def test_yes_starts_tip_one_with_the_intro_and_records_it() -> None:
    turn = run(Action.LAUNCH, Action.YES)
    assert turn.reply.view == "tip"
    assert turn.reply.data["tip"] == 1 and turn.reply.data["intro"] is True
    assert turn.progress.current_tip == 1 and 1 in turn.progress.finished_tips
    assert turn.reply.card == "tip"


def test_next_walks_all_five_tips_then_offers_set_your_direction() -> None:
    actions = [Action.START_MOTIVATE] + [Action.NEXT] * (TIP_COUNT - 1)
    assert run(*actions).reply.data["tip"] == TIP_COUNT
    done = run(*actions, Action.NEXT)
    assert done.reply.view == "program_done"
    assert done.progress.program_finished
    assert done.progress.finished_tips == frozenset(range(1, TIP_COUNT + 1))
    direction = run(*actions, Action.NEXT, Action.YES)
    assert direction.reply.view == "direction" and direction.reply.data["step"] == 1


def test_practice_chains_through_ready_and_ends_in_a_question() -> None:
    turn = run(Action.START_MOTIVATE, Action.YES)
    assert turn.reply.view == "practice" and turn.reply.data["step"] == 1
    assert turn.conversation.question is Question.READY
    for _ in range(PRACTICE_STEPS - 1):
        turn = run(Action.START_MOTIVATE, Action.YES, Action.READY)
    assert turn.conversation.question is Question.REFLECT
    done = run(Action.START_MOTIVATE, Action.YES, Action.READY, Action.NO)
    assert done.reply.view == "practice_done" and done.reply.data["answered"] is False
    assert done.progress.finished_practices == frozenset({1})
    assert (
        run(Action.START_MOTIVATE, Action.YES, Action.READY, Action.NO, Action.YES).reply.data[
            "tip"
        ]
        == 2
    )


def test_no_to_the_practice_moves_on_to_the_next_tip() -> None:
    turn = run(Action.START_MOTIVATE, Action.NO)
    assert turn.reply.view == "tip" and turn.reply.data["tip"] == 2
    assert turn.progress.finished_practices == frozenset()


def test_not_ready_keeps_waiting_without_losing_the_place() -> None:
    turn = run(Action.START_MOTIVATE, Action.YES, Action.NO)
    assert turn.reply.view == "take_your_time"
    assert turn.conversation.question is Question.READY and turn.conversation.step == 1


def test_previous_and_jump_and_out_of_range() -> None:
    assert (
        run(Action.START_MOTIVATE, Action.NEXT, Action.NEXT, Action.PREVIOUS).reply.data["tip"] == 2
    )
    first = run(Action.START_MOTIVATE, Action.PREVIOUS)
    assert first.reply.data == {**first.reply.data, "tip": 1, "note": "first"}
    jump = run(Action.START_MOTIVATE, Command(Action.GO_TO_TIP, tip=4, heard="four"))
    assert jump.reply.data["tip"] == 4
    bad = run(Action.START_MOTIVATE, Command(Action.GO_TO_TIP, tip=9, heard="nine"))
    assert bad.reply.view == "tip_out_of_range" and bad.reply.data["number"] == 9
    # The open question survives the detour: yes still means "practice tip 1".
    assert bad.conversation.question is Question.PRACTICE and bad.conversation.tip == 1
    missing = run(Action.START_MOTIVATE, Command(Action.GO_TO_TIP))
    assert missing.reply.view == "tip_out_of_range" and missing.reply.data["number"] is None


def test_repeat_says_the_last_thing_again_and_asides_do_not_replace_it() -> None:
    tip = run(Action.START_MOTIVATE, Action.NEXT).reply
    assert run(Action.START_MOTIVATE, Action.NEXT, Action.REPEAT).reply == tip
    assert run(Action.START_MOTIVATE, Action.NEXT, Action.PAUSE, Action.REPEAT).reply == tip


def test_pause_and_resume_return_to_the_same_place() -> None:
    paused = run(Action.START_MOTIVATE, Action.YES, Action.PAUSE)
    assert paused.reply.view == "paused" and paused.conversation.paused
    resumed = run(Action.START_MOTIVATE, Action.YES, Action.PAUSE, Action.RESUME)
    assert resumed.reply.view == "practice" and resumed.reply.data["step"] == 1
    assert not resumed.conversation.paused


def test_help_and_fallback_depend_on_where_the_user_is() -> None:
    assert run(Action.HELP).reply.data["context"] == "menu"
    assert run(Action.LAUNCH, Action.HELP).reply.data["context"] == "start"
    assert run(Action.START_MOTIVATE, Action.FALLBACK).reply.data["context"] == "practice"
    assert run(Action.START_MOTIVATE, Action.YES, Action.HELP).reply.data["context"] == "ready"
    # Help leaves the question open.
    assert run(Action.LAUNCH, Action.HELP).conversation.question is Question.START


def test_yes_with_no_question_open_is_not_taken_as_consent() -> None:
    turn = run(Action.YES)
    assert turn.reply.view == "fallback"
    assert turn.progress == Progress()


def test_safety_stops_coaching_and_ends_the_session() -> None:
    turn = run(Action.START_MOTIVATE, Action.NEXT, Action.SAFETY)
    assert turn.reply.view == "safety" and turn.reply.end_session
    assert turn.conversation == Conversation()


def test_stop_says_goodbye_and_keeps_progress() -> None:
    turn = run(Action.START_MOTIVATE, Action.NEXT, Action.STOP)
    assert turn.reply.view == "goodbye" and turn.reply.end_session
    assert turn.progress.current_tip == 2


def test_session_end_is_silent() -> None:
    turn = run(Action.START_MOTIVATE, Action.SESSION_ENDED)
    assert turn.reply.view is None and turn.reply.end_session


def test_returning_user_is_offered_to_resume_after_the_last_finished_tip() -> None:
    progress = Progress(current_tip=2, finished_tips=frozenset({1, 2}), last_visit=NOW - 60)
    turn = run(Action.LAUNCH, progress=progress)
    assert turn.reply.view == "welcome_back"
    assert turn.reply.data["last_tip"] == 2 and turn.reply.data["next_tip"] == 3
    assert turn.reply.data["recap"] is False
    assert run(Action.LAUNCH, Action.YES, progress=progress).reply.data["tip"] == 3
    assert run(Action.LAUNCH, Action.RESUME, progress=progress).reply.data["tip"] == 3
    over = run(Action.LAUNCH, Action.START_OVER, progress=progress)
    assert over.reply.data["tip"] == 1 and over.reply.data["intro"]


def test_long_absence_gets_a_recap() -> None:
    progress = Progress(current_tip=2, finished_tips=frozenset({1, 2}), last_visit=NOW - 15 * 86400)
    assert run(Action.LAUNCH, progress=progress).reply.data["recap"] is True


def test_forget_asks_first_and_only_yes_deletes() -> None:
    progress = Progress(current_tip=2, finished_tips=frozenset({1, 2}))
    asked = run(Action.FORGET, progress=progress)
    assert asked.reply.view == "forget_confirm" and not asked.forget
    kept = run(Action.FORGET, Action.NO, progress=progress)
    assert not kept.forget and kept.progress.current_tip == 2
    gone = run(Action.FORGET, Action.YES, progress=progress)
    assert gone.forget and gone.progress == Progress() and gone.reply.end_session


def test_set_your_direction_on_its_own() -> None:
    turn = run(Action.START_DIRECTION, Action.READY, Action.READY)
    assert turn.conversation.question is Question.DIRECTION_REFLECT
    done = run(Action.START_DIRECTION, Action.READY, Action.READY, Action.YES)
    assert done.reply.view == "direction_done" and done.progress.direction_finished
    assert done.progress.current_tip == 0
    assert run(Action.START_DIRECTION, Action.NEXT, Action.PREVIOUS).reply.data["step"] == 1


def test_conversation_survives_a_round_trip_through_session_attributes() -> None:
    turn = run(Action.START_MOTIVATE, Action.YES)
    again = Conversation.from_dict(turn.conversation.to_dict())
    assert again == turn.conversation
    assert Conversation.from_dict({"program": "gone-program"}) == Conversation()


def test_heard_the_last_tip_without_saying_next_counts_as_done() -> None:
    heard = Progress(current_tip=TIP_COUNT, finished_tips=frozenset(range(1, TIP_COUNT + 1)))
    turn = run(Action.LAUNCH, progress=heard)
    assert turn.reply.data["finished_all"] is True
    assert turn.conversation.question is Question.DIRECTION
    jumped = Progress(current_tip=TIP_COUNT, finished_tips=frozenset({1, TIP_COUNT}))
    assert run(Action.LAUNCH, progress=jumped).reply.data["next_tip"] == 2
