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
so attempts time out fast and are retried with backoff only within a small budget per
operation; then ``CallStoreUnavailable`` lets the webhook answer the caller instead.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

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
# Worth another try within the budget; anything else (a missing table, a denied action)
# will not get better in a second.
_RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
_CHATTY_LOGGERS = ("botocore", "urllib3")


def client_config() -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )


def create_table(client: Any, table_name: str) -> None:
    """The table as infra/template.yaml declares it (tests and local DynamoDB only)."""
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


class _ConditionFailed(Exception):
    def __init__(self, item: Mapping[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.item = dict(item or {})


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
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        for name in _CHATTY_LOGGERS:
            # botocore's DEBUG records hold whole items: conversation state.
            chatty = logging.getLogger(name)
            if chatty.level == logging.NOTSET:
                chatty.setLevel(logging.INFO)

    @property
    def client(self) -> Any:
        """Made on first use, never at import: a cold start that serves no call pays nothing."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from botocore.session import Session

                    self._client = Session().create_client(
                        "dynamodb", region_name=self.region, config=client_config()
                    )
        return self._client

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
        except _ConditionFailed as failed:
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
        except _ConditionFailed as failed:
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
        except _ConditionFailed as failed:
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
        except _ConditionFailed:
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
        except _ConditionFailed:
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
        from botocore.exceptions import BotoCoreError, ClientError

        if operation in {"put_item", "update_item"} and "ConditionExpression" in kwargs:
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        started = time.monotonic()
        slept = 0.0  # counted too, for a sleep that is not the wall clock's (tests)
        backoff = FIRST_BACKOFF_SECONDS
        attempt = 0
        while True:
            attempt += 1
            try:
                response: dict[str, Any] = getattr(self.client, operation)(
                    TableName=self.table_name, **kwargs
                )
                return response
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", "unknown"))
                if code == _CONDITION_FAILED:
                    raise _ConditionFailed(exc.response.get("Item")) from None
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
                retryable = code in _RETRYABLE or status >= 500
                problem = code
            except BotoCoreError as exc:
                # Timeouts, refused connections, a missing region or credentials.
                retryable = "Timeout" in type(exc).__name__ or "Connect" in type(exc).__name__
                problem = type(exc).__name__
            pause = backoff * (0.5 + random.random() / 2)  # jitter: instances do not sync up
            used = max(time.monotonic() - started, slept)
            if not retryable or used + pause > self.budget_seconds:
                logger.warning(
                    "phone call store: dynamodb %s failed after %d attempt(s): %s",
                    operation,
                    attempt,
                    problem,
                )
                raise CallStoreUnavailable(f"dynamodb {operation} failed: {problem}")
            self._sleep(pause)
            slept += pause
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


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
