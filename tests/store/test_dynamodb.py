"""The DynamoDB store's own concerns: no AWS until used, the client's timeouts (retries
are the turn's, see skill.service.budget), how botocore's errors map to the store's, finding
every item of an account with or without the ``by_user`` index, and agreement with
infra/template.yaml. The behaviour it shares with SQLite is in test_store_contract.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws
from test_store_contract import ASKED, REGION, dynamodb_client, key_of, progress, set_fake_aws

from skill import aws
from skill.alexa.envelopes import SessionDriver
from skill.service.budget import TURN_BUDGET_SECONDS
from skill.store import dynamodb
from skill.store.base import (
    TTL_ATTRIBUTE,
    TTL_SECONDS,
    USER_ATTRIBUTE,
    USER_INDEX,
    ConflictError,
    StorageError,
)
from skill.store.dynamodb import (
    PEOPLE_SUFFIX,
    DynamoDbProgressStore,
    create_plain_table,
    create_table,
)

ROOT = Path(__file__).resolve().parents[2]
TABLE = "ally-coach-test"
USER = "amzn1.ask.account.DYNAMO-USER"
LAMBDA_TIMEOUT_SECONDS = 7  # infra/template.yaml; Alexa itself waits 8


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    set_fake_aws(monkeypatch, tmp_path)


@pytest.fixture
def stubbed(fake_aws: None) -> Iterator[tuple[DynamoDbProgressStore, Stubber]]:
    """An adapter whose client answers from a script; nothing is sent anywhere."""
    client = dynamodb_client()
    with Stubber(client) as stubber:
        yield DynamoDbProgressStore(TABLE, client=client), stubber
        stubber.assert_no_pending_responses()


# --- nothing at import, nothing until used --------------------------------------------


@pytest.mark.slow
def test_importing_and_building_the_skill_touches_no_aws(tmp_path: Path) -> None:
    """On Lambda, with the table set but before any request: botocore is not even imported."""
    code = (
        "import sys\n"
        "from skill.lambda_function import get_skill\n"
        "from skill.service.factory import get_store\n"
        "from skill.store.dynamodb import DynamoDbProgressStore\n"
        "skill = get_skill()\n"
        "assert isinstance(get_store(), DynamoDbProgressStore)\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'imported'\n"
        "print('ok')\n"
    )
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "SKILL_"))
    }
    env.update(
        SKILL_TABLE_NAME=TABLE,
        SKILL_VERIFY_REQUESTS="0",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        HOME=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_no_region_on_a_fresh_machine_is_a_storage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    adapter = DynamoDbProgressStore(TABLE)  # constructing needs nothing

    with pytest.raises(StorageError):
        adapter.read(key_of(USER))


# --- the client: fast failure inside Alexa's deadline ---------------------------------


def test_the_client_gives_up_well_inside_alexas_deadline(fake_aws: None) -> None:
    with mock_aws():
        config = DynamoDbProgressStore(TABLE, region=REGION).client.meta.config

    assert config.connect_timeout == dynamodb.CONNECT_TIMEOUT_SECONDS <= 1
    assert config.read_timeout == dynamodb.READ_TIMEOUT_SECONDS <= 2
    # botocore does not retry: the turn does, within its own time (skill.service.budget).
    assert config.retries == {"total_max_attempts": 1, "mode": "standard"}
    # The longest one call can take: a turn starts a call only when that much of its
    # budget is left, so its calls are over within the budget, well before the timeout.
    slowest = DynamoDbProgressStore.slowest_call_seconds
    assert slowest == config.connect_timeout + config.read_timeout < TURN_BUDGET_SECONDS
    assert TURN_BUDGET_SECONDS + 1 < LAMBDA_TIMEOUT_SECONDS


def test_a_region_given_to_the_adapter_wins(fake_aws: None) -> None:
    with mock_aws():
        adapter = DynamoDbProgressStore(TABLE, region="us-west-2")
        assert adapter.client.meta.region_name == "us-west-2"


def test_a_boto3_resource_is_refused(fake_aws: None) -> None:
    # Its client expects plain Python values and would mangle the typed ones sent here.
    with mock_aws(), pytest.raises(TypeError):
        DynamoDbProgressStore(TABLE, client=boto3.resource("dynamodb", region_name=REGION))


# --- DynamoDB's typed values -----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, 7, -3, 2.5, 0.1, "", "tip", b"\x00\xff", [],
     [1, "a", None, [False]], {"a": {"b": [True, 3]}, "n": 12}],
)  # fmt: skip
def test_values_are_typed_exactly_as_boto3_types_them(value: Any) -> None:
    expected = TypeSerializer().serialize(
        Decimal(str(value)) if isinstance(value, float) else value
    )
    item = aws.to_item({"v": value})
    assert item == {"v": expected}
    back = aws.from_item(item)["v"]
    assert back == value and type(back) is type(value)


def test_numbers_read_back_as_int_or_float_never_decimal() -> None:
    item = aws.to_item({"d": Decimal("1.10"), "i": Decimal("4")})
    assert item == {"d": {"N": "1.10"}, "i": {"N": "4"}}
    assert aws.from_item(item) == {"d": 1.1, "i": 4}
    assert [type(v) for v in aws.from_item(item).values()] == [float, int]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}, object()])
def test_values_dynamodb_cannot_hold_are_refused_before_any_call(value: Any) -> None:
    with pytest.raises(TypeError):
        aws.to_item({"v": value})


def test_sets_written_by_someone_else_read_back_as_sorted_lists() -> None:
    item = {"n": {"NS": ["3", "1", "2.5"]}, "s": {"SS": ["b", "a"]}}
    assert aws.from_item(item) == {"n": [1, 2.5, 3], "s": ["a", "b"]}


# --- errors ---------------------------------------------------------------------------


def test_reads_are_strongly_consistent(
    stubbed: tuple[DynamoDbProgressStore, Stubber],
) -> None:
    # After a conflict the re-read must see the version that won, or it conflicts again.
    adapter, stubber = stubbed
    stubber.add_response(
        "get_item",
        {},
        {"TableName": TABLE, "Key": {"id": {"S": USER}}, "ConsistentRead": True},
    )
    assert adapter.read(key_of(USER)) == {}


@pytest.mark.parametrize(
    ("operation", "code", "expected"),
    [
        ("put_item", "ConditionalCheckFailedException", ConflictError),
        ("put_item", "ProvisionedThroughputExceededException", StorageError),
        ("get_item", "ThrottlingException", StorageError),
        ("get_item", "ResourceNotFoundException", StorageError),
        ("update_item", "AccessDeniedException", StorageError),
        ("put_item", "InternalServerError", StorageError),
    ],
)
def test_client_errors_become_store_errors(
    stubbed: tuple[DynamoDbProgressStore, Stubber],
    operation: str,
    code: str,
    expected: type[StorageError],
) -> None:
    adapter, stubber = stubbed
    stubber.add_client_error(operation, service_error_code=code, http_status_code=400)
    env = key_of(USER)
    call = {
        "put_item": lambda: adapter.write(env, progress(1, revision=3)),
        "get_item": lambda: adapter.read(env),
        "update_item": lambda: adapter.forget(env, ASKED),  # a forget writes a marker
    }[operation]

    with pytest.raises(expected) as raised:
        call()

    # A failure that is not a conflict must not be taken for one (nor the other way).
    assert (type(raised.value) is ConflictError) is (expected is ConflictError)
    assert isinstance(raised.value.__cause__, ClientError)  # raised "from" the original
    assert code in str(raised.value) or expected is ConflictError
    assert USER not in str(raised.value)  # messages end up in logs


def _answer_every_send(client: Any, operation: str, answer: Any) -> list[int]:
    """Make every HTTP attempt of ``operation`` fail as ``answer`` says; count attempts."""
    attempts: list[int] = []

    def before_send(request: Any, **_: Any) -> Any:
        attempts.append(1)
        return answer(request)

    # First in line, ahead of moto's own responder.
    client.meta.events.register_first(f"before-send.dynamodb.{operation}", before_send)
    return attempts


def _raise(error: type[Exception]) -> Any:
    def answer(request: Any) -> Any:
        raise error(endpoint_url=request.url)

    return answer


@pytest.mark.parametrize("error", [ReadTimeoutError, ConnectTimeoutError])
def test_a_timeout_is_tried_once_then_becomes_a_storage_error(
    fake_aws: None, error: type[Exception]
) -> None:
    with mock_aws():
        adapter = DynamoDbProgressStore(TABLE, region=REGION)
        attempts = _answer_every_send(adapter.client, "GetItem", _raise(error))

        with pytest.raises(StorageError) as raised:
            adapter.read(key_of(USER))

    assert len(attempts) == dynamodb.TOTAL_ATTEMPTS
    assert isinstance(raised.value.__cause__, error)
    assert error.__name__ in str(raised.value)


def test_throttling_is_tried_once_then_becomes_a_storage_error(fake_aws: None) -> None:
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield json.dumps(
                {
                    "__type": "com.amazonaws.dynamodb.v20120810#"
                    "ProvisionedThroughputExceededException",
                    "message": "The level of configured provisioned throughput was exceeded",
                }
            ).encode()

    def throttled(request: Any) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 400, headers, Raw())

    with mock_aws():
        adapter = DynamoDbProgressStore(TABLE, region=REGION)
        create_table(adapter.client, TABLE)
        attempts = _answer_every_send(adapter.client, "PutItem", throttled)

        with pytest.raises(StorageError) as raised:
            adapter.write(key_of(USER), progress(1))

    assert len(attempts) == dynamodb.TOTAL_ATTEMPTS
    assert "ProvisionedThroughputExceededException" in str(raised.value)
    assert not isinstance(raised.value, ConflictError)


# --- forgetting an account ------------------------------------------------------------


def test_delete_user_reads_the_list_of_people_and_every_page_of_the_index(
    stubbed: tuple[DynamoDbProgressStore, Stubber],
) -> None:
    adapter, stubber = stubbed
    anna, ben, cara = f"{USER}#person#ANNA", f"{USER}#person#BEN", f"{USER}#person#CARA"
    listed = USER + PEOPLE_SUFFIX
    stubber.add_response(
        "get_item",
        {"Item": {"id": {"S": listed}, "people": {"SS": [cara, anna]}}},
        {"TableName": TABLE, "Key": {"id": {"S": listed}}, "ConsistentRead": True},
    )
    query = {
        "TableName": TABLE,
        "IndexName": USER_INDEX,
        "KeyConditionExpression": "#user = :user",
        "ExpressionAttributeNames": {"#user": USER_ATTRIBUTE},
        "ExpressionAttributeValues": {":user": {"S": USER}},
    }
    page_end = {"id": {"S": anna}, "user_id": {"S": USER}}
    stubber.add_response(
        "query",
        {"Items": [{"id": {"S": anna}, "user_id": {"S": USER}}], "LastEvaluatedKey": page_end},
        query,
    )
    stubber.add_response(
        "query",
        {"Items": [{"id": {"S": ben}, "user_id": {"S": USER}}]},
        {**query, "ExclusiveStartKey": page_end},
    )
    # People first, then the account's own item, and the list last: a delete that fails
    # half way leaves the list, so that the next try still finds who is left.
    for key in (anna, ben, cara, USER, listed):
        stubber.add_response("delete_item", {}, {"TableName": TABLE, "Key": {"id": {"S": key}}})

    adapter.delete_user(USER)


def test_delete_user_failing_half_way_is_a_storage_error(
    stubbed: tuple[DynamoDbProgressStore, Stubber],
) -> None:
    adapter, stubber = stubbed
    stubber.add_response("get_item", {})
    stubber.add_response("query", {"Items": []})
    stubber.add_client_error("delete_item", service_error_code="ThrottlingException")

    with pytest.raises(StorageError):
        adapter.delete_user(USER)


def test_a_table_with_only_its_key_deletes_every_item_of_an_account(fake_aws: None) -> None:
    """The layout ask-sdk's own adapter creates, often reused: no ``by_user`` index."""
    with mock_aws():
        client = dynamodb_client()
        create_plain_table(client, TABLE)
        adapter = DynamoDbProgressStore(TABLE, client=client)
        other = "amzn1.ask.account.SOMEONE-ELSE"
        for user, person in (
            (USER, None),
            (USER, "amzn1.ask.person.ANNA"),
            (USER, "amzn1.ask.person.BEN"),
            (other, "amzn1.ask.person.CARA"),
        ):
            adapter.write(key_of(user, person), progress(2))
        adapter.forget(key_of(USER, "amzn1.ask.person.BEN"), ASKED)  # a marker too

        adapter.delete_user(USER)
        adapter.delete_user(USER)  # again: nothing left, nothing fails

        left = {item["id"]["S"] for item in client.scan(TableName=TABLE)["Items"]}
    assert left == {f"{other}#person#amzn1.ask.person.CARA", other + PEOPLE_SUFFIX}


def test_items_written_before_the_list_of_people_are_found_through_the_index(
    fake_aws: None,
) -> None:
    with mock_aws():
        client = dynamodb_client()
        create_table(client, TABLE)
        # A person's item as an older version of the skill wrote it: no list of people.
        client.put_item(
            TableName=TABLE,
            Item={
                "id": {"S": f"{USER}#person#OLD"},
                "user_id": {"S": USER},
                "version": {"N": "1"},
                "attributes": {"M": {}},
                "expires_at": {"N": "4000000000"},
            },
        )
        adapter = DynamoDbProgressStore(TABLE, client=client)
        adapter.write(key_of(USER, "amzn1.ask.person.NEW"), progress(1))

        adapter.delete_user(USER)

        assert client.scan(TableName=TABLE)["Items"] == []


def test_every_save_of_a_person_renews_the_list_of_people(fake_aws: None) -> None:
    """The list must outlive the items it lists, which each save pushes out."""
    now = [1_800_000_000.0]
    with mock_aws():
        client = dynamodb_client()
        create_table(client, TABLE)
        adapter = DynamoDbProgressStore(TABLE, client=client, clock=lambda: now[0])
        anna = key_of(USER, "amzn1.ask.person.ANNA")
        adapter.write(anna, progress(1))
        now[0] += 400 * 86400
        adapter.write(anna, progress(2, revision=1))

        listed = client.get_item(TableName=TABLE, Key={"id": {"S": USER + PEOPLE_SUFFIX}})["Item"]
        person = client.get_item(
            TableName=TABLE, Key={"id": {"S": f"{USER}#person#amzn1.ask.person.ANNA"}}
        )["Item"]
    assert listed["people"] == {"SS": [f"{USER}#person#amzn1.ask.person.ANNA"]}
    assert int(listed["expires_at"]["N"]) >= int(person["expires_at"]["N"])
    assert int(listed["expires_at"]["N"]) == int(now[0]) + TTL_SECONDS


# --- the table ------------------------------------------------------------------------


class _Recorder:
    """Stands in for a client to see what create_table asks for."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    def create_table(self, **kwargs: Any) -> None:
        self.calls["create_table"] = kwargs

    def update_time_to_live(self, **kwargs: Any) -> None:
        self.calls["update_time_to_live"] = kwargs

    def get_waiter(self, name: str) -> Any:
        return type("Waiter", (), {"wait": lambda self, **kwargs: None})()


def test_create_table_builds_the_table_of_the_template() -> None:
    from cfnlint.decode import decode

    template, problems = decode(str(ROOT / "infra" / "template.yaml"))
    assert not problems
    assert template is not None
    # The progress table (the template also has the phone line's calls table).
    progress = template["Resources"]["ProgressTable"]
    assert progress["Type"] == "AWS::DynamoDB::Table"
    declared = progress["Properties"]
    recorder = _Recorder()

    create_table(recorder, TABLE)

    made = recorder.calls["create_table"]

    def by_name(items: list[Any], key: str) -> dict[str, Any]:
        return {item[key]: json.loads(json.dumps(item)) for item in items}

    assert by_name(made["AttributeDefinitions"], "AttributeName") == by_name(
        declared["AttributeDefinitions"], "AttributeName"
    )
    assert json.loads(json.dumps(declared["KeySchema"])) == made["KeySchema"]
    assert by_name(made["GlobalSecondaryIndexes"], "IndexName") == by_name(
        declared["GlobalSecondaryIndexes"], "IndexName"
    )
    assert made["BillingMode"] == declared["BillingMode"]
    ttl = recorder.calls["update_time_to_live"]["TimeToLiveSpecification"]
    assert ttl == {"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    assert json.loads(json.dumps(declared["TimeToLiveSpecification"])) == ttl


def test_stored_items_look_as_documented(fake_aws: None) -> None:
    """Numbers are DynamoDB numbers (not strings), and the item has the documented fields."""
    with mock_aws():
        client = dynamodb_client()
        create_table(client, TABLE)
        adapter = DynamoDbProgressStore(TABLE, client=client, clock=lambda: 1_800_000_000.5)
        driver = SessionDriver(user_id=USER, person_id="amzn1.ask.person.ANNA")
        env = key_of(driver.user_id, driver.person_id)
        adapter.write(env, {**progress(2), "ratio": 0.25})

        items = client.scan(TableName=TABLE)["Items"]
        item = next(item for item in items if "version" in item)
        loaded = adapter.read(env)

    assert len(items) == 2  # the person's item, and the account's list of its people
    assert set(item) == {"id", "user_id", "version", "attributes", "expires_at"}
    assert item["id"] == {"S": f"{USER}#person#amzn1.ask.person.ANNA"}
    assert item["user_id"] == {"S": USER}
    assert item["version"] == {"N": "1"}
    assert "N" in item["expires_at"]
    assert "revision" not in item["attributes"]["M"]
    assert loaded["ratio"] == 0.25  # a float survives as a float (stored as a Decimal)
