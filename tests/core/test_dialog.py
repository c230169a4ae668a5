"""The dialog core on its own: no ASK SDK, no storage, no templates.

The programs are the content's (``templates/en/programs/``), read once here; a second,
made-up catalog shows the core walks programs it has never heard of.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from skill.core.dialog import Action, Command, Conversation, Question, Turn, handle
from skill.core.program import Catalog, Program, Step
from skill.core.progress import ProgramProgress, Progress
from skill.speech.programs import get_catalog

NOW = 1_800_000_000
CATALOG = get_catalog()
MOTIVATE = CATALOG["motivate"]
TIP_COUNT = MOTIVATE.size
START_MOTIVATE = Command(Action.START_PROGRAM, program="motivate")
START_DIRECTION = Command(Action.START_PROGRAM, program="direction")


def run(
    *actions: Action | Command, progress: Progress | None = None, catalog: Catalog = CATALOG
) -> Turn:
    conversation, p = Conversation(), progress or Progress()
    turn = None
    for action in actions:
        command = action if isinstance(action, Command) else Command(action)
        turn = handle(conversation, p, command, NOW, catalog)
        conversation, p = turn.conversation, turn.progress
    assert turn is not None
    return turn


def tips(position: int, heard: set[int], **more: object) -> Progress:
    motivate = ProgramProgress(position=position, heard=frozenset(heard), **more)  # type: ignore[arg-type]
    return Progress().with_program("motivate", motivate)


def test_the_content_describes_its_programs() -> None:
    assert [program.id for program in CATALOG] == ["motivate", "direction", "together"]
    assert CATALOG["together"].audience == "couple"
    assert CATALOG.main is MOTIVATE and TIP_COUNT == 5
    assert all(step.practice for step in MOTIVATE.steps)
    assert [step.kind for step in CATALOG["direction"].steps] == ["guided"] * 3
    assert CATALOG.for_intent("SetDirectionIntent") is CATALOG["direction"]
    assert CATALOG.named("Set my direction") is CATALOG["direction"]
    assert CATALOG.named("the weather") is None


def test_new_user_is_welcomed_and_offered_the_main_program() -> None:
    turn = run(Action.LAUNCH)
    assert turn.reply.view == "welcome"
    assert turn.conversation.question is Question.OFFER
    assert turn.conversation.offer == "motivate"


def test_yes_starts_tip_one_with_the_intro_and_records_it() -> None:
    turn = run(Action.LAUNCH, Action.YES)
    assert turn.reply.view == "step"
    assert turn.reply.data["step"] == 1 and turn.reply.data["intro"] is True
    assert turn.reply.data["step_id"] == "relationship"
    assert turn.progress.of("motivate").position == 1 and 1 in turn.progress.of("motivate").heard
    assert turn.progress.current == "motivate"
    assert turn.reply.card == "step"


def test_next_walks_all_five_tips_then_offers_set_your_direction() -> None:
    actions = [START_MOTIVATE] + [Action.NEXT] * (TIP_COUNT - 1)
    assert run(*actions).reply.data["step"] == TIP_COUNT
    done = run(*actions, Action.NEXT)
    assert done.reply.view == "program_done" and done.reply.data["done"] == "motivate"
    assert done.reply.data["offer"] == "direction"
    assert done.progress.of("motivate").finished
    assert done.progress.of("motivate").heard == frozenset(range(1, TIP_COUNT + 1))
    direction = run(*actions, Action.NEXT, Action.YES)
    assert direction.reply.view == "step" and direction.reply.data["program"] == "direction"
    assert direction.reply.data["step"] == 1 and direction.reply.data["intro"] is True


def test_a_practice_is_one_piece_that_ends_in_its_question() -> None:
    turn = run(START_MOTIVATE, Action.YES)
    assert turn.reply.view == "practice" and turn.reply.data["piece"] is True
    assert turn.conversation.question is Question.REFLECT and turn.conversation.part == 1
    done = run(START_MOTIVATE, Action.YES, Action.NO)
    assert done.reply.view == "practice_done" and done.reply.data["answered"] is False
    assert done.progress.of("motivate").practiced == frozenset({1})
    after = run(START_MOTIVATE, Action.YES, Action.NO, Action.YES)
    assert after.reply.data["step"] == 2


def test_no_to_the_practice_moves_on_to_the_next_tip() -> None:
    turn = run(START_MOTIVATE, Action.NO)
    assert turn.reply.view == "step" and turn.reply.data["step"] == 2
    assert turn.progress.of("motivate").practiced == frozenset()


def test_a_session_waiting_for_ready_goes_on_with_the_whole_practice() -> None:
    """A session of an older deployment, in a practice that waited for "ready"."""
    waiting = Conversation(program="motivate", step=2, part=1, question=Question.READY)
    ready = handle(waiting, tips(2, {1, 2}), Command(Action.READY), NOW, CATALOG)
    assert ready.reply.view == "practice" and ready.conversation.question is Question.REFLECT
    no = handle(waiting, tips(2, {1, 2}), Command(Action.NO), NOW, CATALOG)
    assert no.reply.view == "practice_left" and no.conversation.question is Question.NEXT_STEP


def test_previous_and_jump_and_out_of_range() -> None:
    assert run(START_MOTIVATE, Action.NEXT, Action.NEXT, Action.PREVIOUS).reply.data["step"] == 2
    first = run(START_MOTIVATE, Action.PREVIOUS)
    assert first.reply.data["step"] == 1 and first.reply.data["note"] == "first"
    jump = run(START_MOTIVATE, Command(Action.GO_TO_STEP, number=4, heard="four"))
    assert jump.reply.data["step"] == 4
    bad = run(START_MOTIVATE, Command(Action.GO_TO_STEP, number=9, heard="nine"))
    assert bad.reply.view == "step_out_of_range" and bad.reply.data["number"] == 9
    assert bad.reply.data["count"] == TIP_COUNT
    # The open question survives the detour: yes still means "practice tip 1".
    assert bad.conversation.question is Question.PRACTICE and bad.conversation.step == 1
    missing = run(START_MOTIVATE, Command(Action.GO_TO_STEP))
    assert missing.reply.view == "step_out_of_range" and missing.reply.data["number"] is None


def test_a_tip_number_in_the_reflection_goes_to_that_tip() -> None:
    turn = run(START_DIRECTION, Command(Action.GO_TO_STEP, number=3, heard="3"))
    assert turn.reply.data["program"] == "motivate" and turn.reply.data["step"] == 3


def test_repeat_says_the_last_thing_again_and_asides_do_not_replace_it() -> None:
    tip = run(START_MOTIVATE, Action.NEXT).reply
    assert run(START_MOTIVATE, Action.NEXT, Action.REPEAT).reply == tip
    assert run(START_MOTIVATE, Action.NEXT, Action.PAUSE, Action.REPEAT).reply == tip


def test_pause_and_resume_return_to_the_same_place() -> None:
    paused = run(START_MOTIVATE, Action.YES, Action.PAUSE)
    assert paused.reply.view == "paused" and paused.conversation.paused
    resumed = run(START_MOTIVATE, Action.YES, Action.PAUSE, Action.RESUME)
    assert resumed.reply.view == "practice" and resumed.reply.data["piece"] is True
    assert not resumed.conversation.paused


def test_help_and_fallback_depend_on_where_the_user_is() -> None:
    assert run(Action.HELP).reply.data["context"] == "menu"
    assert run(Action.LAUNCH, Action.HELP).reply.data["context"] == "offer"
    assert run(START_MOTIVATE, Action.FALLBACK).reply.data["context"] == "practice"
    in_practice = run(START_MOTIVATE, Action.YES, Action.HELP).reply.data
    assert in_practice["context"] == "reflect" and in_practice["piece"] is True
    # Help leaves the question open.
    assert run(Action.LAUNCH, Action.HELP).conversation.question is Question.OFFER


def test_yes_with_no_question_open_is_not_taken_as_consent() -> None:
    turn = run(Action.YES)
    assert turn.reply.view == "fallback"
    assert turn.progress == Progress()


@pytest.mark.parametrize(
    ("action", "view"), [(Action.SAFETY, "safety"), (Action.SELF_HARM, "self_harm")]
)
def test_a_disclosure_stops_coaching_and_holds_it(action: Action, view: str) -> None:
    turn = run(START_MOTIVATE, Action.NEXT, action)
    assert turn.reply.view == view and turn.reply.card == "numbers"
    # The door stays open, so a misreading can be undone; nothing of it is kept to repeat.
    assert not turn.reply.end_session and turn.conversation.hold
    assert turn.conversation.last is None and turn.conversation.program is None
    assert turn.progress == run(START_MOTIVATE, Action.NEXT).progress  # nothing stored


@pytest.mark.parametrize(
    "action",
    [
        Action.YES,
        Action.NEXT,
        Action.READY,
        Action.RESUME,
        Action.FALLBACK,
        Action.HOME,
        START_MOTIVATE,
        Command(Action.GO_TO_STEP, number=3),
    ],
)
def test_coaching_never_comes_back_on_its_own_after_a_disclosure(action: Action | Command) -> None:
    turn = run(START_MOTIVATE, Action.SAFETY, action)
    assert turn.reply.view == "safety_hold" and turn.conversation.hold
    assert not turn.reply.end_session


def test_after_a_disclosure_repeat_gives_the_numbers_and_stop_says_goodbye() -> None:
    assert run(START_MOTIVATE, Action.SELF_HARM, Action.REPEAT).reply.view == "safety_numbers"
    assert run(START_MOTIVATE, Action.SELF_HARM, Action.HELP).reply.view == "safety_numbers"
    bye = run(START_MOTIVATE, Action.SAFETY, Action.STOP)
    assert bye.reply.view == "safety_goodbye" and bye.reply.end_session


def test_a_false_alarm_is_undone_in_one_utterance_where_the_user_was() -> None:
    before = run(START_MOTIVATE, Action.NEXT, Action.YES)  # in tip 2's practice
    assert before.conversation.question is Question.REFLECT
    back = run(START_MOTIVATE, Action.NEXT, Action.YES, Action.SAFETY, Action.MISUNDERSTOOD)
    assert back.reply.view == "misunderstood" and not back.conversation.hold
    # Where the user was; only the visit remembers that no reminder is offered in it now.
    assert back.conversation.quiet and not before.conversation.quiet
    assert back.conversation._replace(last=None, quiet=False) == before.conversation._replace(
        last=None
    )
    assert back.reply.data["question"] == "reflect"
    # Answering the practice's question now goes on as it would have.
    go_on = run(
        START_MOTIVATE, Action.NEXT, Action.YES, Action.SAFETY, Action.MISUNDERSTOOD, Action.YES
    )
    assert go_on.reply.view == "practice_done" and go_on.reply.data["step"] == 2


def test_a_second_disclosure_keeps_the_place_from_before_the_first() -> None:
    turn = run(START_MOTIVATE, Action.NEXT, Action.SAFETY, Action.SELF_HARM, Action.MISUNDERSTOOD)
    assert turn.conversation.program == "motivate" and turn.conversation.step == 2


def test_data_can_be_deleted_while_coaching_is_held() -> None:
    asked = run(START_MOTIVATE, Action.SAFETY, Action.FORGET)
    assert asked.reply.view == "forget_confirm"
    gone = run(START_MOTIVATE, Action.SAFETY, Action.FORGET, Action.YES)
    assert gone.forget and gone.reply.end_session
    kept = run(START_MOTIVATE, Action.SAFETY, Action.FORGET, Action.NO)
    assert kept.reply.view == "safety_hold" and kept.conversation.hold


def test_misunderstood_without_a_disclosure_is_an_apology_not_a_miss() -> None:
    turn = run(START_MOTIVATE, Action.FALLBACK, Action.MISUNDERSTOOD)
    assert turn.reply.view == "apology" and turn.conversation.misses == 0
    assert turn.conversation.question is Question.PRACTICE  # the question stays open


def test_eyes_open_replays_the_practice_part_without_closing_the_eyes() -> None:
    turn = run(START_MOTIVATE, Action.YES, Action.EYES_OPEN)
    assert turn.reply.view == "practice" and turn.reply.data["piece"] is True
    assert turn.reply.data["eyes_open"] is True and turn.reply.data["note"] == "eyes_open"
    later = run(START_MOTIVATE, Action.YES, Action.EYES_OPEN, Action.YES)
    assert later.reply.view == "practice_done" and later.reply.data["eyes_open"] is True
    guided = run(START_DIRECTION, Action.EYES_OPEN)
    assert guided.reply.view == "step" and guided.reply.data["eyes_open"] is True
    aside = run(Action.LAUNCH, Action.EYES_OPEN)
    assert aside.reply.view == "eyes_open" and aside.conversation.question is Question.OFFER


def test_stop_says_goodbye_and_keeps_progress() -> None:
    turn = run(START_MOTIVATE, Action.NEXT, Action.STOP)
    assert turn.reply.view == "goodbye" and turn.reply.end_session
    assert turn.progress.of("motivate").position == 2


def test_session_end_is_silent() -> None:
    turn = run(START_MOTIVATE, Action.SESSION_ENDED)
    assert turn.reply.view is None and turn.reply.end_session


def test_returning_user_is_offered_to_resume_after_the_last_finished_tip() -> None:
    progress = replace(tips(2, {1, 2}), last_visit=NOW - 60)
    turn = run(Action.LAUNCH, progress=progress)
    assert turn.reply.view == "welcome_back" and turn.reply.data["resume"] == "motivate"
    assert turn.reply.data["last_step"] == 2 and turn.reply.data["next_step"] == 3
    assert turn.reply.data["recap"] is False
    assert run(Action.LAUNCH, Action.YES, progress=progress).reply.data["step"] == 3
    assert run(Action.LAUNCH, Action.RESUME, progress=progress).reply.data["step"] == 3
    over = run(Action.LAUNCH, Action.START_OVER, progress=progress)
    assert over.reply.data["step"] == 1 and over.reply.data["intro"]


def test_declining_the_resume_then_yes_to_the_beginning_means_tip_one() -> None:
    progress = tips(3, {1, 2, 3})
    declined = run(Action.LAUNCH, Action.NO, progress=progress)
    assert declined.reply.view == "resume_declined"
    assert declined.conversation.question is Question.RESTART
    turn = run(Action.LAUNCH, Action.NO, Action.YES, progress=progress)
    assert turn.reply.data["step"] == 1 and turn.reply.data["intro"] is True


def test_long_absence_gets_a_recap() -> None:
    progress = replace(tips(2, {1, 2}), last_visit=NOW - 15 * 86400)
    assert run(Action.LAUNCH, progress=progress).reply.data["recap"] is True


def test_forget_asks_first_and_only_yes_deletes() -> None:
    progress = tips(2, {1, 2})
    asked = run(Action.FORGET, progress=progress)
    assert asked.reply.view == "forget_confirm" and not asked.forget
    kept = run(Action.FORGET, Action.NO, progress=progress)
    assert not kept.forget and kept.progress.of("motivate").position == 2
    gone = run(Action.FORGET, Action.YES, progress=progress)
    assert gone.forget and gone.progress == Progress() and gone.reply.end_session


def test_set_your_direction_on_its_own() -> None:
    turn = run(START_DIRECTION)  # its three guided steps, as one piece
    assert turn.conversation.question is Question.REFLECT and turn.reply.data["piece"] is True
    assert turn.reply.data["step_ids"] == "picture needs small_step"
    assert turn.progress.of("direction").heard == frozenset({1, 2, 3})
    done = run(START_DIRECTION, Action.YES)
    assert done.reply.view == "program_done" and done.reply.data["done"] == "direction"
    assert done.reply.data["answered"] is True and done.reply.data["offer"] == "motivate"
    assert done.progress.of("direction").finished
    assert not done.progress.of("motivate").started
    assert run(START_DIRECTION, Action.NEXT, Action.PREVIOUS).reply.data["step"] == 1


def test_no_loops_after_everything_is_done() -> None:
    """After both programs, no to the offer ends the session: nothing just done is offered."""
    walk = [START_MOTIVATE, *[Action.NEXT] * TIP_COUNT, Action.YES]
    done = run(*walk, Action.YES)
    assert done.reply.data["offer"] == "motivate" and done.reply.data["again"] is True
    bye = run(*walk, Action.YES, Action.NO)
    assert bye.reply.view == "goodbye" and bye.reply.end_session


def test_no_to_the_tips_offers_the_reflection_once_then_says_goodbye() -> None:
    declined = run(Action.LAUNCH, Action.NO)
    assert declined.reply.view == "offer_declined" and declined.reply.data["offer"] == "direction"
    assert run(Action.LAUNCH, Action.NO, Action.NO).reply.view == "goodbye"


def test_conversation_survives_a_round_trip_through_session_attributes() -> None:
    turn = run(START_MOTIVATE, Action.YES)
    again = Conversation.from_dict(turn.conversation.to_dict())
    assert again == turn.conversation
    # A program the content no longer has is dropped on the next turn, not crashed on.
    gone = Conversation.from_dict({"program": "gone-program", "step": 2})
    assert (
        run(Action.NEXT).reply == handle(gone, Progress(), Command(Action.NEXT), NOW, CATALOG).reply
    )


def test_a_session_from_before_programs_were_content_keeps_its_place() -> None:
    old = {"program": "motivate", "tip": 3, "step": 1, "question": "ready", "paused": False}
    conversation = Conversation.from_dict(old)
    assert (conversation.program, conversation.step, conversation.part) == ("motivate", 3, 1)
    turn = handle(conversation, tips(3, {1, 2, 3}), Command(Action.RESUME), NOW, CATALOG)
    assert turn.reply.view == "practice" and turn.reply.data["step"] == 3


def test_heard_the_last_tip_without_saying_next_counts_as_done() -> None:
    heard = tips(TIP_COUNT, set(range(1, TIP_COUNT + 1)))
    turn = run(Action.LAUNCH, progress=heard)
    assert turn.reply.data["resume"] is None and turn.reply.data["done"] == "motivate"
    assert turn.conversation.offer == "direction"
    jumped = tips(TIP_COUNT, {1, TIP_COUNT})
    assert run(Action.LAUNCH, progress=jumped).reply.data["next_step"] == 2


# --- a program the core has never heard of ------------------------------------------------

BREATH = Program(
    id="breath",
    audience="couple",
    steps=(Step("arrive", kind="guided"), Step("listen", kind="guided")),
    names=("breathe together",),
)
LESSONS = Program(
    id="lessons",
    audience="solo",
    steps=(Step("one"), Step("two", practice=3), Step("three")),
    numbered=True,
    then="breath",
)
OTHER = Catalog((LESSONS, BREATH))


def test_any_program_is_walked_from_its_content() -> None:
    start = Command(Action.START_PROGRAM, program="lessons")
    first = run(start, catalog=OTHER)
    assert (
        first.reply.data["step_id"] == "one" and first.conversation.question is Question.NEXT_STEP
    )
    practice = run(start, Action.YES, Action.YES, catalog=OTHER)
    assert practice.reply.view == "practice" and practice.reply.data["step_id"] == "two"
    assert practice.reply.data["piece"] and practice.conversation.question is Question.REFLECT
    jump = run(start, Command(Action.GO_TO_STEP, number=3), catalog=OTHER)
    assert jump.reply.data["step_id"] == "three"
    # Past the last step with steps unheard, the program is not done: the first missed
    # one is offered.
    gaps = run(start, Command(Action.GO_TO_STEP, number=3), Action.YES, catalog=OTHER)
    assert gaps.reply.view == "steps_missed" and gaps.reply.data["first_missed"] == 2
    assert not gaps.progress.of("lessons").finished
    walked = (start, Action.YES, Action.NO)  # one, two (no practice), three
    end = run(*walked, Action.YES, catalog=OTHER)
    assert end.reply.view == "program_done" and end.reply.data["offer"] == "breath"
    breath = run(*walked, Action.YES, Action.YES, catalog=OTHER)
    assert breath.reply.data["step_ids"] == "arrive listen"  # a run of guided steps: one piece
    assert breath.conversation.question is Question.REFLECT
    assert run(start, Command(Action.GO_TO_STEP, number=4), catalog=OTHER).reply.data["count"] == 3


def test_an_unknown_program_name_is_answered_not_started() -> None:
    turn = run(Command(Action.START_PROGRAM, heard="juggling"))
    assert turn.reply.view == "program_unknown" and turn.reply.data["heard"] == "juggling"
    assert turn.progress == Progress()
