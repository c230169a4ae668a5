"""One contract, two call stores: in this process's memory, and DynamoDB (moto) shared by
many. Every test runs on both, so the phone line behaves the same on one process or many:
one turn at a time, a call bound to its caller, ended calls refused, idle calls expired.
The DynamoDB store's own concerns (its item, TTL, retries, timeouts) come after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from skill.channels.phone import dynamodb_calls
from skill.channels.phone.calls import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_TOMBSTONE_SECONDS,
    DEFAULT_TTL_SECONDS,
    CallState,
    CallStore,
    CallStoreUnavailable,
    ClaimStatus,
    LeaseLost,
    MemoryCallStore,
    new_lease,
)
from skill.channels.phone.dynamodb_calls import DynamoDbCallStore, create_table

from phone_support import CALLS_TABLE, Faults, aws_client
from support import set_fake_aws

START = 1_800_000_000.0
CALLER = "c" * 64
OTHER = "d" * 64


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def state(n: int = 0, caller: str = CALLER) -> CallState:
    return CallState(
        user_id="phone:" + "a" * 64,
        locale="en-US",
        session_id=f"session-{n}",
        attributes={"n": n, "nested": {"list": [1, 2.5, None, True]}},
        reprompt="<speak>Say yes.</speak>",
        caller=caller,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    set_fake_aws(monkeypatch, tmp_path)
    with mock_aws():
        create_table(aws_client("dynamodb"), CALLS_TABLE)
        yield


def dynamodb_store(clock: Clock, client: Any = None, **options: Any) -> DynamoDbCallStore:
    return DynamoDbCallStore(
        CALLS_TABLE,
        client=client or aws_client("dynamodb"),
        clock=clock,
        sleep=lambda seconds: None,
        **options,
    )


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, clock: Clock) -> CallStore:
    if request.param == "memory":
        return MemoryCallStore(clock=clock)
    request.getfixturevalue("fake_aws")
    return dynamodb_store(clock)


def live(store: CallStore, call_sid: str) -> CallState | None:
    got: CallState | None = store.get(call_sid)  # type: ignore[attr-defined]
    return got


def ended(store: CallStore, call_sid: str) -> bool:
    return bool(store.is_ended(call_sid))  # type: ignore[attr-defined]


# --- one turn at a time ---------------------------------------------------------------------


def test_a_new_call_is_opened_claimed_and_its_state_kept(store: CallStore) -> None:
    lease = new_lease()
    opened = store.open("CA1", state(1), lease)
    assert opened.status is ClaimStatus.CLAIMED and opened.created
    assert opened.state is not None and opened.state.attributes["n"] == 1
    # Claimed by the opener until released: a second webhook must wait.
    assert store.claim("CA1", CALLER, new_lease()).status is ClaimStatus.BUSY

    turn = state(2)
    turn.silences = 1
    turn.keypad_announced = True
    assert not store.release("CA1", turn, lease).hung_up
    claim = store.claim("CA1", CALLER, new_lease())
    assert claim.status is ClaimStatus.CLAIMED and claim.state is not None
    got = claim.state
    assert (got.session_id, got.attributes, got.silences, got.keypad_announced) == (
        "session-2",
        {"n": 2, "nested": {"list": [1, 2.5, None, True]}},
        1,
        True,
    )
    assert got.version == opened.state.version + 1


def test_only_the_lease_holder_may_write(store: CallStore) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    with pytest.raises(LeaseLost):
        store.release("CA1", state(9), new_lease())
    with pytest.raises(LeaseLost):
        store.end("CA1", new_lease())
    store.release("CA1", state(2), lease)
    with pytest.raises(LeaseLost):
        store.release("CA1", state(3), lease)  # released already: the lease is gone
    got = live(store, "CA1")
    assert got is not None and got.attributes["n"] == 2


def test_a_lease_expires_so_a_dead_instance_cannot_hold_a_call(
    store: CallStore, clock: Clock
) -> None:
    dead = new_lease()
    store.open("CA1", state(1), dead)
    clock.now += DEFAULT_LEASE_SECONDS - 1
    assert store.claim("CA1", CALLER, new_lease()).status is ClaimStatus.BUSY
    clock.now += 2
    taker = new_lease()
    claim = store.claim("CA1", CALLER, taker)
    assert claim.status is ClaimStatus.CLAIMED
    with pytest.raises(LeaseLost):
        store.release("CA1", state(7), dead)  # too late: its turn is dropped, not merged in
    store.release("CA1", state(2), taker)
    got = live(store, "CA1")
    assert got is not None and got.attributes["n"] == 2


def test_an_expired_lease_nobody_took_over_may_still_be_released(
    store: CallStore, clock: Clock
) -> None:
    # A turn whose write failed is written later by the same process (skill.channels.phone.pending).
    lease = new_lease()
    store.open("CA1", state(1), lease)
    clock.now += DEFAULT_LEASE_SECONDS * 3
    store.release("CA1", state(2), lease)
    got = live(store, "CA1")
    assert got is not None and got.attributes["n"] == 2


# --- a call belongs to its caller ----------------------------------------------------------


def test_another_caller_cannot_claim_defer_or_hang_up_a_call(store: CallStore) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(1), lease)
    assert store.claim("CA1", OTHER, new_lease()).status is ClaimStatus.STRANGER
    assert store.open("CA1", state(5, caller=OTHER), new_lease()).status is ClaimStatus.STRANGER
    assert not store.defer("CA1", OTHER, "k1", {"words": "forget my progress"})
    assert not store.hang_up("CA1", OTHER)
    claim = store.claim("CA1", CALLER, new_lease())
    assert claim.status is ClaimStatus.CLAIMED and claim.state is not None
    assert claim.state.attributes["n"] == 1 and claim.state.deferred == {}


def test_unknown_calls_are_unknown(store: CallStore) -> None:
    assert store.claim("CA404", CALLER, new_lease()).status is ClaimStatus.UNKNOWN
    assert not store.defer("CA404", CALLER, "k1", {"digits": "1"})
    assert not store.hang_up("CA404", CALLER)


# --- ended calls stay ended ------------------------------------------------------------------


def test_an_ended_call_leaves_a_tombstone_that_refuses_everything(
    store: CallStore, clock: Clock
) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.end("CA1", lease)
    assert live(store, "CA1") is None and ended(store, "CA1")
    for other in (CALLER, OTHER):
        assert store.claim("CA1", other, new_lease()).status is ClaimStatus.ENDED
    assert store.open("CA1", state(2), new_lease()).status is ClaimStatus.ENDED
    assert not store.defer("CA1", CALLER, "k1", {"words": "yes"})
    # Days later, a replay is still refused.
    clock.now += DEFAULT_TOMBSTONE_SECONDS - 60
    assert store.claim("CA1", CALLER, new_lease()).status is ClaimStatus.ENDED
    clock.now += 120
    assert store.claim("CA1", CALLER, new_lease()).status is ClaimStatus.UNKNOWN


def test_idle_calls_expire_and_every_turn_keeps_a_call_alive(
    store: CallStore, clock: Clock
) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(1), lease)
    clock.now += DEFAULT_TTL_SECONDS - 10
    lease = new_lease()
    assert store.claim("CA1", CALLER, lease).status is ClaimStatus.CLAIMED
    store.release("CA1", state(2), lease)  # a turn: the clock starts again
    clock.now += DEFAULT_TTL_SECONDS - 10
    assert live(store, "CA1") is not None
    clock.now += 20
    assert live(store, "CA1") is None
    assert store.claim("CA1", CALLER, new_lease()).status is ClaimStatus.UNKNOWN
    # An expired call's number may ring in as a new call with a new state.
    reopened = store.open("CA1", state(3), new_lease())
    assert reopened.status is ClaimStatus.CLAIMED and reopened.created


def test_opening_a_live_call_again_claims_it_as_it_is(store: CallStore) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(4), lease)
    again = store.open("CA1", state(0), new_lease())
    assert again.status is ClaimStatus.CLAIMED and not again.created
    assert again.state is not None and again.state.attributes["n"] == 4


# --- inputs left with a busy call, and hang-ups during a turn --------------------------------


def test_inputs_left_with_a_busy_call_wait_for_its_next_turn(store: CallStore) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    assert store.defer("CA1", CALLER, "k1", {"digits": "", "words": "next"})
    assert store.defer("CA1", CALLER, "k2", {"digits": "7", "words": ""})
    store.release("CA1", state(2), lease)  # a release does not drop what it did not take
    lease = new_lease()
    claim = store.claim("CA1", CALLER, lease)
    assert claim.state is not None
    assert claim.state.deferred == {
        "k1": {"digits": "", "words": "next"},
        "k2": {"digits": "7", "words": ""},
    }
    store.release("CA1", state(3), lease, consumed=["k1"])
    claim = store.claim("CA1", CALLER, new_lease())
    assert claim.state is not None and list(claim.state.deferred) == ["k2"]


def test_a_hang_up_during_a_turn_is_handed_to_the_turn(store: CallStore) -> None:
    lease = new_lease()
    store.open("CA1", state(1), lease)
    assert store.hang_up("CA1", CALLER)
    released = store.release("CA1", state(2), lease)
    assert released.hung_up  # nothing written; the holder still holds the call, and ends it
    store.end("CA1", lease)
    assert ended(store, "CA1")


# --- memory store bounds ------------------------------------------------------------------


def test_the_memory_store_holds_at_most_max_calls_dropping_the_least_recent(
    clock: Clock,
) -> None:
    store = MemoryCallStore(max_calls=2, clock=clock)
    for sid in ("CA1", "CA2"):
        lease = new_lease()
        store.open(sid, state(), lease)
        store.release(sid, state(), lease)
    lease = new_lease()
    store.claim("CA1", CALLER, lease)
    store.release("CA1", state(), lease)  # CA1 is now the most recent
    store.open("CA3", state(), new_lease())
    assert store.get("CA2") is None
    assert store.get("CA1") is not None and store.get("CA3") is not None
    assert len(store) == 2


def test_the_memory_store_keeps_a_bounded_number_of_tombstones(clock: Clock) -> None:
    store = MemoryCallStore(clock=clock, max_tombstones=2)
    for sid in ("CA1", "CA2", "CA3"):
        lease = new_lease()
        store.open(sid, state(), lease)
        store.end(sid, lease)
    assert not store.is_ended("CA1") and store.is_ended("CA2") and store.is_ended("CA3")
    assert len(store) == 0


def test_the_memory_store_hands_out_copies(clock: Clock) -> None:
    store = MemoryCallStore(clock=clock)
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(1), lease)
    got = store.get("CA1")
    assert got is not None
    got.attributes["n"] = 99
    got.silences = 2
    again = store.get("CA1")
    assert again is not None and again.attributes["n"] == 1 and again.silences == 0


def test_a_memory_store_needs_room() -> None:
    with pytest.raises(ValueError):
        MemoryCallStore(max_calls=0)
    with pytest.raises(ValueError):
        MemoryCallStore(max_tombstones=0)


# --- DynamoDB: the item, TTL, faults --------------------------------------------------------


def raw_item(call_sid: str) -> dict[str, Any]:
    item = aws_client("dynamodb").get_item(TableName=CALLS_TABLE, Key={"call_sid": {"S": call_sid}})
    return dict(item.get("Item") or {})


def test_the_item_holds_the_conversation_and_a_ttl_but_never_the_number(
    fake_aws: None, clock: Clock
) -> None:
    store = dynamodb_store(clock)
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(2), lease)
    item = raw_item("CA1")
    assert set(item) == {
        "call_sid",
        "caller",
        "version",
        "ended",
        "state",
        "deferred",
        "turn",
        "expires_at",
    }
    assert int(item["expires_at"]["N"]) == int(START + DEFAULT_TTL_SECONDS)
    assert json.loads(item["state"]["S"])["attributes"]["n"] == 2
    assert "+1555" not in json.dumps(item)

    lease = new_lease()
    store.claim("CA1", CALLER, lease)
    store.end("CA1", lease)
    tombstone = raw_item("CA1")
    # Nothing of the conversation is kept; only enough to refuse a replay.
    assert set(tombstone) == {"call_sid", "caller", "version", "ended", "expires_at"}
    assert tombstone["ended"] == {"BOOL": True}
    assert int(tombstone["expires_at"]["N"]) == int(START + DEFAULT_TOMBSTONE_SECONDS)


def test_the_table_has_the_key_and_ttl_the_store_uses(fake_aws: None) -> None:
    client = aws_client("dynamodb")
    table = client.describe_table(TableName=CALLS_TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": dynamodb_calls.KEY, "KeyType": "HASH"}]
    ttl = client.describe_time_to_live(TableName=CALLS_TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": dynamodb_calls.TTL_ATTRIBUTE}


def test_an_expired_item_ttl_has_not_removed_yet_counts_as_gone(
    fake_aws: None, clock: Clock
) -> None:
    store = dynamodb_store(clock)
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(1), lease)
    clock.now += DEFAULT_TTL_SECONDS + 1
    assert raw_item("CA1")  # still there: DynamoDB's TTL runs late
    assert store.claim("CA1", CALLER, new_lease()).status is ClaimStatus.UNKNOWN


def test_throttling_and_timeouts_are_retried_within_the_budget(
    fake_aws: None, clock: Clock
) -> None:
    faults = Faults(aws_client("dynamodb"))
    store = dynamodb_store(clock, faults)
    faults.plan = ["ProvisionedThroughputExceededException", "timeout", None]
    lease = new_lease()
    assert store.open("CA1", state(1), lease).status is ClaimStatus.CLAIMED
    faults.plan = ["ThrottlingException", "InternalServerError"]
    store.release("CA1", state(2), lease)
    assert faults.failed == 4
    got = store.get("CA1")
    assert got is not None and got.attributes["n"] == 2


def test_an_outage_is_reported_as_unavailable_and_changes_nothing(
    fake_aws: None, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    faults = Faults(aws_client("dynamodb"))
    store = dynamodb_store(clock, faults)
    lease = new_lease()
    store.open("CA1", state(1), lease)
    store.release("CA1", state(1), lease)
    faults.down = True
    with pytest.raises(CallStoreUnavailable):
        store.claim("CA1", CALLER, new_lease())
    with pytest.raises(CallStoreUnavailable):
        store.release("CA1", state(9), lease)
    assert faults.calls > 2  # retried before giving up
    faults.down = False
    claim = store.claim("CA1", CALLER, new_lease())
    assert claim.status is ClaimStatus.CLAIMED and claim.state is not None
    assert claim.state.attributes["n"] == 1
    assert "ReadTimeoutError" in caplog.text and "CA1" not in caplog.text


def test_errors_that_will_not_pass_are_not_retried(fake_aws: None, clock: Clock) -> None:
    faults = Faults(aws_client("dynamodb"))
    store = dynamodb_store(clock, faults)
    faults.plan = ["ResourceNotFoundException"]
    with pytest.raises(CallStoreUnavailable, match="ResourceNotFoundException"):
        store.claim("CA1", CALLER, new_lease())
    assert faults.calls == 1


def test_retries_stop_when_the_budget_is_spent(fake_aws: None) -> None:
    waited: list[float] = []
    faults = Faults(aws_client("dynamodb"))
    faults.down = True
    store = DynamoDbCallStore(CALLS_TABLE, client=faults, sleep=waited.append, budget_seconds=0.5)
    with pytest.raises(CallStoreUnavailable):
        store.claim("CA1", CALLER, new_lease())
    assert sum(waited) <= 0.5 and len(waited) >= 2


def test_attempts_time_out_fast_and_botocore_does_not_retry_on_its_own() -> None:
    config = dynamodb_calls.client_config()
    assert config.connect_timeout + config.read_timeout <= 2
    assert config.retries["total_max_attempts"] == 1
    # Three operations around a turn, each within its budget plus one attempt, leave the
    # skill most of Twilio's 15 seconds.
    per_operation = dynamodb_calls.OPERATION_BUDGET_SECONDS + 1.5
    assert 3 * per_operation < 15 - 4


def test_nothing_touches_aws_until_the_store_is_used() -> None:
    store = DynamoDbCallStore(CALLS_TABLE, region="eu-west-1")
    assert not store._client.made
