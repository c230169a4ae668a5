"""The phone line's settings within a Flask app: its config keys, the environment behind
them, the Twilio token (from the environment or SSM), and what the app holds (the call
store, the turn service).

Keys of the app's config that the phone line reads. Some fall back to the environment
(skill.config: TWILIO_AUTH_TOKEN or TWILIO_AUTH_TOKEN_PARAMETER, PUBLIC_BASE_URL,
PHONE_CALLS_TABLE_NAME, PHONE_CALLER_PEPPER or PHONE_CALLER_PEPPER_PARAMETER,
PHONE_CARRY_PROGRESS); the rest are config only.

Where the line runs (a Twilio token is configured) it needs its pepper: an app without one
refuses to start (``configuration_problem``). Only the unsigned development line
(``PHONE_ALLOW_UNSIGNED``, without a token) goes without, on a fixed development pepper.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flask import current_app

from skill.channels.phone.calls import CallStore, MemoryCallStore
from skill.channels.phone.twiml import DEFAULT_LOCALE

if TYPE_CHECKING:
    from skill.service.turns import TurnService

CONFIG_TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
CONFIG_PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
CONFIG_CALLS_TABLE_NAME = "PHONE_CALLS_TABLE_NAME"
CONFIG_ALLOW_UNSIGNED = "PHONE_ALLOW_UNSIGNED"  # development only, and only without a token
# Host names an unsigned (development) line answers besides this machine's; the web app's.
CONFIG_DEV_HOSTS = "DEV_HOSTS"
CONFIG_LOCALE = "PHONE_LOCALE"  # force one locale; default: from the number that was called
CONFIG_VOICE = "PHONE_VOICE"  # force one Polly voice, e.g. "Polly.Joanna"
CONFIG_CALL_STORE = "PHONE_CALL_STORE"  # a skill.channels.phone.calls.CallStore
CONFIG_CALLER_PEPPER = "PHONE_CALLER_PEPPER"  # the secret of every hash of a number
CONFIG_CARRY = "PHONE_CARRY_PROGRESS"  # "pin" (default): with a PIN; "off": never
CONFIG_BUSY_WAIT = "PHONE_BUSY_WAIT_SECONDS"  # how long a turn waits for a busy call
# The turn service the calls talk to (skill.service.turns.TurnService); default: the
# process's, on the skill's store (skill.service.factory), as the Alexa endpoint's.
CONFIG_TURN_SERVICE = "PHONE_TURN_SERVICE"

# A turn takes well under a second, so a call busy for longer is stuck; within Twilio's 15 s
# this leaves the skill and the store their own time budgets.
BUSY_WAIT_SECONDS = 3.0

# The number that was called decides the line's English: a UK number gets a UK voice.
COUNTRY_LOCALES: dict[str, str] = {
    "US": "en-US",
    "CA": "en-CA",
    "GB": "en-GB",
    "AU": "en-AU",
    "IN": "en-IN",
}

_FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
CARRY_MODES = frozenset({"pin", "off"})
MIN_PEPPER_CHARS = 16
# Only ever for the unsigned development line: anyone may read it here.
DEVELOPMENT_PEPPER = "ally-coach development pepper, never for a real line"
_EXTENSION = "ally_coach_phone_calls"
_store_lock = threading.Lock()


class TokenUnavailable(Exception):
    """A token is configured (as an SSM parameter) but could not be read just now."""


class SecretUnavailable(TokenUnavailable):
    """The pepper is configured as an SSM parameter but could not be read (or is too short)."""


class PhoneLineMisconfigured(RuntimeError):
    """The phone line would run without what it needs: the app must not start."""


def flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


def setting(key: str) -> str | None:
    """A config key of the app, else its environment variable via skill.config."""
    if key in current_app.config:
        return str(current_app.config[key] or "") or None
    from skill.config import get_settings

    settings = get_settings()
    value = {
        CONFIG_TWILIO_AUTH_TOKEN: settings.twilio_auth_token,
        CONFIG_PUBLIC_BASE_URL: settings.public_base_url,
        CONFIG_CALLS_TABLE_NAME: settings.phone_calls_table_name,
        CONFIG_CALLER_PEPPER: settings.phone_caller_pepper,
        CONFIG_CARRY: settings.phone_carry_progress,
    }.get(key)
    return value or None


def configuration_problem(config: Mapping[str, object]) -> str | None:
    """What stops an app with these config keys (and this environment) from running the
    phone line, or None. A line with a Twilio token needs its pepper; the carry mode must
    be one the line knows."""
    from skill.config import get_settings

    settings = get_settings()
    carry = config.get(CONFIG_CARRY) if CONFIG_CARRY in config else settings.phone_carry_progress
    if carry and str(carry).strip().lower() not in CARRY_MODES:
        return f"{CONFIG_CARRY} must be one of {', '.join(sorted(CARRY_MODES))}, not {carry!r:.40}"
    if CONFIG_TWILIO_AUTH_TOKEN in config:
        token = bool(config[CONFIG_TWILIO_AUTH_TOKEN])
    else:
        token = bool(settings.twilio_auth_token or settings.twilio_auth_token_parameter)
    if not token:
        return None  # every request is refused, or it is the unsigned development line
    if CONFIG_CALLER_PEPPER in config:
        pepper_value = str(config[CONFIG_CALLER_PEPPER] or "")
    else:
        pepper_value = settings.phone_caller_pepper or ""
        if not pepper_value and settings.phone_caller_pepper_parameter:
            return None  # read on the first webhook, and checked then
    if len(pepper_value) < MIN_PEPPER_CHARS:
        return (
            f"the phone line needs {CONFIG_CALLER_PEPPER} (or PHONE_CALLER_PEPPER_PARAMETER, "
            f"an SSM SecureString) of at least {MIN_PEPPER_CHARS} characters: a secret for "
            "every hash of a caller's number (docs/phone.md)"
        )
    return None


def check_configuration(config: Mapping[str, object]) -> None:
    problem = configuration_problem(config)
    if problem is not None:
        raise PhoneLineMisconfigured(problem)


def development() -> bool:
    """The unsigned development line: no token, and PHONE_ALLOW_UNSIGNED on."""
    return flag(current_app.config.get(CONFIG_ALLOW_UNSIGNED, False))


def pepper() -> str:
    """The line's pepper: config or environment, else the SSM parameter (read on the first
    webhook, kept 5 minutes); the development pepper only on the unsigned development line.
    ``SecretUnavailable`` when none can be had."""
    configured = setting(CONFIG_CALLER_PEPPER)
    if configured and len(configured) >= MIN_PEPPER_CHARS:
        return configured
    from skill.config import get_settings

    settings = get_settings()
    if not configured and settings.phone_caller_pepper_parameter:
        from skill.channels.phone import parameters

        try:
            name, region = settings.phone_caller_pepper_parameter, settings.aws_region
            value = parameters.ssm_parameter(name, region)
        except parameters.ParameterUnavailable as exc:
            raise SecretUnavailable(f"pepper: {exc}") from exc
        if len(value) >= MIN_PEPPER_CHARS:
            return value
    elif not configured and development() and not auth_token()[0]:
        return DEVELOPMENT_PEPPER
    raise SecretUnavailable(f"no usable {CONFIG_CALLER_PEPPER}")


def carries() -> bool:
    """Whether progress may carry from one call to the next (with a PIN)."""
    mode = setting(CONFIG_CARRY)
    return (mode or "pin").strip().lower() != "off"


def auth_token(recheck: bool = False) -> tuple[str | None, bool]:
    """The token, and whether it came from the parameter store (and so may have rotated).
    ``recheck``: read the parameter again unless it was read just now."""
    token = setting(CONFIG_TWILIO_AUTH_TOKEN)
    if token or CONFIG_TWILIO_AUTH_TOKEN in current_app.config:
        return token, False
    from skill.config import get_settings

    settings = get_settings()
    if not settings.twilio_auth_token_parameter:
        return None, False
    from skill.channels.phone import parameters

    age = parameters.RECHECK_AFTER_SECONDS if recheck else parameters.MAX_AGE_SECONDS
    try:
        name, region = settings.twilio_auth_token_parameter, settings.aws_region
        return parameters.ssm_parameter(name, region, max_age=age), True
    except parameters.ParameterUnavailable as exc:
        raise TokenUnavailable(str(exc)) from exc


def public_base() -> str | None:
    base = setting(CONFIG_PUBLIC_BASE_URL)
    return base.rstrip("/") if base else None


def locale_of(form: Mapping[str, str]) -> str:
    configured = current_app.config.get(CONFIG_LOCALE)
    if configured:
        return str(configured)
    return COUNTRY_LOCALES.get((form.get("ToCountry") or "").upper(), DEFAULT_LOCALE)


def busy_wait() -> float:
    return float(current_app.config.get(CONFIG_BUSY_WAIT, BUSY_WAIT_SECONDS))


def turn_service() -> TurnService:
    configured: TurnService | None = current_app.config.get(CONFIG_TURN_SERVICE)
    if configured is not None:
        return configured
    # The very service POST /alexa's turns run on; imported on first call only.
    from skill.service.factory import get_service

    return get_service()


def call_store() -> CallStore:
    configured = current_app.config.get(CONFIG_CALL_STORE)
    if configured is not None:
        return configured
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        with _store_lock:
            store = current_app.extensions.get(_EXTENSION)
            if store is None:
                store = _configured_store()
                current_app.extensions[_EXTENSION] = store
    return store


def _configured_store() -> CallStore:
    """DynamoDB when a calls table is configured (several processes or hosts), else memory."""
    table = setting(CONFIG_CALLS_TABLE_NAME)
    if not table:
        return MemoryCallStore()
    from skill.channels.phone.dynamodb_calls import DynamoDbCallStore
    from skill.config import get_settings

    return DynamoDbCallStore(table, region=get_settings().aws_region)
