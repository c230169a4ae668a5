"""One contract, two stores: SQLite on this machine and DynamoDB (moto) in AWS.

Every test runs on both, so the skill can rely on the same behaviour wherever it runs:
absent progress reads as {}, writes are conditional on the revision read, expired items
count as absent, each recognised person has their own item, and an account can be
forgotten whole. The second half drives the skill itself on each store.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.skill_builder import build_skill
from skill.core.progress import SCHEMA_VERSION, ProgramProgress, Progress
from skill.lambda_function import invoke
from skill.store.base import (
    TTL_SECONDS,
    ConflictError,
    ProgressAdapter,
    StorageError,
    person_key,
)
from skill.store.sqlite import SqliteProgressAdapter

from support import Talk, reach_tip, request_envelope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REGION = "eu-west-1"
TABLE = "ally-coach-contract"
START = 1_800_000_000.0  # epoch seconds; the stores' clock starts here
ALICE = "amzn1.ask.account.ALICE-0001"
BOB = "amzn1.ask.account.BOB-0002"


class Clock:
    """A settable clock for the stores' expiry times."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Store:
    """An adapter under test, and a look at its raw rows/items behind its back."""

    adapter: ProgressAdapter
    raw: Callable[[str], dict[str, Any] | None]  # key -> {id, user_id, version, expires_at}
    keys: Callable[[], set[str]]  # every stored key


def set_fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh machine has no AWS setup: give boto3 a region and fake credentials only."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@lru_cache(maxsize=1)
def _boto3_session() -> Any:
    import boto3

    return boto3.session.Session()


def dynamodb_client() -> Any:
    """A client with the store's settings, on one session shared by all tests: a new
    session loads botocore's service models again (about 0.3 s a client)."""
    from skill.store.dynamodb import client_config

    return _boto3_session().client("dynamodb", region_name=REGION, config=client_config())


def _sqlite_store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    path = tmp_path / "contract.sqlite3"
    adapter = SqliteProgressAdapter(path, clock=clock)

    def query(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql, args).fetchall()

    def raw(key: str) -> dict[str, Any] | None:
        rows = query("SELECT id, user_id, revision, expires_at FROM progress WHERE id = ?", key)
        if not rows:
            return None
        return dict(zip(("id", "user_id", "version", "expires_at"), rows[0], strict=True))

    def keys() -> set[str]:
        # The table exists once the adapter has been used.
        adapter.get_attributes(envelope(ALICE))
        return {row[0] for row in query("SELECT id FROM progress")}

    yield Store(adapter, raw, keys)
    adapter.close()


def _dynamodb_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock
) -> Iterator[Store]:
    from moto import mock_aws

    from skill.store.dynamodb import DynamoDbProgressAdapter, create_table

    set_fake_aws(monkeypatch, tmp_path)
    with mock_aws():
        client = dynamodb_client()
        create_table(client, TABLE)
        # The adapter's own client (test_dynamodb.py covers the one it makes itself).
        adapter = DynamoDbProgressAdapter(TABLE, client=dynamodb_client(), clock=clock)

        def raw(key: str) -> dict[str, Any] | None:
            item = client.get_item(TableName=TABLE, Key={"id": {"S": key}}).get("Item")
            if item is None:
                return None
            return {
                "id": item["id"]["S"],
                "user_id": item["user_id"]["S"],
                "version": int(item["version"]["N"]),
                "expires_at": int(item["expires_at"]["N"]),
            }

        def keys() -> set[str]:
            return {item["id"]["S"] for item in client.scan(TableName=TABLE)["Items"]}

        yield Store(adapter, raw, keys)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock
) -> Iterator[Store]:
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path, clock)
    else:
        yield from _dynamodb_store(monkeypatch, tmp_path, clock)


envelope = request_envelope


def progress(tip: int, revision: int = 0, practices: tuple[int, ...] = ()) -> dict[str, Any]:
    motivate = ProgramProgress(
        position=tip, heard=frozenset(range(1, tip + 1)), practiced=frozenset(practices)
    )
    return replace(
        Progress().with_program("motivate", motivate), last_visit=int(START), revision=revision
    ).to_dict()


# --- load, save, delete ---------------------------------------------------------------


def test_nothing_stored_reads_as_empty(store: Store) -> None:
    assert store.adapter.get_attributes(envelope(ALICE)) == {}


def test_saved_progress_reads_back_with_its_revision(store: Store) -> None:
    saved = progress(3, practices=(1, 2))
    store.adapter.save_attributes(envelope(ALICE), saved)

    loaded = store.adapter.get_attributes(envelope(ALICE))

    assert loaded == {**saved, "revision": 1}
    assert loaded["schema_version"] == SCHEMA_VERSION
    # Numbers come back as int (DynamoDB hands out Decimal), so they compare and serialise.
    assert all(type(n) is int for n in loaded["programs"]["motivate"]["heard"])
    assert type(loaded["last_visit"]) is int
    assert Progress.from_dict(loaded) == Progress.from_dict(saved)


def test_revision_counts_up_with_each_save(store: Store) -> None:
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(1))
    store.adapter.save_attributes(env, progress(2, revision=1))
    store.adapter.save_attributes(env, progress(3, revision=2))

    loaded = store.adapter.get_attributes(env)

    assert loaded["revision"] == 3
    assert loaded["programs"]["motivate"]["position"] == 3
    assert store.raw(ALICE) is not None
    assert store.raw(ALICE)["version"] == 3  # type: ignore[index]


def test_plain_values_round_trip(store: Store) -> None:
    attributes = {
        "schema_version": 2,
        "nested": {"flag": True, "none": None, "list": [1, 2]},
        "text": "tip",
        "revision": 0,
    }
    store.adapter.save_attributes(envelope(ALICE), attributes)

    assert store.adapter.get_attributes(envelope(ALICE)) == {**attributes, "revision": 1}


def test_delete_attributes_forgets_the_person(store: Store) -> None:
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(2))

    store.adapter.delete_attributes(env)

    assert store.adapter.get_attributes(env) == {}
    assert store.raw(ALICE) is None
    store.adapter.delete_attributes(env)  # deleting what is not there is fine


# --- optimistic locking ---------------------------------------------------------------


def test_a_stale_revision_conflicts_and_changes_nothing(store: Store) -> None:
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(1))  # revision 1
    store.adapter.save_attributes(env, progress(2, revision=1))  # another device: 2

    with pytest.raises(ConflictError):
        store.adapter.save_attributes(env, progress(4, revision=1))

    loaded = store.adapter.get_attributes(env)
    assert loaded["revision"] == 2
    assert loaded["programs"]["motivate"]["position"] == 2


def test_a_second_first_save_conflicts(store: Store) -> None:
    """Two devices that both found nothing stored: only one insert wins."""
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(1))

    with pytest.raises(ConflictError):
        store.adapter.save_attributes(env, progress(3))

    assert store.adapter.get_attributes(env)["programs"]["motivate"]["position"] == 1


def test_saving_a_revision_that_was_deleted_conflicts(store: Store) -> None:
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(1))
    store.adapter.delete_attributes(env)

    with pytest.raises(ConflictError):
        store.adapter.save_attributes(env, progress(2, revision=1))
    assert store.adapter.get_attributes(env) == {}


def test_conflict_is_a_storage_error() -> None:
    # Code that only knows "the store failed" still catches conflicts.
    assert issubclass(ConflictError, StorageError)


# --- expiry ---------------------------------------------------------------------------


def test_items_expire_about_eighteen_months_after_the_last_save(store: Store, clock: Clock) -> None:
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(1))
    clock.now += 30 * 24 * 3600
    store.adapter.save_attributes(env, progress(2, revision=1))

    raw = store.raw(ALICE)
    assert raw is not None
    # Each save pushes the expiry out again: it counts from the last visit.
    assert raw["expires_at"] == int(clock.now) + TTL_SECONDS
    assert 540 * 24 * 3600 <= TTL_SECONDS <= 550 * 24 * 3600


def test_expired_progress_reads_as_absent_before_it_is_reaped(store: Store, clock: Clock) -> None:
    env = envelope(ALICE)
    store.adapter.save_attributes(env, progress(3))

    clock.now += TTL_SECONDS - 60
    assert store.adapter.get_attributes(env)["programs"]["motivate"]["position"] == 3

    clock.now += 120
    assert store.adapter.get_attributes(env) == {}
    assert store.raw(ALICE) is not None  # still stored; the TTL sweep has not run

    # Revision 0 ("nothing stored") may replace an expired item.
    store.adapter.save_attributes(env, progress(1))
    loaded = store.adapter.get_attributes(env)
    assert loaded["revision"] == 1
    assert loaded["programs"]["motivate"]["position"] == 1


# --- people and accounts --------------------------------------------------------------


def test_each_recognised_person_has_their_own_progress(store: Store) -> None:
    account, anna, ben = (
        envelope(ALICE),
        envelope(ALICE, "amzn1.ask.person.ANNA"),
        envelope(ALICE, "amzn1.ask.person.BEN"),
    )
    store.adapter.save_attributes(account, progress(1))
    store.adapter.save_attributes(anna, progress(4))
    store.adapter.save_attributes(ben, progress(2))

    assert store.adapter.get_attributes(account)["programs"]["motivate"]["position"] == 1
    assert store.adapter.get_attributes(anna)["programs"]["motivate"]["position"] == 4
    assert store.adapter.get_attributes(ben)["programs"]["motivate"]["position"] == 2
    assert store.keys() == {ALICE, person_key(anna), person_key(ben)}
    # Every item names its account, so the account can be forgotten whole.
    for env in (account, anna, ben):
        raw = store.raw(person_key(env))
        assert raw is not None
        assert raw["user_id"] == ALICE

    store.adapter.delete_attributes(anna)
    assert store.keys() == {ALICE, person_key(ben)}


def test_delete_user_removes_every_item_of_the_account_and_only_those(store: Store) -> None:
    for env in (
        envelope(ALICE),
        envelope(ALICE, "amzn1.ask.person.ANNA"),
        envelope(ALICE, "amzn1.ask.person.BEN"),
        envelope(BOB),
        envelope(BOB, "amzn1.ask.person.CARA"),
    ):
        store.adapter.save_attributes(env, progress(2))

    store.adapter.delete_user(ALICE)

    assert store.keys() == {BOB, person_key(envelope(BOB, "amzn1.ask.person.CARA"))}
    assert store.adapter.get_attributes(envelope(ALICE, "amzn1.ask.person.ANNA")) == {}
    store.adapter.delete_user(ALICE)  # nothing left: still fine


def test_delete_user_removes_people_even_without_an_account_item(store: Store) -> None:
    store.adapter.save_attributes(envelope(ALICE, "amzn1.ask.person.ANNA"), progress(1))

    store.adapter.delete_user(ALICE)

    assert store.keys() == set()


# --- the skill on each store ----------------------------------------------------------

T0 = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)


@pytest.fixture
def handler(store: Store) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    skill = build_skill(store.adapter)
    return lambda event, context=None: invoke(skill, event, context)


def skill_disabled_event(status: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / "skill_disabled_event.json").read_text())
    event["request"]["body"]["userInformationPersistenceStatus"] = status
    return event


def test_skill_disabled_not_persisted_deletes_every_person_of_the_account(
    store: Store, handler: Callable[..., dict[str, Any]]
) -> None:
    event = skill_disabled_event("NOT_PERSISTED")
    user = event["context"]["System"]["user"]["userId"]
    for person in (None, "amzn1.ask.person.ANNA", "amzn1.ask.person.BEN"):
        reach_tip(Talk(handler, user_id=user, person_id=person), 2, T0)
    reach_tip(Talk(handler, user_id=BOB), 1, T0)
    assert len(store.keys()) == 4

    response = handler(event, None)

    assert "outputSpeech" not in response.get("response", {})
    assert store.keys() == {BOB}


def test_skill_disabled_persisted_keeps_the_data(
    store: Store, handler: Callable[..., dict[str, Any]]
) -> None:
    event = skill_disabled_event("PERSISTED")
    user = event["context"]["System"]["user"]["userId"]
    reach_tip(Talk(handler, user_id=user), 2, T0)
    reach_tip(Talk(handler, user_id=user, person_id="amzn1.ask.person.ANNA"), 1, T0)

    handler(event, None)

    assert len(store.keys()) == 2


def test_forget_my_progress_asks_then_leaves_nothing_of_the_speaker(
    store: Store, handler: Callable[..., dict[str, Any]]
) -> None:
    talk = Talk(handler, user_id=ALICE)
    reach_tip(talk, 3, T0)
    partner = Talk(handler, user_id=ALICE, person_id="amzn1.ask.person.BEN")
    reach_tip(partner, 2, T0)

    talk.launch(T0 + timedelta(days=1))
    asked = talk.say("ForgetProgressIntent")
    assert "Should I delete it?" in asked.text
    assert store.raw(ALICE) is not None  # nothing deleted before the yes

    done = talk.say("AMAZON.YesIntent")

    assert "I've deleted your progress" in done.text
    assert done.ended
    assert store.raw(ALICE) is None
    # Only the speaker's progress: the partner's own is theirs to forget.
    assert store.keys() == {person_key(envelope(ALICE, "amzn1.ask.person.BEN"))}
    fresh = talk.launch(T0 + timedelta(days=2))
    assert "Welcome to Ally Coach" in fresh.text


def test_forget_answered_no_keeps_everything(
    store: Store, handler: Callable[..., dict[str, Any]]
) -> None:
    talk = Talk(handler, user_id=ALICE)
    reach_tip(talk, 2, T0)
    talk.launch(T0 + timedelta(days=1))
    talk.say("ForgetProgressIntent")

    talk.say("AMAZON.NoIntent")

    assert store.adapter.get_attributes(envelope(ALICE))["programs"]["motivate"]["position"] == 2


def test_two_people_on_one_device_keep_their_own_place(
    store: Store, handler: Callable[..., dict[str, Any]]
) -> None:
    anna = Talk(handler, user_id=ALICE, person_id="amzn1.ask.person.ANNA")
    ben = Talk(handler, user_id=ALICE, person_id="amzn1.ask.person.BEN")
    reach_tip(anna, 3, T0)

    # Ben has never used the skill: he starts at the beginning, not at Anna's tip 4.
    assert "Welcome to Ally Coach" in ben.launch(T0 + timedelta(hours=1)).text
    assert "Tip 1." in ben.say("AMAZON.YesIntent").text
    ben.say("AMAZON.StopIntent")

    back = anna.launch(T0 + timedelta(days=1))
    assert "Last time, you finished tip 3" in back.text
    assert "Tip 4." in anna.say("AMAZON.YesIntent").text

    back = ben.launch(T0 + timedelta(days=1))
    assert "Shall we go on with tip 2?" in back.text
