"""Call state in DynamoDB, shared by every process and host of the phone line.

Used when ``PHONE_CALLS_TABLE_NAME`` is set. One item per call, keyed ``call_sid``::

    {"call_sid": "CA...", "caller": "<hash>", "version": 4, "ended": false,
     "state": "<the conversation, as JSON>", "deferred": {}, "turn": "<nonce>",
     "lease": "<token>", "lease_until": 1767225600.25, "expires_at": 1767229200}

and one item per number that PINs were entered for, keyed ``pin#<the number's HMAC>``
(a key no CallSid can have), counting them over a day: ``{"tries": 3, "expires_at": ...}``.

Every change is one conditional request, so the rules of ``skill.channels.phone.calls`` hold
between instances: a claim succeeds only on a live, unleased call of the same caller on the
turn it names; a release or an end only for the lease holder;
``ReturnValuesOnConditionCheckFailure`` says why a condition failed without a second read.
Ended calls keep a tombstone (``ended``, ``caller`` and a long ``expires_at``); DynamoDB's
TTL removes items once ``expires_at`` has passed, and until it does (up to days late) the
conditions treat them as gone. Requests, their retries within a small budget, and the
item's attributes are ``skill.channels.phone.dynamodb_table``'s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from skill import aws
from skill.channels.phone.calls import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_TOMBSTONE_SECONDS,
    DEFAULT_TTL_SECONDS,
    PIN_TRY_WINDOW_SECONDS,
    CallState,
    Claim,
    ClaimStatus,
    LeaseLost,
    Released,
)
from skill.channels.phone.dynamodb_table import (
    CONNECT_TIMEOUT_SECONDS,
    KEY,
    OPERATION_BUDGET_SECONDS,
    READ_TIMEOUT_SECONDS,
    TTL_ATTRIBUTE,
    call,
    client_config,
    create_table,
    dump,
    flag,
    number,
    stamp,
    state_of,
    text,
)

PIN_KEY_PREFIX = "pin#"

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "KEY",
    "OPERATION_BUDGET_SECONDS",
    "READ_TIMEOUT_SECONDS",
    "TTL_ATTRIBUTE",
    "DynamoDbCallStore",
    "client_config",
    "create_table",
]


class DynamoDbCallStore:
    """A ``CallStore`` on a DynamoDB table (key ``call_sid``, TTL on ``expires_at``)."""

    def __init__(
        self,
        table_name: str,
        region: str | None = None,
        *,
        client: Any = None,
        clock: Callable[[], float] = time.time,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        tombstone_seconds: float = DEFAULT_TOMBSTONE_SECONDS,
        budget_seconds: float = OPERATION_BUDGET_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self.region = region
        self.ttl_seconds = ttl_seconds
        self.lease_seconds = lease_seconds
        self.tombstone_seconds = tombstone_seconds
        self.budget_seconds = budget_seconds
        # Made on first use, never at import: a cold start that serves no call pays nothing.
        self._client = aws.LazyClient("dynamodb", region, client_config, client)
        self._clock = clock
        self._sleep = sleep

    @property
    def client(self) -> Any:
        return self._client.get()

    # --- the contract -------------------------------------------------------------------

    def open(self, call_sid: str, state: CallState, lease: str) -> Claim:
        now = self._clock()
        item = {
            KEY: {"S": call_sid},
            "caller": {"S": state.caller},
            "version": {"N": "1"},
            "ended": {"BOOL": False},
            "state": {"S": dump(state)},
            "deferred": {"M": {}},
            "turn": {"S": state.turn},
            "lease": {"S": lease},
            "lease_until": {"N": stamp(now + self.lease_seconds)},
            TTL_ATTRIBUTE: {"N": str(int(now + self.ttl_seconds))},
        }
        try:
            self._call(
                "put_item",
                Item=item,
                ConditionExpression="attribute_not_exists(#key) OR #expires < :now",
                ExpressionAttributeNames={"#key": KEY, "#expires": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": stamp(now)}},
            )
        except aws.AwsCallFailed as failed:
            status = self._refusal(failed.item, state.caller, now)
            if status is not ClaimStatus.BUSY:
                return Claim(status)
            # The same caller's live call, free: Twilio asked for the greeting again.
            return self.claim(call_sid, state.caller, lease)
        opened = CallState.from_dict(state.to_dict())
        opened.version = 1
        return Claim(ClaimStatus.CLAIMED, opened, created=True)

    def claim(self, call_sid: str, caller: str, lease: str, turn: str | None = None) -> Claim:
        now = self._clock()
        condition = (
            "attribute_exists(#key) AND #expires > :now AND #ended = :false "
            "AND #caller = :caller AND (attribute_not_exists(#until) OR #until < :now)"
        )
        names = {
            "#key": KEY,
            "#expires": TTL_ATTRIBUTE,
            "#ended": "ended",
            "#caller": "caller",
            "#lease": "lease",
            "#until": "lease_until",
        }
        values: dict[str, Any] = {
            ":lease": {"S": lease},
            ":until": {"N": stamp(now + self.lease_seconds)},
            ":now": {"N": stamp(now)},
            ":false": {"BOOL": False},
            ":caller": {"S": caller},
        }
        if turn is not None:
            # The turn this webhook names, unless the call names none (a call opened before
            # turns were named).
            condition += " AND (attribute_not_exists(#turn) OR #turn = :empty OR #turn = :turn)"
            names["#turn"] = "turn"
            values[":turn"] = {"S": turn}
            values[":empty"] = {"S": ""}
        try:
            response = self._call(
                "update_item",
                Key={KEY: {"S": call_sid}},
                UpdateExpression="SET #lease = :lease, #until = :until",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except aws.AwsCallFailed as failed:
            status = self._refusal(failed.item, caller, now, turn)
            stale = text(failed.item, "turn") if status is ClaimStatus.STALE else ""
            return Claim(status, turn=stale)
        return Claim(ClaimStatus.CLAIMED, state_of(response.get("Attributes") or {}))

    def release(
        self, call_sid: str, state: CallState, lease: str, consumed: Collection[str] = ()
    ) -> Released:
        now = self._clock()
        names = {
            "#state": "state",
            "#turn": "turn",
            "#version": "version",
            "#expires": TTL_ATTRIBUTE,
            "#lease": "lease",
            "#until": "lease_until",
            "#hung": "hung_up",
        }
        removed = ["#lease", "#until"]
        for i, key in enumerate(sorted(consumed)):
            names["#deferred"] = "deferred"
            names[f"#d{i}"] = key
            removed.append(f"#deferred.#d{i}")
        try:
            self._call(
                "update_item",
                Key={KEY: {"S": call_sid}},
                UpdateExpression=(
                    "SET #state = :state, #turn = :turn, #version = #version + :one, "
                    f"#expires = :expires REMOVE {', '.join(removed)}"
                ),
                ConditionExpression=(
                    "#lease = :lease AND (attribute_not_exists(#hung) OR #hung = :false)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":state": {"S": dump(state)},
                    ":turn": {"S": state.turn},
                    ":one": {"N": "1"},
                    ":expires": {"N": str(int(now + self.ttl_seconds))},
                    ":lease": {"S": lease},
                    ":false": {"BOOL": False},
                },
            )
        except aws.AwsCallFailed as failed:
            if text(failed.item, "lease") == lease and flag(failed.item, "hung_up"):
                return Released(hung_up=True)
            raise LeaseLost(call_sid) from None
        return Released()

    def end(self, call_sid: str, lease: str) -> None:
        now = self._clock()
        try:
            self._call(
                "update_item",
                Key={KEY: {"S": call_sid}},
                UpdateExpression=(
                    "SET #ended = :true, #expires = :expires "
                    "REMOVE #state, #deferred, #turn, #lease, #until, #hung"
                ),
                ConditionExpression="#lease = :lease",
                ExpressionAttributeNames={
                    "#ended": "ended",
                    "#expires": TTL_ATTRIBUTE,
                    "#state": "state",
                    "#deferred": "deferred",
                    "#turn": "turn",
                    "#lease": "lease",
                    "#until": "lease_until",
                    "#hung": "hung_up",
                },
                ExpressionAttributeValues={
                    ":true": {"BOOL": True},
                    ":expires": {"N": str(int(now + self.tombstone_seconds))},
                    ":lease": {"S": lease},
                },
            )
        except aws.AwsCallFailed:
            raise LeaseLost(call_sid) from None

    def defer(self, call_sid: str, caller: str, key: str, entry: Mapping[str, str]) -> bool:
        return self._mark(
            call_sid,
            caller,
            "SET #deferred.#entry = :value",
            {"#deferred": "deferred", "#entry": key},
            {":value": {"S": json.dumps(dict(entry), separators=(",", ":"))}},
        )

    def withdraw(self, call_sid: str, caller: str, key: str) -> bool:
        return self._mark(
            call_sid,
            caller,
            "REMOVE #deferred.#entry",
            {"#deferred": "deferred", "#entry": key},
            {},
        )

    def hang_up(self, call_sid: str, caller: str) -> bool:
        return self._mark(
            call_sid, caller, "SET #hung = :true", {"#hung": "hung_up"}, {":true": {"BOOL": True}}
        )

    def count_pin_try(self, line: str) -> int:
        now = self._clock()
        key = {KEY: {"S": PIN_KEY_PREFIX + line}}
        names = {"#tries": "tries", "#expires": TTL_ATTRIBUTE}
        try:
            # One more try in the window under way...
            response = self._call(
                "update_item",
                Key=key,
                UpdateExpression="ADD #tries :one",
                ConditionExpression="#expires > :now",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"N": stamp(now)}},
                ReturnValues="ALL_NEW",
            )
        except aws.AwsCallFailed:
            # ...or the first of a new one (none yet, or the last one is over).
            self._call(
                "put_item",
                Item={
                    **key,
                    "tries": {"N": "1"},
                    TTL_ATTRIBUTE: {"N": stamp(now + PIN_TRY_WINDOW_SECONDS)},
                },
            )
            return 1
        return int(number(response.get("Attributes") or {}, "tries"))

    # --- for tests and tools --------------------------------------------------------------

    def get(self, call_sid: str) -> CallState | None:
        """The live call's state, or None (unknown, expired or ended)."""
        item = self._item(call_sid)
        if not item or flag(item, "ended") or number(item, TTL_ATTRIBUTE) <= self._clock():
            return None
        return state_of(item)

    def is_ended(self, call_sid: str) -> bool:
        item = self._item(call_sid)
        return bool(item) and flag(item, "ended") and number(item, TTL_ATTRIBUTE) > self._clock()

    def expires_at(self, call_sid: str) -> float | None:
        item = self._item(call_sid)
        return number(item, TTL_ATTRIBUTE) if item else None

    # --- plumbing ---------------------------------------------------------------------------

    def _item(self, call_sid: str) -> dict[str, Any]:
        response = self._call("get_item", Key={KEY: {"S": call_sid}}, ConsistentRead=True)
        return dict(response.get("Item") or {})

    def _mark(
        self,
        call_sid: str,
        caller: str,
        update: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> bool:
        try:
            self._call(
                "update_item",
                Key={KEY: {"S": call_sid}},
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_exists(#key) AND #expires > :now AND #ended = :false "
                    "AND #caller = :caller"
                ),
                ExpressionAttributeNames={
                    **names,
                    "#key": KEY,
                    "#expires": TTL_ATTRIBUTE,
                    "#ended": "ended",
                    "#caller": "caller",
                },
                ExpressionAttributeValues={
                    **values,
                    ":now": {"N": stamp(self._clock())},
                    ":false": {"BOOL": False},
                    ":caller": {"S": caller},
                },
            )
        except aws.AwsCallFailed:
            return False
        return True

    def _refusal(
        self, item: Mapping[str, Any], caller: str, now: float, turn: str | None = None
    ) -> ClaimStatus:
        """Why a condition on a call failed, from the item as it was."""
        if not item or number(item, TTL_ATTRIBUTE) <= now:
            return ClaimStatus.UNKNOWN
        if flag(item, "ended"):
            return ClaimStatus.ENDED
        if text(item, "caller") != caller:
            return ClaimStatus.STRANGER
        if turn is not None and text(item, "turn") and text(item, "turn") != turn:
            return ClaimStatus.STALE
        return ClaimStatus.BUSY

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        return call(
            self._client, self.table_name, self.budget_seconds, self._sleep, operation, **kwargs
        )
