"""The dialog core's side of reminders (skill.core.reminding): what is asked, what is
offered and when, and "how am I doing"."""

from __future__ import annotations

from skill.core.dialog import Action, Command, Conversation, Question, handle
from skill.core.progress import Progress
from skill.core.reminding import Schedule
from skill.core.values import Turn
from skill.speech.programs import get_catalog

CATALOG = get_catalog()
NOW = 1_800_000_000


def run(commands: list[Command], *, can_remind: bool = True) -> list[Turn]:
    conversation, progress, turns = Conversation(can_remind=can_remind), Progress(), []
    for command in commands:
        turn = handle(conversation, progress, command, NOW, CATALOG)
        conversation = turn.conversation._replace(can_remind=can_remind)
        progress = turn.progress
        turns.append(turn)
    return turns


YES, NO = Command(Action.YES), Command(Action.NO)


def finish_direction() -> list[Command]:
    """The reflection (a guided program) to its end, then no to what is offered next."""
    return [Command(Action.START_PROGRAM, program="direction"), YES, NO]


def test_schedule_travels_as_one_short_string() -> None:
    for schedule in (
        Schedule(time="20:00", date="2026-12-09"),
        Schedule(time="EV", every="DAILY"),
        Schedule(time="08:30", every="SA"),
        Schedule(offset=3600),
    ):
        assert Schedule.decode(schedule.encode()) == schedule
        assert len(schedule.encode()) <= 64
    assert Schedule.decode("25:00|||") == Schedule() == Schedule.decode("nonsense")


def test_a_reminder_without_a_time_asks_for_one_then_keeps_what_was_said() -> None:
    asked, said = run(
        [
            Command(Action.REMIND, when=Schedule(every="SA").encode()),
            Command(Action.REMIND, when=Schedule(time="09:00").encode()),
        ]
    )
    assert asked.reply.view == "remind_when" and asked.conversation.question is Question.REMIND_TIME
    assert said.reply.view == "reminder" and said.reply.data["op"] == "set"
    assert Schedule.decode(said.reply.data["when"]) == Schedule(time="09:00", every="SA")
    assert said.conversation.question is None and said.conversation.remind is None


def test_after_a_program_a_reminder_is_offered_once() -> None:
    turns = run(finish_direction())
    views = [t.reply.view for t in turns]
    assert "program_done" in views and views.count("remind_offer") == 1
    offered = turns[views.index("remind_offer")]
    assert offered.conversation.question is Question.REMIND
    assert run([*finish_direction(), YES])[-1].reply.view == "remind_when"
    assert run([*finish_direction(), NO])[-1].reply.view == "goodbye"


def test_no_offer_where_reminders_cannot_be_set_or_after_a_disclosure() -> None:
    assert "remind_offer" not in [t.reply.view for t in run(finish_direction(), can_remind=False)]
    disclosed = [Command(Action.SAFETY), Command(Action.MISUNDERSTOOD), *finish_direction()]
    assert "remind_offer" not in [t.reply.view for t in run(disclosed)]


def test_reminders_are_held_like_everything_else_after_a_safety_answer() -> None:
    turns = run([Command(Action.SAFETY), Command(Action.REMIND, when="20:00|||")])
    assert turns[-1].reply.view == "safety_hold"


def test_how_am_i_doing_counts_what_was_done_and_when() -> None:
    turns = run(
        [
            Command(Action.START_PROGRAM, program="motivate"),
            YES,  # the practice
            YES,  # its question
            Command(Action.HOW_AM_I_DOING),
        ]
    )
    data = turns[-1].reply.data
    assert turns[-1].reply.view == "how_am_i_doing"
    assert (data["heard"], data["practiced"], data["days"], data["new"]) == (1, 1, 0, False)
    assert turns[-1].progress.practiced_at == NOW
