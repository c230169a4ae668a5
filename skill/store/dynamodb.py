"""The AWS store: one DynamoDB item per person, used when SKILL_TABLE_NAME is set.

An item looks like::

    {"id": "<userId>[#person#<personId>]", "user_id": "<userId>", "version": 3,
     "attributes": {...Progress.to_dict() without "revision"...}, "expires_at": 1767225600}

``version`` is what optimistic locking compares (it comes back to the skill as
"revision"), and ``expires_at`` lets DynamoDB's TTL drop the progress of people who
stopped coming. "Forget my progress" replaces the attributes with ``forgotten_at``
(skill.store.base) and a short expiry.

The table needs only its key, ``id`` (a string): the layout of ask-sdk's own DynamoDB
adapter, which operators often reuse. So that an account can be deleted whole without a
scan, the account keeps the keys of its people's items in one more item,
``"<userId>#people"`` (``people``, a string set), written before a person's item is. A
``by_user`` index on ``user_id``, as infra/template.yaml declares, is used too when the
table has it (it finds items written before that list existed).

Nothing here touches AWS, or even imports botocore, until the first read or write: the
client, its errors and DynamoDB's typed values are ``skill.aws``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from skill import aws
from skill.aws import from_item, to_item
from skill.store.base import (
    ATTRIBUTES_FIELD,
    FORGET_MARKER_SECONDS,
    FORGOTTEN_AT,
    PARTITION_KEY,
    TTL_ATTRIBUTE,
    TTL_SECONDS,
    USER_ATTRIBUTE,
    USER_INDEX,
    VERSION_ATTRIBUTE,
    ConflictError,
    StorageError,
    account_of,
)

if TYPE_CHECKING:
    from botocore.config import Config

# Alexa gives a skill 8 seconds to answer and the Lambda is stopped at 7
# (infra/template.yaml). A healthy DynamoDB answers in milliseconds, so a call that takes
# a second is failing: give up early. botocore does not retry: the turn does, with backoff,
# as long as its time allows one more call at its slowest (skill.service.budget), and then
# answers from the session and saves later (skill.service.keeping).
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 1.0
# Total tries per botocore call, the first one included: retries belong to the turn,
# which knows how much time it has left.
TOTAL_ATTEMPTS = 1

# The item that lists the keys of an account's people, and its attribute.
PEOPLE_SUFFIX = "#people"
PEOPLE_ATTRIBUTE = "people"

_CONFLICT_CODE = "ConditionalCheckFailedException"
# What a query on an index the table lacks fails with: DynamoDB says ValidationException
# ("The table does not have the specified index"), moto ResourceNotFoundException.
_NO_INDEX_CODES = frozenset({"ValidationException", "ResourceNotFoundException"})


class DynamoDbError(StorageError):
    """A failed call, with DynamoDB's error code (``unknown`` when there was no answer)
    and its message (kept out of ``str()``: it may quote keys, and that goes to logs)."""

    def __init__(self, message: str, code: str, detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail


def client_config() -> Config:
    """The botocore settings every client of the store uses: short timeouts, one try."""
    return aws.client_config(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, TOTAL_ATTEMPTS)


class DynamoDbProgressStore:
    """Progress in a DynamoDB table, with the same contract as ``SqliteProgressStore``:
    conditional writes on the item's version, an expiry time, and per-person keys.

    ``client`` is a DynamoDB client (boto3's or botocore's, they are the same); without
    one, a client is made on first use for ``region`` (or the region the environment
    configures).
    """

    slowest_call_seconds = TOTAL_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)

    def __init__(
        self,
        table_name: str,
        region: str | None = None,
        *,
        client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self._has_index: bool | None = None  # whether the table has USER_INDEX, once known
        self.region = region
        if hasattr(client, "Table"):
            # A resource's client converts plain Python values itself, and would mangle
            # the typed values this store sends.
            raise TypeError("pass a boto3 DynamoDB client, not a resource")
        self._client = aws.LazyClient("dynamodb", region, client_config, client)
        self._clock = clock

    @property
    def client(self) -> Any:
        """The client, created on first use (never at import or construction)."""
        return self._client.get()

    # --- the contract -----------------------------------------------------------------

    def read(self, key: str) -> dict[str, Any]:
        response = self._call(
            "get_item",
            TableName=self.table_name,
            Key={PARTITION_KEY: {"S": key}},
            # A strongly consistent read: after a conflict, the re-read must see the
            # version that beat us, or the retry would conflict again.
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return {}
        data = from_item(item)
        expires = data.get(TTL_ATTRIBUTE)
        if expires is not None and expires < self._clock():
            # TTL deletion runs up to days late; an expired item is gone already.
            return {}
        revision = int(data.get(VERSION_ATTRIBUTE) or 0)
        if data.get(FORGOTTEN_AT) is not None:
            return {"revision": revision, FORGOTTEN_AT: int(data[FORGOTTEN_AT])}
        attributes: dict[str, Any] = dict(data.get(ATTRIBUTES_FIELD) or {})
        attributes["revision"] = revision
        return attributes

    def write(self, key: str, attributes: dict[str, Any]) -> None:
        """Write if the stored version is still the one we read; else ``ConflictError``."""
        expected = int(attributes.get("revision") or 0)
        now = int(self._clock())
        user = account_of(key)
        if key != user:
            # Listed first: a person's item the account cannot find could not be deleted
            # with it. Every save renews the list's expiry, so it outlives the items.
            self._call(
                "update_item",
                TableName=self.table_name,
                Key={PARTITION_KEY: {"S": user + PEOPLE_SUFFIX}},
                UpdateExpression="ADD #people :key SET #user = :user, #expires = :expires",
                ExpressionAttributeNames={
                    "#people": PEOPLE_ATTRIBUTE,
                    "#user": USER_ATTRIBUTE,
                    "#expires": TTL_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":key": {"SS": [key]},
                    ":user": {"S": user},
                    ":expires": {"N": str(now + TTL_SECONDS)},
                },
            )
        item = {
            PARTITION_KEY: key,
            USER_ATTRIBUTE: user,
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
            Item=to_item(item),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
        )

    def forget(self, key: str, when: int) -> None:
        """Forget the speaker's progress, leaving the marker that later saves respect."""
        now = int(self._clock())
        self._call(
            "update_item",
            TableName=self.table_name,
            Key={PARTITION_KEY: {"S": key}},
            UpdateExpression="SET #version = if_not_exists(#version, :zero) + :one,"
            " #forgotten = :when, #expires = :expires, #user = :user REMOVE #attributes",
            ExpressionAttributeNames={
                "#version": VERSION_ATTRIBUTE,
                "#forgotten": FORGOTTEN_AT,
                "#expires": TTL_ATTRIBUTE,
                "#user": USER_ATTRIBUTE,
                "#attributes": ATTRIBUTES_FIELD,
            },
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":when": {"N": str(when)},
                ":expires": {"N": str(now + FORGET_MARKER_SECONDS)},
                ":user": {"S": account_of(key)},
            },
        )

    def delete_user(self, user_id: str) -> None:
        """Delete the account's item, every person's item in it, and the list of them.

        The people are found in the account's list, and in the ``by_user`` index when the
        table has one (read page by page). The list goes last: a delete that fails half
        way leaves it, so that the next try still finds what is left.
        """
        people_key = user_id + PEOPLE_SUFFIX
        listed = (
            self._call(
                "get_item",
                TableName=self.table_name,
                Key={PARTITION_KEY: {"S": people_key}},
                ConsistentRead=True,
            ).get("Item")
            or {}
        )
        keys = set(listed.get(PEOPLE_ATTRIBUTE, {}).get("SS", []))
        keys.update(self._indexed_keys(user_id))
        keys -= {user_id, people_key}
        # One DeleteItem per key: the role may not BatchWriteItem, and an account has a
        # handful of items (one per recognised person).
        for key in [*sorted(keys), user_id, people_key]:
            self._delete_key(key)

    def _indexed_keys(self, user_id: str) -> set[str]:
        """Keys of the account's items in the ``by_user`` index; none without the index."""
        keys: set[str] = set()
        if self._has_index is False:
            return keys
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
            try:
                page = self._call("query", **kwargs)
            except DynamoDbError as exc:
                missing = exc.code in _NO_INDEX_CODES and "index" in exc.detail.lower()
                if not missing or start is not None:
                    raise
                # "The table does not have the specified index": the list alone will do.
                self._has_index = False
                return keys
            self._has_index = True
            keys.update(item[PARTITION_KEY]["S"] for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return keys

    # --- plumbing ---------------------------------------------------------------------

    def _delete_key(self, key: str) -> None:
        self._call("delete_item", TableName=self.table_name, Key={PARTITION_KEY: {"S": key}})

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One client call; its failures become the store's errors (``skill.aws.call``)."""
        try:
            return aws.call(self._client, "dynamodb", operation, **kwargs)
        except aws.AwsCallFailed as failed:
            cause = failed.__cause__  # botocore's own error
            if failed.code == _CONFLICT_CODE:
                raise ConflictError("progress changed since it was read") from cause
            raise DynamoDbError(str(failed), failed.code, failed.detail) from cause


def create_plain_table(client: Any, table_name: str) -> None:
    """A table with the key ``id`` and nothing else: what ask-sdk's own DynamoDB adapter
    creates, and what the store must work with too (tests, an operator's old table)."""
    aws.create_table(client, table_name, PARTITION_KEY)


def create_table(client: Any, table_name: str) -> None:
    """Create the table as infra/template.yaml declares it, for tests and local DynamoDB.
    tests/test_dynamodb.py checks that this agrees with the template."""
    index = (USER_INDEX, USER_ATTRIBUTE)
    aws.create_table(client, table_name, PARTITION_KEY, ttl_attribute=TTL_ATTRIBUTE, index=index)
