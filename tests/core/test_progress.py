"""Stored progress: its schema versions, content that moved, and merging diverged copies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from skill.core.dialog import Action, Command, Conversation, handle
from skill.core.program import TIP_COUNT
from skill.core.progress import SCHEMA_VERSION, Progress, migrate
from skill.speech.render import get_speech
from skill.speech.ssml import to_text

NOW = 1_800_000_000


def launch_text(progress: Progress) -> str:
    """What a returning person hears first, rendered through the real templates."""
    reply = handle(Conversation(), progress, Command(Action.LAUNCH), NOW).reply
    assert reply.view is not None
    rendered = get_speech().render("en-US", reply.view, reply.data, reply.card)
    return to_text(rendered.speech, show_pauses=False)


# --- schema versions ------------------------------------------------------------------


def test_progress_is_stored_with_the_current_schema_version() -> None:
    progress = Progress(
        current_tip=3,
        finished_tips=frozenset({1, 2, 3}),
        finished_practices=frozenset({2}),
        direction_finished=True,
        last_visit=NOW,
        revision=4,
    )

    stored = progress.to_dict()

    assert stored["schema_version"] == SCHEMA_VERSION == 2
    assert stored["motivate"]["finished_tips"] == [1, 2, 3]  # lists: JSON and DynamoDB
    assert Progress.from_dict(stored) == progress
    assert Progress.from_dict(stored).revision == 4


V1 = {
    "tip": 3,
    "done": [1, 2, 3],
    "practiced": [2],
    "direction_done": True,
    "last_visit": NOW - 86400,
    "revision": 5,
}


def test_version_1_is_migrated_to_version_2() -> None:
    migrated = migrate(dict(V1))

    assert migrated == {
        "schema_version": 2,
        "revision": 5,
        "motivate": {
            "current_tip": 3,
            "finished_tips": [1, 2, 3],
            "finished_practices": [2],
            "finished": False,
        },
        "direction": {"finished": True},
        "last_visit": NOW - 86400,
    }


def test_version_1_is_read_as_the_same_progress() -> None:
    progress = Progress.from_dict(V1)

    assert progress == Progress(
        current_tip=3,
        finished_tips=frozenset({1, 2, 3}),
        finished_practices=frozenset({2}),
        direction_finished=True,
        last_visit=NOW - 86400,
    )
    assert progress.revision == 5  # the stored item's version survives the migration
    assert Progress.from_dict(progress.to_dict()) == progress  # and is written back as v2


@pytest.mark.parametrize("marker", [{}, {"schema_version": 1}, {"schema_version": None}])
def test_progress_without_a_version_is_version_1(marker: dict[str, Any]) -> None:
    data = {"tip": 2, "done": [1, 2], **marker}

    assert Progress.from_dict(data).current_tip == 2


def test_version_1_with_every_tip_done_has_finished_the_program() -> None:
    progress = Progress.from_dict({"tip": 5, "done": [1, 2, 3, 4, 5, 5]})

    assert progress.program_finished
    assert "You've heard all five tips." in launch_text(progress)


def test_current_version_is_left_as_it_is() -> None:
    current = Progress(current_tip=2, finished_tips=frozenset({1, 2})).to_dict()

    assert migrate(dict(current)) == current


def test_a_newer_version_is_read_as_far_as_it_is_understood() -> None:
    # Rolled back after a newer release wrote v3: the fields v2 knows still count.
    newer = {
        **Progress(current_tip=2, finished_tips=frozenset({1, 2})).to_dict(),
        "schema_version": 3,
        "goals": {"weekly": 2},
    }

    assert Progress.from_dict(newer).current_tip == 2


def test_numbers_as_the_stores_may_return_them() -> None:
    # Decimal is what DynamoDB hands out when nothing converts it.
    data = {
        "schema_version": Decimal(2),
        "revision": Decimal(3),
        "motivate": {
            "current_tip": Decimal(2),
            "finished_tips": [Decimal(1), Decimal(2)],
            "finished_practices": [],
            "finished": False,
        },
        "direction": {"finished": False},
        "last_visit": Decimal(NOW),
    }

    progress = Progress.from_dict(data)

    assert progress.current_tip == 2
    assert progress.finished_tips == {1, 2}
    assert progress.last_visit == NOW
    assert progress.revision == 3


@pytest.mark.parametrize("empty", [None, {}])
def test_nothing_stored_is_a_new_person(empty: dict[str, Any] | None) -> None:
    assert Progress.from_dict(empty) == Progress()
    assert Progress.from_dict(empty).is_new


# --- content that no longer exists ----------------------------------------------------


def test_a_tip_beyond_todays_program_resumes_at_the_last_tip() -> None:
    stored = Progress(current_tip=2, finished_tips=frozenset({1, 2, 3})).to_dict()
    stored["motivate"]["current_tip"] = 7
    stored["motivate"]["finished_tips"] = [1, 2, 3, 6, 7]
    stored["motivate"]["finished_practices"] = [2, 7]

    progress = Progress.from_dict(stored)

    assert progress.current_tip == TIP_COUNT
    assert progress.finished_tips == {1, 2, 3}  # tips that no longer exist are dropped
    assert progress.finished_practices == {2}
    assert progress.resume_tip == TIP_COUNT
    text = launch_text(progress)
    assert f"Shall we go on with tip {TIP_COUNT}?" in text
    # Going on plays a tip that exists.
    turn = handle(Conversation(), progress, Command(Action.LAUNCH), NOW)
    turn = handle(turn.conversation, turn.progress, Command(Action.YES), NOW)
    assert turn.reply.view == "tip"
    assert turn.reply.data["tip"] == TIP_COUNT


def test_a_version_1_tip_beyond_the_program_resumes_sensibly() -> None:
    progress = Progress.from_dict({"tip": 9, "done": [1, 2, 9], "practiced": [9]})

    assert progress.current_tip == TIP_COUNT
    assert progress.finished_tips == {1, 2}
    assert progress.finished_practices == frozenset()
    assert not progress.program_finished
    assert f"tip {TIP_COUNT}" in launch_text(progress)


def test_a_negative_or_missing_tip_starts_at_the_beginning() -> None:
    stored = Progress().to_dict()
    stored["motivate"]["current_tip"] = -3

    progress = Progress.from_dict(stored)

    assert progress.current_tip == 0
    assert progress.resume_tip == 1
    assert Progress.from_dict({"schema_version": 2}).resume_tip == 1


# --- where to resume ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "finished", "resume"),
    [
        (0, set(), 1),
        (2, {1, 2}, 3),  # tip 2 heard: go on with 3
        (3, {1, 2}, 3),  # tip 3 reached but not finished: hear it again
        (TIP_COUNT, set(range(1, TIP_COUNT + 1)), TIP_COUNT),  # there is no tip after
        (TIP_COUNT, {1, 2, TIP_COUNT}, 3),  # jumped to the end: the first one missed
    ],
)
def test_resume_tip(current: int, finished: set[int], resume: int) -> None:
    progress = Progress(current_tip=current, finished_tips=frozenset(finished))

    assert progress.resume_tip == resume


# --- merging copies that diverged (two devices) ---------------------------------------


def test_merge_keeps_everything_finished_on_either_side() -> None:
    kitchen = Progress(
        current_tip=2,
        finished_tips=frozenset({1, 2}),
        finished_practices=frozenset({1}),
        last_visit=NOW,
        revision=3,
    )
    bedroom = Progress(
        current_tip=4,
        finished_tips=frozenset({3, 4}),
        finished_practices=frozenset({3}),
        direction_finished=True,
        last_visit=NOW - 60,
        revision=5,
    )

    merged = kitchen.merge(bedroom)

    assert merged.finished_tips == {1, 2, 3, 4}
    assert merged.finished_practices == {1, 3}
    assert merged.current_tip == 4  # the furthest tip wins
    assert merged.direction_finished
    assert not merged.program_finished
    assert merged.last_visit == NOW
    assert merged.revision == 5
    assert bedroom.merge(kitchen) == merged  # order does not matter


def test_merge_with_nothing_stored_changes_nothing() -> None:
    progress = Progress(current_tip=2, finished_tips=frozenset({1, 2}), last_visit=NOW)

    assert progress.merge(Progress()) == progress
    assert Progress().merge(Progress()).last_visit is None


def test_revision_is_not_progress() -> None:
    # A new revision alone must not count as a change worth a write.
    progress = Progress(current_tip=1, finished_tips=frozenset({1}))

    assert progress.with_revision(9) == progress
    assert progress.with_revision(9).revision == 9
