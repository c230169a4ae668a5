"""Issue 13 in the dialog core: the loose ends of the dialog, escalating fallbacks,
pacing that is remembered, variants that never follow themselves."""

from __future__ import annotations

import itertools

from skill.core.dialog import FIXED_VIEWS, Action, Command, Conversation, Question, Turn, handle
from skill.core.progress import ProgramProgress, Progress
from skill.speech.programs import get_catalog

NOW = 1_800_000_000
CATALOG = get_catalog()
TIPS = CATALOG["motivate"].size


def run(*actions: Action | Command, progress: Progress | None = None) -> list[Turn]:
    conversation, p = Conversation(), progress or Progress()
    turns = []
    for action in actions:
        command = action if isinstance(action, Command) else Command(action)
        turn = handle(conversation, p, command, NOW, CATALOG)
        conversation, p = turn.conversation, turn.progress
        turns.append(turn)
    return turns


def tip(n: int) -> Command:
    return Command(Action.GO_TO_STEP, number=n, heard=str(n))


PART_WAY = Progress().with_program("motivate", ProgramProgress(2, frozenset({1, 2})))


def test_no_to_resuming_then_yes_to_the_beginning_plays_tip_one() -> None:
    for opening in (Command(Action.LAUNCH), Command(Action.START_PROGRAM, program="motivate")):
        *_, turn = run(opening, Action.NO, Action.YES, progress=PART_WAY)
        assert turn.reply.view == "step" and turn.reply.data["step"] == 1


def test_jumping_to_the_last_tip_and_going_on_is_not_finishing() -> None:
    *_, where, past, _ = run(Action.LAUNCH, tip(TIPS), Action.WHERE_AM_I, Action.NEXT, Action.NO)
    assert past.reply.view == "steps_missed" and past.reply.data["first_missed"] == 1
    assert not past.progress.of("motivate").finished
    assert where.reply.data["heard"] == 1
    # The next visit tells the same story: one tip heard, and tip 1 offered.
    back = run(Action.LAUNCH, progress=past.progress)[0]
    assert back.reply.view == "welcome_back" and back.reply.data["heard"] == 1
    assert back.reply.data["next_step"] == 1
    # Yes to the offer goes to the first tip missed.
    *_, yes = run(Action.LAUNCH, tip(TIPS), Action.NEXT, Action.YES)
    assert yes.reply.view == "step" and yes.reply.data["step"] == 1


def test_finished_means_every_tip_heard() -> None:
    walk = [Command(Action.START_PROGRAM, program="motivate")] + [Action.NEXT] * TIPS
    done = run(*walk)[-1]
    assert done.reply.view == "program_done" and done.progress.of("motivate").finished
    # A record that says finished with tips missing (schema 3 wrote those) is not done.
    bogus = Progress().with_program("motivate", ProgramProgress(5, frozenset({5}), finished=True))
    assert run(Action.LAUNCH, progress=bogus)[0].reply.data["resume"] == "motivate"


def test_no_after_the_reflection_is_done_never_offers_it_again() -> None:
    done = Progress().with_program(
        "motivate", ProgramProgress(TIPS, frozenset(range(1, TIPS + 1)), finished=True)
    )
    start = Command(Action.START_PROGRAM, program="direction")
    *_, finished, no = run(start, Action.YES, Action.NO, progress=done)
    assert finished.reply.view == "program_done" and finished.reply.data["offer"] == "motivate"
    assert no.reply.data.get("offer") != "direction"


def test_the_last_tip_and_going_back_two() -> None:
    last = run(Action.LAUNCH, Command(Action.GO_TO_STEP, position="last"))[-1]
    assert last.reply.data["step"] == TIPS
    back = run(Action.LAUNCH, tip(4), Command(Action.PREVIOUS, number=2))[-1]
    assert back.reply.data["step"] == 2
    assert (
        run(Action.LAUNCH, tip(2), Command(Action.PREVIOUS, number=9))[-1].reply.data["step"] == 1
    )


def test_i_dont_know_is_answered_gently() -> None:
    offer = run(Action.LAUNCH, Action.DONT_KNOW)[-1]
    assert offer.reply.view == "not_sure" and offer.conversation.question is Question.OFFER
    # To a practice's reflection question it is the gentle "no".
    practice = [Action.LAUNCH, Action.YES, Action.YES]
    unsure = run(*practice, Action.DONT_KNOW)[-1]
    assert unsure.reply.view == "practice_done" and unsure.reply.data["answered"] is False


def test_fallbacks_escalate_then_end_the_session_kindly() -> None:
    turns = run(Action.LAUNCH, Action.FALLBACK, Action.FALLBACK, Action.FALLBACK, Action.FALLBACK)
    assert [t.reply.data["level"] for t in turns[1:4]] == [1, 2, 3]
    assert all(t.conversation.question is Question.OFFER for t in turns[:4])
    # The fourth miss in a row ends the session; a new person has no place to remember.
    end = turns[4]
    assert end.reply.view == "fallback_end" and end.reply.end_session
    assert end.reply.data["remember"] is False
    part_way = Progress().with_program("motivate", ProgramProgress(2, frozenset({1, 2})))
    kept = run(Action.LAUNCH, *[Action.FALLBACK] * 4, progress=part_way)[-1]
    assert kept.reply.data["remember"] is True and kept.progress.of("motivate").position == 2
    reset = run(Action.LAUNCH, Action.FALLBACK, Action.FALLBACK, Action.HELP, Action.FALLBACK)
    assert reset[-1].reply.data["level"] == 1
    # "Repeat" after a fallback says the question again, not the fallback.
    assert run(Action.LAUNCH, Action.FALLBACK, Action.REPEAT)[-1].reply.view == "welcome"


def test_fallbacks_do_not_escalate_while_coaching_is_held() -> None:
    turns = run(Action.LAUNCH, Action.SAFETY, Action.FALLBACK, Action.FALLBACK, Action.FALLBACK)
    assert [t.reply.view for t in turns[2:]] == ["safety_hold"] * 3
    assert all("v" not in t.reply.data and "level" not in t.reply.data for t in turns[1:])


def test_pacing_is_remembered_and_bounded() -> None:
    practice = [Action.LAUNCH, Action.YES, Action.YES]
    slower = run(*practice, Action.SLOWER)[-1]
    assert slower.reply.view == "practice" and slower.reply.data["piece"]  # played again
    assert slower.reply.data["pace"] == -1 and slower.progress.pace == -1
    slowest = run(*practice, Action.SLOWER, Action.SLOWER, Action.SLOWER)[-1]
    assert slowest.progress.pace == -2 and slowest.reply.data["note"] == "slower_most"
    roomy = run(*practice, Action.MORE_TIME, Action.MORE_TIME)[-1]
    assert roomy.progress.room == 2
    # Next session: the choice is still there, and applied to every reply.
    again = run(Action.LAUNCH, progress=Progress.from_dict(roomy.progress.to_dict()))[0]
    assert again.reply.data["room"] == 2
    faster = run(Action.LAUNCH, Action.FASTER)[-1]
    assert faster.reply.view == "pacing" and faster.progress.pace == 1


def test_how_long_and_about_come_from_the_content() -> None:
    how = run(Action.LAUNCH, Action.HOW_LONG)[-1]
    minutes = [step.minutes for step in CATALOG["motivate"].steps]
    assert how.reply.data["total"] == round(sum(minutes)) and how.reply.data["count"] == TIPS
    assert run(Action.LAUNCH, Action.ABOUT)[-1].reply.view == "about"


def test_no_variant_follows_itself_and_the_first_visit_hears_the_first() -> None:
    turns = run(Action.LAUNCH, *[Action.HELP] * 5)
    assert turns[0].reply.data["v"] == 0
    seen = [t.reply.data["v"] for t in turns[1:]]
    assert all(a != b for a, b in itertools.pairwise(seen))
    # Two visits in a row: two different welcomes.
    first = run(Action.LAUNCH)[0]
    second = run(Action.LAUNCH, progress=first.progress)[0]
    assert first.reply.data["v"] != second.reply.data["v"]


def test_safety_views_have_no_variants() -> None:
    for view in FIXED_VIEWS:
        assert view in {"safety", "self_harm", "safety_hold", "safety_numbers"} | {
            "safety_goodbye",
            "misunderstood",
            "check_in",
            "check_in_fine",
        }
    safety = run(Action.LAUNCH, Action.SAFETY, Action.REPEAT, Action.REPEAT)
    assert all("v" not in t.reply.data for t in safety[1:])
