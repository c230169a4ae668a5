"""Taking turns as content (issue 26): what program.json may say, how the core walks a
program for two, and the names the session keeps (and bounds)."""

from __future__ import annotations

import pytest

from skill.core.dialog import Action, Command, Conversation, Question, handle
from skill.core.program import ContentError, Program
from skill.core.progress import Progress
from skill.service.session import SessionSchema
from skill.speech.programs import get_catalog

NOW = 1_800_000_000
CATALOG = get_catalog()


def two_step_turns(**first: object) -> Program:
    return Program.from_dict(
        {
            "id": "pair",
            "audience": "couple",
            "steps": [
                {"id": "a", "kind": "guided", "turn": "one", **first},
                {"id": "b", "kind": "guided"},
                {"id": "c", "kind": "guided", "turn": "other", "swap": True},
                {"id": "d", "kind": "guided", "turn": "both"},
            ],
        }
    )


def test_a_run_of_guided_steps_stops_at_a_turn() -> None:
    program = two_step_turns()
    assert [program.run_end(n) for n in (1, 2, 3, 4)] == [1, 3, 3, 4]
    assert [program.run_start(n) for n in (1, 2, 3, 4)] == [1, 2, 2, 4]
    assert [program.waits(n) for n in (1, 2, 3, 4)] == [True, False, True, False]
    assert program.swap_after(1) == 3 and program.swap_after(3) == 4


@pytest.mark.parametrize(
    "step",
    [
        {"id": "x", "kind": "lesson", "turn": "one"},  # a lesson is no turn
        {"id": "x", "kind": "guided", "turn": "everyone"},
        {"id": "x", "kind": "guided", "swap": True},  # a swap is a turn's
    ],
)
def test_content_that_cannot_take_turns_is_refused(step: dict[str, object]) -> None:
    with pytest.raises(ContentError):
        Program.from_dict({"id": "bad", "steps": [step]})


def test_no_program_for_two_is_offered_as_what_comes_next() -> None:
    # Every program for one done: the end offers one for one again, never the pair's.
    conversation, progress = Conversation(), Progress()
    for program in ("motivate", "direction"):
        start = Command(Action.START_PROGRAM, program=program)
        turn = handle(conversation, progress, start, NOW, CATALOG)
        conversation, progress = turn.conversation, turn.progress
        while turn.reply.view != "program_done":
            turn = handle(conversation, progress, Command(Action.NEXT), NOW, CATALOG)
            conversation, progress = turn.conversation, turn.progress
        assert turn.reply.data["offer"] != "together"
    assert CATALOG["together"].audience == "couple"


def test_names_need_two_and_are_bounded() -> None:
    at_turn = handle(
        Conversation(),
        Progress(),
        Command(Action.START_PROGRAM, program="together"),
        NOW,
        CATALOG,
    )
    assert at_turn.conversation.question is Question.TURN
    one = handle(
        at_turn.conversation, at_turn.progress, Command(Action.NAMES, names=("Sam",)), NOW, CATALOG
    )
    assert one.conversation.names == () and one.reply.data["one"] is None
    long = ("S" * 500, "Alex", "Third")
    named = handle(
        at_turn.conversation, at_turn.progress, Command(Action.NAMES, names=long), NOW, CATALOG
    )
    assert [len(n) for n in named.conversation.names] == [40, 4]
    assert named.progress == at_turn.progress  # nothing of the names is stored
    # "Stop" ends the session, and the names with it.
    bye = handle(named.conversation, named.progress, Command(Action.STOP), NOW, CATALOG)
    assert bye.conversation.names == ()


def test_the_session_schema_bounds_the_names() -> None:
    schema = SessionSchema(CATALOG, frozenset({"step"}), frozenset())
    read, problems = schema.read({"conversation": {"names": ["Sam", "Alex"]}})
    assert read["conversation"]["names"] == ["Sam", "Alex"] and not problems
    for bad in (["a", "b", "c"], ["x" * 41, "y"], [1, 2], "Sam"):
        read, problems = schema.read({"conversation": {"names": bad}})
        assert "conversation" not in read and problems == ["conversation.names"], bad
