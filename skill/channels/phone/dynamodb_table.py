"""The DynamoDB side of the phone line's call store: the table, one request with its
retries, and the item's attributes (``skill.channels.phone.dynamodb_calls`` holds the
store's rules on top of these).

Twilio waits 15 seconds for a webhook's answer. A request here that takes a second is
failing, so attempts time out fast and are retried with backoff (``skill.retry``) only
within a small budget per operation; then ``CallStoreUnavailable`` lets the webhook answer
the caller instead.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from skill import aws
from skill.channels.phone.calls import CallState, CallStoreUnavailable
from skill.retry import Backoff, retry

logger = logging.getLogger("skill.channels.phone.dynamodb_calls")

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

CONDITION_FAILED = "ConditionalCheckFailedException"


def client_config() -> Any:
    return aws.client_config(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, 1)


def create_table(client: Any, table_name: str) -> None:
    """The table as infra/template.yaml declares it (tests and local DynamoDB only)."""
    aws.create_table(client, table_name, KEY, ttl_attribute=TTL_ATTRIBUTE)


def call(
    client: aws.LazyClient,
    table_name: str,
    budget_seconds: float,
    pause: Callable[[float], None],
    operation: str,
    **kwargs: Any,
) -> dict[str, Any]:
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
        return aws.call(client, "dynamodb", operation, TableName=table_name, **kwargs)

    def room(wait: float) -> bool:
        return max(time.monotonic() - started, slept[0]) + wait <= budget_seconds

    def sleep(wait: float) -> None:
        pause(wait)
        slept[0] += wait

    try:
        return retry(
            attempt,
            again=lambda exc: isinstance(exc, aws.AwsCallFailed) and exc.retryable,
            backoff=Backoff(FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS),
            room=room,
            sleep=sleep,
        )
    except aws.AwsCallFailed as failed:
        if failed.code == CONDITION_FAILED:
            raise  # the item as it was is ``failed.item``
        logger.warning(
            "phone call store: dynamodb %s failed after %d attempt(s): %s",
            operation,
            attempts[0],
            failed.problem,
        )
        raise CallStoreUnavailable(f"dynamodb {operation} failed: {failed.problem}") from None


def stamp(seconds: float) -> str:
    return f"{seconds:.3f}"


def dump(state: CallState) -> str:
    # One string attribute rather than a typed map: nothing to convert either way, and the
    # conversation is only ever read whole.
    return json.dumps(state.to_dict(), separators=(",", ":"), ensure_ascii=False)


def text(item: Mapping[str, Any], name: str) -> str:
    return str((item.get(name) or {}).get("S") or "")


def flag(item: Mapping[str, Any], name: str) -> bool:
    return bool((item.get(name) or {}).get("BOOL"))


def number(item: Mapping[str, Any], name: str) -> float:
    value = (item.get(name) or {}).get("N")
    return float(value) if value is not None else 0.0


def state_of(item: Mapping[str, Any]) -> CallState:
    state = CallState.from_dict(json.loads(text(item, "state") or "{}"))
    state.version = int(number(item, "version"))
    deferred = (item.get("deferred") or {}).get("M") or {}
    state.deferred = {key: json.loads(value["S"]) for key, value in deferred.items()}
    return state
