"""The Twilio auth token from an SSM Parameter Store SecureString, read once per process.

On Lambda the token must not sit in the function's environment (the console shows it to
anyone who may read the configuration), so infra/template.yaml gives the function the
parameter's *name* (``TWILIO_AUTH_TOKEN_PARAMETER``) and a role that may read that parameter
only. The value is fetched on the first webhook and kept for a few minutes, so a rotated
token reaches warm processes soon after it is put in the parameter; a failed fetch is not
kept, so the next webhook tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# Within Twilio's 15 seconds, with room for the turn itself.
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
TOTAL_ATTEMPTS = 2
MAX_AGE_SECONDS = 300.0
# A value that fails (a signature that does not check) may be read again this soon: a token
# just rotated takes effect at once, and bad requests cannot make every webhook read SSM.
RECHECK_AFTER_SECONDS = 30.0

_lock = threading.Lock()
_values: dict[tuple[str, str | None], tuple[float, str]] = {}


class ParameterUnavailable(Exception):
    """The parameter could not be read (the message names the error code only)."""


def ssm_parameter(
    name: str,
    region: str | None = None,
    *,
    client: Any = None,
    clock: Callable[[], float] = time.monotonic,
    max_age: float = MAX_AGE_SECONDS,
) -> str:
    """The decrypted value of the SecureString ``name``, read again once ``max_age`` old."""
    key = (name, region)
    with _lock:
        kept = _values.get(key)
    if kept is not None and clock() - kept[0] < max_age:
        return kept[1]
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if client is None:
            from botocore.config import Config
            from botocore.session import Session

            config = Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
            )
            client = Session().create_client("ssm", region_name=region, config=config)
        response = client.get_parameter(Name=name, WithDecryption=True)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "unknown")
        raise ParameterUnavailable(f"ssm get_parameter failed: {code}") from None
    except BotoCoreError as exc:
        raise ParameterUnavailable(f"ssm get_parameter failed: {type(exc).__name__}") from None
    value = str(response.get("Parameter", {}).get("Value") or "")
    if not value:
        raise ParameterUnavailable("ssm parameter is empty")
    with _lock:
        _values[key] = (clock(), value)
    return value


def forget() -> None:
    """Drop the kept values (tests; or after rotating the token, short of a new process)."""
    with _lock:
        _values.clear()
