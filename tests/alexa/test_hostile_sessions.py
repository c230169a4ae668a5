"""Session attributes the skill did not write, through the Lambda entry point: the wrong
types, thousands of programs, NaN and Infinity, views that do not exist. Each is read
through the schema (skill.service.session): the person gets a fresh start or their stored
progress, every response is valid JSON within Alexa's 120 KB, and the log has one line."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from skill.alexa.invoke import MAX_RESPONSE_BYTES, within_limits
from skill.alexa.skill_builder import build_skill
from skill.core.progress import Progress
from skill.lambda_function import invoke
from skill.service.turns import watching
from skill.speech.render import Speech
from skill.store.sqlite import SqliteProgressStore

from support import Said, Talk

USER = "amzn1.ask.account.TESTUSER"


def strict_json(raw: dict[str, Any]) -> str:
    """The response as Alexa parses it: NaN and Infinity are not JSON."""
    return json.dumps(raw, allow_nan=False)


def size(raw: dict[str, Any]) -> int:
    return len(strict_json(raw).encode("utf-8"))


def forged(talk: Talk, attributes: dict[str, Any], intent: str = "AMAZON.NextIntent") -> Said:
    """An intent of the open session, carrying ``attributes`` instead of the skill's."""
    event = talk.driver.intent(intent, {}, None)
    event["session"]["attributes"] = attributes
    with watching() as served:
        raw = talk.handler(event, None)
    said = Said(raw, served)
    talk.driver.update(said.raw)
    return said


def junk_progress(count: int) -> dict[str, Any]:
    stored = Progress().with_program("motivate", Progress().of("motivate")).to_dict()
    entry = {"position": 3, "heard": list(range(1, 40)), "practiced": [], "finished": False}
    stored["programs"] = {f"junk-program-{i:05d}": entry for i in range(count)}
    return stored


@pytest.fixture
def store(sqlite_store: SqliteProgressStore) -> SqliteProgressStore:
    return sqlite_store


# --- the wrong types --------------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        {"conversation": ["motivate", 3]},  # a list where a map was written
        {"conversation": {"program": "motivate", "step": 2, "uses": [1, 2]}},
        {"progress": "motivate:3"},
        {"progress": {"schema_version": 4, "programs": ["motivate"]}},
        {"conversation": {"program": "motivate", "step": 1}, "progress": {"revision": "x"}},
    ],
)
def test_attributes_of_the_wrong_type_start_afresh_instead_of_failing(
    talk: Talk, attributes: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    talk.launch()
    caplog.clear()

    said = forged(talk, attributes, "AMAZON.HelpIntent")

    assert "something went wrong" not in said.text
    assert said.view == "help" and not said.ended
    assert not [r for r in caplog.records if r.exc_info], "a traceback in the log"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "session attributes" in warnings[0].getMessage()


def test_an_unreadable_progress_is_read_again_from_the_store(talk: Talk) -> None:
    talk.launch()
    talk.say("MotivatePartnerIntent")
    talk.say("AMAZON.NextIntent")  # tip 2, stored
    talk.say("AMAZON.StopIntent")
    talk.launch()

    said = forged(talk, {"progress": {"programs": "everything"}}, "WhereAmIIntent")

    # The stored progress, not a blank one: the person is told where they really are.
    assert "something went wrong" not in said.text
    assert said.attributes["progress"]["programs"]["motivate"]["position"] == 2


# --- thousands of programs: no one locked out ----------------------------------------------


def test_a_request_with_thousands_of_programs_cannot_lock_the_person_out(
    talk: Talk, store: SqliteProgressStore
) -> None:
    talk.launch()
    attack = forged(talk, {"progress": junk_progress(4000), "unsaved": True, "conversation": {}})
    assert size(attack.raw) < 20_000

    # What is stored is the catalog's programs only.
    assert set(store.read(USER).get("programs", {})) <= {"motivate", "direction"}
    talk.end()
    honest = talk.launch()
    assert size(honest.raw) < 20_000 and "Welcome" in honest.text


def test_progress_stored_with_thousands_of_programs_is_bounded_when_read(
    talk: Talk, store: SqliteProgressStore
) -> None:
    # What an earlier version let such a request store (338 KB of it).
    store.write(USER, {**junk_progress(4000), "revision": 0})

    said = talk.launch()

    assert size(said.raw) < 20_000
    assert "Welcome" in said.text and "something went wrong" not in said.text
    talk.say("MotivatePartnerIntent")  # a change: saved, bounded
    assert set(store.read(USER)["programs"]) == {"motivate"}


def test_more_steps_than_a_program_could_have_are_unreadable(talk: Talk) -> None:
    talk.launch()
    progress = junk_progress(0)
    progress["programs"]["motivate"] = {"position": 2, "heard": list(range(5000))}

    said = forged(talk, {"progress": progress}, "AMAZON.HelpIntent")

    assert said.view == "help" and size(said.raw) < 20_000


# --- numbers that are not numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        {"started_at": float("inf")},
        {"junk": float("nan")},
        {"conversation": {"program": "motivate", "step": float("nan")}},
        {"conversation": {"misses": float("-inf")}},
        {"progress": {"schema_version": 4, "pace": float("nan"), "programs": {}}},
        {"conversation": {"last": {"view": "step", "data": {"step": float("inf")}}}},
    ],
)
def test_nan_and_infinity_never_reach_a_response(
    talk: Talk, attributes: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    talk.launch()

    said = forged(talk, attributes, "AMAZON.HelpIntent")

    strict_json(said.raw)  # raises on NaN or Infinity
    assert "something went wrong" not in said.text
    assert not [r for r in caplog.records if r.exc_info]


# --- made-up views -------------------------------------------------------------------------


def test_made_up_view_names_do_not_grow_the_renderers_memory(
    sqlite_store: SqliteProgressStore,
) -> None:
    speech = Speech()
    skill = build_skill(sqlite_store, speech=speech)
    talk = Talk(lambda event, context=None: invoke(skill, event, context))
    talk.launch()
    before = len(speech._prerendered)

    for i in range(300):
        last = {"view": f"forged-view-{i}", "data": {}, "end": False, "card": None}
        said = forged(talk, {"conversation": {"last": last}}, "AMAZON.RepeatIntent")
        assert "something went wrong" not in said.text

    assert len(speech._prerendered) <= before + 5  # the real views said, no forged ones


# --- the last line of defence: never over 120 KB, never NaN ---------------------------------


def launch_event(talk: Talk) -> dict[str, Any]:
    return talk.driver.launch(None)


def test_a_response_over_120_kb_loses_its_session_attributes_first(talk: Talk) -> None:
    response = {
        "version": "1.0",
        "sessionAttributes": {"conversation": {"step": 1}, "progress": {"x": "y" * 200_000}},
        "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Hi.</speak>"}},
    }

    cut = within_limits(response, launch_event(talk))

    assert size(cut) <= MAX_RESPONSE_BYTES
    assert cut["sessionAttributes"] == {"conversation": {"step": 1}}
    assert cut["response"] == response["response"]


def test_a_response_that_is_not_valid_json_becomes_the_apology(talk: Talk) -> None:
    response = {"version": "1.0", "response": {"card": {"title": float("nan")}}}

    cut = within_limits(response, launch_event(talk))

    said = Said(cut)
    assert "something went wrong" in said.text and said.ended
    strict_json(cut)
