"""Call state in DynamoDB, shared by every process and host of the phone line.

Used when ``PHONE_CALLS_TABLE_NAME`` is set. One item per call, keyed ``call_sid``::

    {"call_sid": "CA...", "caller": "<hash>", "version": 4, "ended": false,
     "state": "<the conversation, as JSON>", "deferred": {},
     "lease": "<token>", "lease_until": 1767225600.25, "expires_at": 1767229200}

Every change is one conditional request, so the rules of ``skill.channels.phone.calls`` hold
between instances: a claim succeeds only on a live, unleased call of the same caller; a release
or an end only for the lease holder; ``ReturnValuesOnConditionCheckFailure`` says why a
condition failed without a second read. Ended calls keep a tombstone (``ended``, ``caller`` and
a long ``expires_at``); DynamoDB's TTL removes items once ``expires_at`` has passed, and until
it does (up to days late) the conditions treat them as gone.

Twilio waits 15 seconds for a webhook's answer. A request here that takes a second is failing,
so attempts time out fast and are retried with backoff (``skill.retry``) only within a small
budget per operation; then ``CallStoreUnavailable`` lets the webhook answer the caller
instead. The client, its errors and the backoff are those every AWS client of the skill
shares (``skill.aws``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from skill import aws
from skill.channels.phone.calls import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_TOMBSTONE_SECONDS,
    DEFAULT_TTL_SECONDS,
    CallState,
    CallStoreUnavailable,
    Claim,
    ClaimStatus,
    LeaseLost,
    Released,
)
from skill.retry import Backoff, retry

logger = logging.getLogger(__name__)

KEY = "call_sid"
TTL_ATTRIBUTE = "expires_at"

# One attempt: connect and read timeouts (botocore's own retries are off: ours know the
# budget). A healthy table answers in milliseconds.
CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
# Retries stop being started once an operation has used this much time; the worst case of
# one operation is this plus one attempt. A webhook makes at most three such operations
# around the skill's own turn, and all of it stays within Twilio's 15 seconds.
OPERATION_BUDGET_SECONDS = 2.0
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 0.5

_CONDITION_FAILED = "ConditionalCheckFailedException"


def client_config() -> Any:
    return aws.client_config(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, 1)


def create_table(client: Any, table_name: str) -> None:
    """The table as infra/template.yaml declares it (tests and local DynamoDB only)."""
    aws.create_table(client, table_name, KEY, ttl_attribute=TTL_ATTRIBUTE)


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
            "state": {"S": _dump(state)},
            "deferred": {"M": {}},
            "lease": {"S": lease},
            "lease_until": {"N": _time(now + self.lease_seconds)},
            TTL_ATTRIBUTE: {"N": str(int(now + self.ttl_seconds))},
        }
        try:
            self._call(
                "put_item",
                Item=item,
                ConditionExpression="attribute_not_exists(#key) OR #expires < :now",
                ExpressionAttributeNames={"#key": KEY, "#expires": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": _time(now)}},
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

    def claim(self, call_sid: str, caller: str, lease: str) -> Claim:
        now = self._clock()
        try:
            response = self._call(
                "update_item",
                Key={KEY: {"S": call_sid}},
                UpdateExpression="SET #lease = :lease, #until = :until",
                ConditionExpression=(
                    "attribute_exists(#key) AND #expires > :now AND #ended = :false "
                    "AND #caller = :caller AND (attribute_not_exists(#until) OR #until < :now)"
                ),
                ExpressionAttributeNames={
                    "#key": KEY,
                    "#expires": TTL_ATTRIBUTE,
                    "#ended": "ended",
                    "#caller": "caller",
                    "#lease": "lease",
                    "#until": "lease_until",
                },
                ExpressionAttributeValues={
                    ":lease": {"S": lease},
                    ":until": {"N": _time(now + self.lease_seconds)},
                    ":now": {"N": _time(now)},
                    ":false": {"BOOL": False},
                    ":caller": {"S": caller},
                },
                ReturnValues="ALL_NEW",
            )
        except aws.AwsCallFailed as failed:
            return Claim(self._refusal(failed.item, caller, now))
        return Claim(ClaimStatus.CLAIMED, _state(response.get("Attributes") or {}))

    def release(
        self, call_sid: str, state: CallState, lease: str, consumed: Collection[str] = ()
    ) -> Released:
        now = self._clock()
        names = {
            "#state": "state",
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
                    "SET #state = :state, #version = #version + :one, #expires = :expires "
                    f"REMOVE {', '.join(removed)}"
                ),
                ConditionExpression=(
                    "#lease = :lease AND (attribute_not_exists(#hung) OR #hung = :false)"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":state": {"S": _dump(state)},
                    ":one": {"N": "1"},
                    ":expires": {"N": str(int(now + self.ttl_seconds))},
                    ":lease": {"S": lease},
                    ":false": {"BOOL": False},
                },
            )
        except aws.AwsCallFailed as failed:
            if _text(failed.item, "lease") == lease and _flag(failed.item, "hung_up"):
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
                    "REMOVE #state, #deferred, #lease, #until, #hung"
                ),
                ConditionExpression="#lease = :lease",
                ExpressionAttributeNames={
                    "#ended": "ended",
                    "#expires": TTL_ATTRIBUTE,
                    "#state": "state",
                    "#deferred": "deferred",
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

    def hang_up(self, call_sid: str, caller: str) -> bool:
        return self._mark(
            call_sid, caller, "SET #hung = :true", {"#hung": "hung_up"}, {":true": {"BOOL": True}}
        )

    # --- for tests and tools --------------------------------------------------------------

    def get(self, call_sid: str) -> CallState | None:
        """The live call's state, or None (unknown, expired or ended)."""
        item = self._item(call_sid)
        if not item or _flag(item, "ended") or _number(item, TTL_ATTRIBUTE) <= self._clock():
            return None
        return _state(item)

    def is_ended(self, call_sid: str) -> bool:
        item = self._item(call_sid)
        return bool(item) and _flag(item, "ended") and _number(item, TTL_ATTRIBUTE) > self._clock()

    def expires_at(self, call_sid: str) -> float | None:
        item = self._item(call_sid)
        return _number(item, TTL_ATTRIBUTE) if item else None

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
                    ":now": {"N": _time(self._clock())},
                    ":false": {"BOOL": False},
                    ":caller": {"S": caller},
                },
            )
        except aws.AwsCallFailed:
            return False
        return True

    def _refusal(self, item: Mapping[str, Any], caller: str, now: float) -> ClaimStatus:
        """Why a condition on a call failed, from the item as it was."""
        if not item or _number(item, TTL_ATTRIBUTE) <= now:
            return ClaimStatus.UNKNOWN
        if _flag(item, "ended"):
            return ClaimStatus.ENDED
        if _text(item, "caller") != caller:
            return ClaimStatus.STRANGER
        return ClaimStatus.BUSY

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One request, retried with backoff while the budget lasts.

        Conditional writes ask for the item as it was when their condition fails, so a
        refusal costs no second read. Errors are logged by operation and code only: a
        botocore message may quote keys.
        """
        if operation in {"put_item", "update_item"} and "ConditionExpression" in kwargs:
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        started = time.monotonic()
        slept = [0.0]  # counted too, for a sleep that is not the wall clock's (tests)
        attempts = [0]

        def attempt() -> dict[str, Any]:
            attempts[0] += 1
            return aws.call(
                self._client, "dynamodb", operation, TableName=self.table_name, **kwargs
            )

        def room(pause: float) -> bool:
            return max(time.monotonic() - started, slept[0]) + pause <= self.budget_seconds

        def sleep(pause: float) -> None:
            self._sleep(pause)
            slept[0] += pause

        try:
            return retry(
                attempt,
                again=lambda exc: isinstance(exc, aws.AwsCallFailed) and exc.retryable,
                backoff=Backoff(FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS),
                room=room,
                sleep=sleep,
            )
        except aws.AwsCallFailed as failed:
            if failed.code == _CONDITION_FAILED:
                raise  # the item as it was is ``failed.item``
            logger.warning(
                "phone call store: dynamodb %s failed after %d attempt(s): %s",
                operation,
                attempts[0],
                failed.problem,
            )
            raise CallStoreUnavailable(f"dynamodb {operation} failed: {failed.problem}") from None


def _time(seconds: float) -> str:
    return f"{seconds:.3f}"


def _dump(state: CallState) -> str:
    # One string attribute rather than a typed map: nothing to convert either way, and the
    # conversation is only ever read whole.
    return json.dumps(state.to_dict(), separators=(",", ":"), ensure_ascii=False)


def _text(item: Mapping[str, Any], name: str) -> str:
    return str((item.get(name) or {}).get("S") or "")


def _flag(item: Mapping[str, Any], name: str) -> bool:
    return bool((item.get(name) or {}).get("BOOL"))


def _number(item: Mapping[str, Any], name: str) -> float:
    value = (item.get(name) or {}).get("N")
    return float(value) if value is not None else 0.0


def _state(item: Mapping[str, Any]) -> CallState:
    state = CallState.from_dict(json.loads(_text(item, "state") or "{}"))
    state.version = int(_number(item, "version"))
    deferred = (item.get("deferred") or {}).get("M") or {}
    state.deferred = {key: json.loads(value["S"]) for key, value in deferred.items()}
    return state
