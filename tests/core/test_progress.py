"""Stored progress: its schema versions, content that moved, and merging diverged copies."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from skill.core.dialog import Action, Command, Conversation, handle
from skill.core.progress import SCHEMA_VERSION, ProgramProgress, Progress, migrate
from skill.speech.programs import get_catalog
from skill.speech.render import get_speech
from skill.speech.ssml import to_text

NOW = 1_800_000_000
CATALOG = get_catalog()
TIP_COUNT = CATALOG["motivate"].size


def launch_text(progress: Progress) -> str:
    """What a returning person hears first, rendered through the real templates."""
    reply = handle(Conversation(), progress, Command(Action.LAUNCH), NOW, CATALOG).reply
    assert reply.view is not None
    rendered = get_speech().render("en-US", reply.view, reply.data, reply.card)
    return to_text(rendered.speech, show_pauses=False)


def tips(
    position: int,
    heard: set[int],
    practiced: set[int] = frozenset(),  # type: ignore[assignment]
    finished: bool = False,
) -> ProgramProgress:
    return ProgramProgress(position, frozenset(heard), frozenset(practiced), finished)


# --- schema versions ------------------------------------------------------------------


def test_progress_is_stored_with_the_current_schema_version() -> None:
    progress = replace(
        Progress()
        .with_program("direction", ProgramProgress(finished=True))
        .with_program("motivate", tips(3, {1, 2, 3}, {2})),
        last_visit=NOW,
        revision=4,
    )

    stored = progress.to_dict()

    assert stored["schema_version"] == SCHEMA_VERSION == 6
    assert stored["programs"]["motivate"]["heard"] == [1, 2, 3]  # lists: JSON and DynamoDB
    assert stored["current"] == "motivate"
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
V2 = {
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
V3 = {
    "schema_version": 3,
    "revision": 5,
    "programs": {
        "motivate": {"position": 3, "heard": [1, 2, 3], "practiced": [2], "finished": False},
        "direction": {"finished": True},
    },
    "current": "motivate",
    "last_visit": NOW - 86400,
}
V4 = {**V3, "schema_version": 4, "pace": 0, "room": 0, "visits": 0}
V5 = {**V4, "schema_version": 5}  # its fields are optional: absent means none
V6 = {**V5, "schema_version": 6}  # reminders and practiced_at: optional too


def test_each_version_is_migrated_step_by_step() -> None:
    older = (V1, V2, V3, V4, V5)
    assert all(migrate(dict(version)) == V6 for version in older)


def test_version_6_keeps_the_reminders_and_the_last_practice() -> None:
    progress = Progress().with_reminders([("alert-1", "20:00||DAILY|")])
    progress = replace(progress, practiced_at=1_800_000_000)
    stored = progress.to_dict()
    assert stored["schema_version"] == 6
    assert stored["reminders"] == [["alert-1", "20:00||DAILY|"]]
    assert Progress.from_dict(stored) == progress
    # A version 5 record has neither, and is read as having none.
    old = Progress.from_dict({**Progress().to_dict(), "schema_version": 5})
    assert old.reminders == () and old.practiced_at is None
    # Merged, the copy being written says which reminders exist; the latest practice wins.
    other = replace(Progress().with_reminders([("alert-0", "|||60")]), practiced_at=1_900_000_000)
    merged = progress.merge(other)
    assert merged.reminders == progress.reminders and merged.practiced_at == 1_900_000_000


def test_version_5_remembers_a_sound_and_a_practice_left_open() -> None:
    progress = replace(
        Progress().with_program("motivate", tips(2, {1, 2})._replace(unfinished=2)),
        sound="rain",
    )
    stored = progress.to_dict()
    assert stored["sound"] == "rain" and stored["programs"]["motivate"]["unfinished"] == 2
    assert Progress.from_dict(stored) == progress
    assert progress.unfinished == ("motivate", 2)
    # Without them, a version 5 document is a version 4 one with another number.
    plain = Progress().with_program("motivate", tips(2, {1, 2})).to_dict()
    assert "sound" not in plain and "unfinished" not in plain["programs"]["motivate"]
    assert Progress.from_dict({**plain, "schema_version": 4}).sound is None
    # Merged, the copy being written says what sound and which practice is open.
    older = Progress().with_program("motivate", tips(1, {1})._replace(unfinished=1))
    merged = replace(Progress().with_program("motivate", tips(2, {1, 2})), sound="ocean").merge(
        older
    )
    assert merged.sound == "ocean" and merged.unfinished is None


@pytest.mark.parametrize("stored", [V1, V2], ids=["v1", "v2"])
def test_older_versions_are_read_as_the_same_progress(stored: dict[str, Any]) -> None:
    progress = Progress.from_dict(stored)

    assert progress.of("motivate") == tips(3, {1, 2, 3}, {2})
    assert progress.of("direction").finished
    assert progress.current == "motivate"
    assert progress.last_visit == NOW - 86400
    assert progress.revision == 5  # the stored item's version survives the migration
    assert Progress.from_dict(progress.to_dict()) == progress  # and is written back as v3
    assert "Last time, you finished tip 3, on making it less of an unknown." in launch_text(
        progress
    )


def test_version_2_with_only_the_reflection_done_offers_the_tips() -> None:
    progress = Progress.from_dict(
        {"schema_version": 2, "motivate": {"current_tip": 0}, "direction": {"finished": True}}
    )

    assert progress.current == "direction"
    text = launch_text(progress)
    assert "Last time, you did the reflection, set your direction." in text
    assert "Would you like to hear the five tips?" in text


@pytest.mark.parametrize("marker", [{}, {"schema_version": 1}, {"schema_version": None}])
def test_progress_without_a_version_is_version_1(marker: dict[str, Any]) -> None:
    data = {"tip": 2, "done": [1, 2], **marker}

    assert Progress.from_dict(data).of("motivate").position == 2


def test_version_1_with_every_tip_done_has_finished_the_program() -> None:
    progress = Progress.from_dict({"tip": 5, "done": [1, 2, 3, 4, 5, 5]})

    assert progress.of("motivate").finished
    assert "You've heard all five tips." in launch_text(progress)


def test_current_version_is_left_as_it_is() -> None:
    current = Progress().with_program("motivate", tips(2, {1, 2})).to_dict()

    assert migrate(dict(current)) == current


def test_a_newer_version_is_read_as_far_as_it_is_understood() -> None:
    # Rolled back after a newer release wrote v5: the fields v4 knows still count.
    newer = {
        **Progress().with_program("motivate", tips(2, {1, 2})).to_dict(),
        "schema_version": 5,
        "goals": {"weekly": 2},
    }

    assert Progress.from_dict(newer).of("motivate").position == 2


def test_numbers_as_the_stores_may_return_them() -> None:
    # Decimal is what DynamoDB hands out when nothing converts it.
    data = {
        "schema_version": Decimal(3),
        "revision": Decimal(3),
        "programs": {
            "motivate": {
                "position": Decimal(2),
                "heard": [Decimal(1), Decimal(2)],
                "practiced": [],
                "finished": False,
            }
        },
        "current": "motivate",
        "last_visit": Decimal(NOW),
    }

    progress = Progress.from_dict(data)

    assert progress.of("motivate").position == 2
    assert progress.of("motivate").heard == {1, 2}
    assert progress.last_visit == NOW
    assert progress.revision == 3


@pytest.mark.parametrize("empty", [None, {}])
def test_nothing_stored_is_a_new_person(empty: dict[str, Any] | None) -> None:
    assert Progress.from_dict(empty) == Progress()
    assert Progress.from_dict(empty).is_new


# --- content that no longer exists ----------------------------------------------------


def test_a_tip_beyond_todays_program_resumes_at_the_last_tip() -> None:
    stored = Progress().with_program("motivate", tips(2, {1, 2, 3})).to_dict()
    stored["programs"]["motivate"]["position"] = 7
    stored["programs"]["motivate"]["heard"] = [1, 2, 3, 6, 7]

    progress = Progress.from_dict(stored)

    # Nothing stored is thrown away (the content may come back); it resumes where it can.
    assert progress.of("motivate").heard == {1, 2, 3, 6, 7}
    assert progress.of("motivate").resume_step(TIP_COUNT) == TIP_COUNT
    assert f"Shall we go on with tip {TIP_COUNT}?" in launch_text(progress)
    turn = handle(Conversation(), progress, Command(Action.LAUNCH), NOW, CATALOG)
    turn = handle(turn.conversation, turn.progress, Command(Action.YES), NOW, CATALOG)
    assert turn.reply.view == "step" and turn.reply.data["step"] == TIP_COUNT


def test_progress_in_a_program_the_content_dropped_is_kept_and_ignored() -> None:
    stored = Progress().with_program("retired", tips(2, {1, 2})).to_dict()

    progress = Progress.from_dict(stored)

    assert progress.of("retired").position == 2  # kept, in case the program returns
    assert progress.to_dict()["programs"]["retired"]["heard"] == [1, 2]
    assert "Welcome back" in launch_text(progress)


def test_a_version_1_tip_beyond_the_program_resumes_sensibly() -> None:
    progress = Progress.from_dict({"tip": 9, "done": [1, 2, 9], "practiced": [9]})

    assert not progress.of("motivate").finished
    assert progress.of("motivate").resume_step(TIP_COUNT) == TIP_COUNT
    assert f"tip {TIP_COUNT}" in launch_text(progress)


def test_a_negative_or_missing_tip_starts_at_the_beginning() -> None:
    stored = Progress().with_program("motivate", tips(1, set())).to_dict()
    stored["programs"]["motivate"]["position"] = -3

    progress = Progress.from_dict(stored)

    assert progress.of("motivate").position == 0
    assert progress.of("motivate").resume_step(TIP_COUNT) == 1
    assert Progress.from_dict({"schema_version": 3}).of("motivate").resume_step(TIP_COUNT) == 1


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
def test_resume_step(current: int, finished: set[int], resume: int) -> None:
    assert tips(current, finished).resume_step(TIP_COUNT) == resume


# --- merging copies that diverged (two devices) ---------------------------------------


def test_merge_keeps_everything_finished_on_either_side() -> None:
    kitchen = replace(
        Progress().with_program("motivate", tips(2, {1, 2}, {1})), last_visit=NOW, revision=3
    )
    bedroom = replace(
        Progress()
        .with_program("direction", ProgramProgress(finished=True))
        .with_program("motivate", tips(4, {3, 4}, {3})),
        last_visit=NOW - 60,
        revision=5,
    )

    merged = kitchen.merge(bedroom)

    assert merged.of("motivate").heard == {1, 2, 3, 4}
    assert merged.of("motivate").practiced == {1, 3}
    assert merged.of("motivate").position == 4  # the furthest tip wins
    assert merged.of("direction").finished
    assert not merged.of("motivate").finished
    assert merged.last_visit == NOW
    assert merged.revision == 5
    assert bedroom.merge(kitchen) == merged  # order does not matter


def test_merge_with_nothing_stored_changes_nothing() -> None:
    progress = replace(Progress().with_program("motivate", tips(2, {1, 2})), last_visit=NOW)

    assert progress.merge(Progress()) == progress
    assert Progress().merge(Progress()).last_visit is None


def test_revision_is_not_progress() -> None:
    # A new revision alone must not count as a change worth a write.
    progress = Progress().with_program("motivate", tips(1, {1}))

    assert progress.with_revision(9) == progress
    assert progress.with_revision(9).revision == 9
