"""The AWS store: one DynamoDB item per person, used when SKILL_TABLE_NAME is set.

An item looks like::

    {"id": "<userId>[#person#<personId>]", "user_id": "<userId>", "version": 3,
     "attributes": {...Progress.to_dict() without "revision"...}, "expires_at": 1767225600}

``version`` is what optimistic locking compares (it comes back to the skill as
"revision"), ``user_id`` feeds the ``by_user`` index that finds every item of an account,
and ``expires_at`` lets DynamoDB's TTL drop the progress of people who stopped coming.

Nothing here touches AWS, or even imports botocore, until the first read or write: the
Lambda's cold start stays short, and a machine with no AWS setup can import the skill.
The client comes straight from botocore: boto3 adds nothing this store uses, and
importing it (with s3transfer) costs a cold start 30-40 ms (bench/README.md).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from skill.store.base import (
    ATTRIBUTES_FIELD,
    PARTITION_KEY,
    TTL_ATTRIBUTE,
    TTL_SECONDS,
    USER_ATTRIBUTE,
    USER_INDEX,
    VERSION_ATTRIBUTE,
    ConflictError,
    ProgressAdapter,
    StorageError,
    person_key,
    user_key,
)

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope
    from botocore.config import Config

# Alexa gives a skill 8 seconds to answer and the Lambda is stopped at 7
# (infra/template.yaml). A healthy DynamoDB answers in milliseconds, so a call that takes
# a second is failing: give up early and let the turn answer from the session instead
# (turns.py keeps the progress there and saves it later). One call costs at most
# TOTAL_ATTEMPTS x (connect + read timeout) plus the retry's backoff (under 1 s even when
# throttled) = 5 s, and a turn makes at most one call that fails (turns.py stops using the
# store for the rest of a turn after a failure), so the user still hears an answer.
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 1.0
# Total tries per call, the first one included ("standard" mode retries throttling,
# timeouts and 5xx errors with jittered backoff). One retry absorbs a blip; more would
# risk the deadline.
TOTAL_ATTEMPTS = 2

# botocore logs whole request and response bodies at DEBUG: user IDs, person IDs and
# progress. SKILL_LOG_LEVEL=DEBUG must not put those in CloudWatch.
_CHATTY_LOGGERS = ("botocore", "boto3", "urllib3")

_CONFLICT_CODE = "ConditionalCheckFailedException"


def client_config() -> Config:
    """The botocore settings every client of the store uses: short timeouts, one retry."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
    )


class DynamoDbProgressAdapter(ProgressAdapter):
    """Progress in a DynamoDB table, with the same contract as ``SqliteProgressAdapter``:
    conditional writes on the item's version, an expiry time, and per-person keys.

    ``client`` is a DynamoDB client (boto3's or botocore's, they are the same); without
    one, a client is made on first use for ``region`` (or the region the environment
    configures).
    """

    def __init__(
        self,
        table_name: str,
        region: str | None = None,
        *,
        client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self.region = region
        if hasattr(client, "Table"):
            # A resource's client converts plain Python values itself, and would mangle
            # the typed values this store sends.
            raise TypeError("pass a boto3 DynamoDB client, not a resource")
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        _quiet_aws_debug_logs()

    @property
    def client(self) -> Any:
        """The client, created on first use (never at import or construction)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from botocore.session import Session

                    # A session of our own: a shared default session is not thread-safe.
                    self._client = Session().create_client(
                        "dynamodb", region_name=self.region, config=client_config()
                    )
        return self._client

    # --- the contract -----------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        response = self._call(
            "get_item",
            TableName=self.table_name,
            Key={PARTITION_KEY: {"S": person_key(request_envelope)}},
            # A strongly consistent read: after a conflict, the re-read must see the
            # version that beat us, or the retry would conflict again.
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return {}
        data = _from_item(item)
        expires = data.get(TTL_ATTRIBUTE)
        if expires is not None and expires < self._clock():
            # TTL deletion runs up to days late; an expired item is gone already.
            return {}
        attributes: dict[str, Any] = dict(data.get(ATTRIBUTES_FIELD) or {})
        attributes["revision"] = int(data.get(VERSION_ATTRIBUTE) or 0)
        return attributes

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        """Write if the stored version is still the one we read; else ``ConflictError``."""
        expected = int(attributes.get("revision") or 0)
        now = int(self._clock())
        item = {
            PARTITION_KEY: person_key(request_envelope),
            USER_ATTRIBUTE: user_key(request_envelope),
            VERSION_ATTRIBUTE: expected + 1,
            ATTRIBUTES_FIELD: {k: v for k, v in attributes.items() if k != "revision"},
            TTL_ATTRIBUTE: now + TTL_SECONDS,
        }
        if expected == 0:
            # Revision 0 means "nothing stored": a missing item, or one past its expiry
            # that TTL has not removed yet.
            condition = "attribute_not_exists(#id) OR #expires < :now"
            names = {"#id": PARTITION_KEY, "#expires": TTL_ATTRIBUTE}
            values: dict[str, Any] = {":now": now}
        else:
            condition = "#version = :expected"
            names = {"#version": VERSION_ATTRIBUTE}
            values = {":expected": expected}
        self._call(
            "put_item",
            TableName=self.table_name,
            Item=_to_item(item),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_to_item(values),
        )

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._delete_key(person_key(request_envelope))

    def delete_user(self, user_id: str) -> None:
        """Delete the account's item and every person's item in it.

        The index is read page by page; the account's own item is deleted by its key too,
        since an index lags its table by a moment.
        """
        keys = {user_id}
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table_name,
                "IndexName": USER_INDEX,
                "KeyConditionExpression": "#user = :user",
                "ExpressionAttributeNames": {"#user": USER_ATTRIBUTE},
                "ExpressionAttributeValues": {":user": {"S": user_id}},
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._call("query", **kwargs)
            keys.update(item[PARTITION_KEY]["S"] for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        # One DeleteItem per key: the role may not BatchWriteItem, and an account has a
        # handful of items (one per recognised person).
        for key in sorted(keys):
            self._delete_key(key)

    # --- plumbing ---------------------------------------------------------------------

    def _delete_key(self, key: str) -> None:
        self._call("delete_item", TableName=self.table_name, Key={PARTITION_KEY: {"S": key}})

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One client call; botocore's errors become the store's errors.

        Messages name the operation and error code only: a botocore message may quote
        keys, and these messages end up in the logs.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, Any] = getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "unknown"))
            if code == _CONFLICT_CODE:
                raise ConflictError("progress changed since it was read") from exc
            raise StorageError(f"dynamodb {operation} failed: {code}") from exc
        except BotoCoreError as exc:
            # Timeouts, unreachable endpoints, missing region or credentials.
            raise StorageError(f"dynamodb {operation} failed: {type(exc).__name__}") from exc
        return response


def create_table(client: Any, table_name: str) -> None:
    """Create the table as infra/template.yaml declares it, for tests and local DynamoDB.

    The skill never calls this: in AWS the stack creates the table, and the function's
    role may not. tests/test_dynamodb.py checks that this agrees with the template.
    """
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": USER_ATTRIBUTE, "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": USER_INDEX,
                "KeySchema": [{"AttributeName": USER_ATTRIBUTE, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


# --- DynamoDB's types ------------------------------------------------------------------


def _to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB's typed JSON (what boto3's TypeSerializer makes of them)."""
    return {key: _typed(value) for key, value in values.items()}


def _from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed JSON -> plain Python values; numbers come back as int (or float)."""
    return {key: _untyped(value) for key, value in item.items()}


def _number(value: int | float | Decimal) -> str:
    text = str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"DynamoDB cannot store the number {text}")
    return text


def _typed(value: Any) -> dict[str, Any]:
    # bool before int: True is an int to Python, and must stay a BOOL.
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): _typed(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_typed(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _to_number(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def _untyped(value: Mapping[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "NULL":
        return None
    if kind in ("S", "BOOL", "B"):
        return inner
    if kind == "N":
        return _to_number(inner)
    if kind == "M":
        return {k: _untyped(v) for k, v in inner.items()}
    if kind == "L":
        return [_untyped(v) for v in inner]
    # Sets are never written by this store; read them as sorted lists all the same.
    if kind == "NS":
        return sorted(_to_number(v) for v in inner)
    if kind in ("SS", "BS"):
        return sorted(inner)
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def _quiet_aws_debug_logs() -> None:
    """Keep the AWS libraries' DEBUG records out of the logs unless someone set their level."""
    for name in _CHATTY_LOGGERS:
        chatty = logging.getLogger(name)
        if chatty.level == logging.NOTSET:
            chatty.setLevel(logging.INFO)
