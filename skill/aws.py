"""What every AWS client of the skill shares: made lazily, errors mapped, items typed.

Three parts of the skill talk to AWS: the progress store (``skill.store.dynamodb``), the
phone line's call store (``skill.channels.phone.dynamodb_calls``) and its token in SSM
(``skill.channels.phone.parameters``). They share what is here:

* ``LazyClient``: a botocore client made on first use, never at import or construction, on
  a botocore session of its own (a shared default session is not thread-safe). Nothing
  here imports botocore until then: the Lambda's cold start stays short, and a machine
  with no AWS setup can import the skill. The client comes straight from botocore: boto3
  adds nothing used here, and importing it (with s3transfer) costs a cold start 30-40 ms
  (bench/README.md).
* ``client_config``: short timeouts and botocore's own retries limited, since the callers
  retry within the time they know they have (``skill.retry``).
* ``call``: one client call whose botocore errors become ``AwsCallFailed``, with the error
  code and whether another try may help. Its message names the operation and the code
  only: a botocore message may quote keys, and these messages go to the logs.
* ``to_item`` and ``from_item``: plain Python values to DynamoDB's typed JSON and back.
* ``quiet_debug_logs``: botocore logs whole request and response bodies at DEBUG (user
  IDs, progress, conversation state); SKILL_LOG_LEVEL=DEBUG must not put those in logs.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config

_CHATTY_LOGGERS = ("botocore", "boto3", "urllib3")
# Error codes worth another try within a budget; anything else (a missing table, a denied
# action, a failed condition) will not get better in a second.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)


def client_config(connect: float, read: float, attempts: int) -> Config:
    """botocore settings: these timeouts, and ``attempts`` tries per call in all."""
    from botocore.config import Config

    return Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )


class LazyClient:
    """A botocore client for ``service``, created on first use with ``config()``."""

    def __init__(self, service: str, region: str | None, config: Any, client: Any = None) -> None:
        self.service = service
        self.region = region
        self._config = config  # () -> botocore Config, called once, on first use
        self._client = client
        self._lock = threading.Lock()
        quiet_debug_logs()

    @property
    def made(self) -> bool:
        """Whether the client exists yet (botocore is imported only to make it)."""
        return self._client is not None

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from botocore.session import Session

                    self._client = Session().create_client(
                        self.service, region_name=self.region, config=self._config()
                    )
        return self._client


class AwsCallFailed(Exception):
    """A call that failed: ``code`` is AWS's error code (``unknown`` when no answer came),
    ``problem`` the code or the kind of failure (``ReadTimeoutError``), ``detail`` AWS's
    message (kept out of ``str()``), ``item`` what a failed condition found (when asked)."""

    def __init__(
        self,
        service: str,
        operation: str,
        code: str,
        *,
        problem: str | None = None,
        detail: str = "",
        retryable: bool = False,
        item: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.problem = problem or code
        self.detail = detail
        self.retryable = retryable
        self.item = dict(item or {})
        super().__init__(f"{service} {operation} failed: {self.problem}")


def call(client: Any, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
    """``client.<operation>(**kwargs)``; botocore's errors become ``AwsCallFailed``, those
    of making a ``LazyClient``'s client (no region, say) included."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        target = client.get() if isinstance(client, LazyClient) else client
        response: dict[str, Any] = getattr(target, operation)(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        raise AwsCallFailed(
            service,
            operation,
            code,
            detail=str(error.get("Message", "")),
            retryable=code in RETRYABLE_CODES or status >= 500,
            item=exc.response.get("Item"),
        ) from exc
    except BotoCoreError as exc:
        # Timeouts, unreachable endpoints, a missing region or credentials.
        name = type(exc).__name__
        raise AwsCallFailed(
            service,
            operation,
            "unknown",
            problem=name,
            retryable="Timeout" in name or "Connect" in name,
        ) from exc
    return response


def quiet_debug_logs() -> None:
    """Keep the AWS libraries' DEBUG records out of the logs unless someone set their level."""
    for name in _CHATTY_LOGGERS:
        chatty = logging.getLogger(name)
        if chatty.level == logging.NOTSET:
            chatty.setLevel(logging.INFO)


def create_table(
    client: Any,
    table_name: str,
    key: str,
    *,
    ttl_attribute: str | None = None,
    index: tuple[str, str] | None = None,
) -> None:
    """A pay-per-request table keyed by the string ``key``, with TTL on ``ttl_attribute`` and
    a keys-only index (name, string attribute) when given. For tests and local DynamoDB:
    in AWS the stack creates the tables (infra/template.yaml), and the functions' roles
    may not."""
    attributes = [{"AttributeName": key, "AttributeType": "S"}]
    extra: dict[str, Any] = {}
    if index is not None:
        name, attribute = index
        attributes.append({"AttributeName": attribute, "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ]
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=attributes,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        **extra,
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    if ttl_attribute is not None:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )


# --- DynamoDB's types ------------------------------------------------------------------


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB's typed JSON (what boto3's TypeSerializer makes of them)."""
    return {key: _typed(value) for key, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
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
    # Sets are never written by the skill; read them as sorted lists all the same.
    if kind == "NS":
        return sorted(_to_number(v) for v in inner)
    if kind in ("SS", "BS"):
        return sorted(inner)
    raise ValueError(f"unknown DynamoDB type {kind!r}")
