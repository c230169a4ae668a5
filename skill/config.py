"""Environment variable names and the settings they produce, read once per process."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

# Every environment variable the skill reads is named here and nowhere else.
ENV_TABLE_NAME = "SKILL_TABLE_NAME"
ENV_DB_PATH = "SKILL_DB_PATH"
ENV_SKILL_ID = "SKILL_ID"
ENV_VERIFY_REQUESTS = "SKILL_VERIFY_REQUESTS"
ENV_LOG_LEVEL = "SKILL_LOG_LEVEL"
ENV_AWS_REGION = "AWS_REGION"
ENV_AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
ENV_TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
ENV_PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
# The phone line on several processes or on Lambda: call state in DynamoDB, and the Twilio
# token read at start from an SSM SecureString parameter (its name) instead of the environment.
ENV_PHONE_CALLS_TABLE_NAME = "PHONE_CALLS_TABLE_NAME"
ENV_TWILIO_AUTH_TOKEN_PARAMETER = "TWILIO_AUTH_TOKEN_PARAMETER"
ENV_TEMPLATES_DIR = "SKILL_TEMPLATES_DIR"
# The phone line's secret for every hash of a caller's number (progress keys, log tags),
# from the environment or an SSM SecureString (its name); and whether progress carries
# from one call to the next ("pin", the default, or "off").
ENV_PHONE_CALLER_PEPPER = "PHONE_CALLER_PEPPER"
ENV_PHONE_CALLER_PEPPER_PARAMETER = "PHONE_CALLER_PEPPER_PARAMETER"
ENV_PHONE_CARRY_PROGRESS = "PHONE_CARRY_PROGRESS"

# The locales the skill speaks: a template folder, a voice model and safety numbers each.
LOCALES: tuple[str, ...] = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
DEFAULT_LOCALE = "en-US"

DEFAULT_DB_FILENAME = "progress.sqlite3"
APP_NAME = "ally-coach"


def _default_db_path() -> Path:
    # platformdirs is cheap to import and only needed when no path is configured.
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / DEFAULT_DB_FILENAME


DEFAULT_LOG_LEVEL = "INFO"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str | None) -> str:
    """A level name logging accepts; anything else (``verbose``) is INFO, with a warning
    rather than a process that cannot log, and so cannot start."""
    if value is None or not value.strip():
        return DEFAULT_LOG_LEVEL
    name = value.strip().upper()
    name = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(name, name)
    if name in LOG_LEVELS:
        return name
    logging.getLogger(__name__).warning(
        "%s=%.40r is not a log level (%s); using %s",
        ENV_LOG_LEVEL,
        value,
        ", ".join(LOG_LEVELS),
        DEFAULT_LOG_LEVEL,
    )
    return DEFAULT_LOG_LEVEL


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


class Settings(NamedTuple):  # not a dataclass: cheaper at import, see skill.core.dialog
    table_name: str | None
    db_path_setting: str | None
    skill_id: str | None
    verify_requests: bool
    log_level: str
    aws_region: str | None
    twilio_auth_token: str | None
    public_base_url: str | None
    templates_dir: str | None  # another content folder (templates and programs) to speak from
    phone_calls_table_name: str | None = None
    twilio_auth_token_parameter: str | None = None
    phone_caller_pepper: str | None = None
    phone_caller_pepper_parameter: str | None = None
    phone_carry_progress: str | None = None

    @property
    def db_path(self) -> Path:
        """The SQLite file: worked out only when the embedded store is used, since the
        default needs platformdirs and a Lambda on DynamoDB should not import it."""
        if self.db_path_setting:
            return Path(self.db_path_setting).expanduser()
        return _default_db_path()

    @property
    def uses_dynamodb(self) -> bool:
        return bool(self.table_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        db_path = env.get(ENV_DB_PATH)
        return cls(
            table_name=env.get(ENV_TABLE_NAME) or None,
            db_path_setting=db_path or None,
            skill_id=env.get(ENV_SKILL_ID) or None,
            verify_requests=_flag(env.get(ENV_VERIFY_REQUESTS), default=True),
            log_level=_log_level(env.get(ENV_LOG_LEVEL)),
            aws_region=env.get(ENV_AWS_REGION) or env.get(ENV_AWS_DEFAULT_REGION) or None,
            twilio_auth_token=env.get(ENV_TWILIO_AUTH_TOKEN) or None,
            public_base_url=env.get(ENV_PUBLIC_BASE_URL) or None,
            templates_dir=env.get(ENV_TEMPLATES_DIR) or None,
            phone_calls_table_name=env.get(ENV_PHONE_CALLS_TABLE_NAME) or None,
            twilio_auth_token_parameter=env.get(ENV_TWILIO_AUTH_TOKEN_PARAMETER) or None,
            phone_caller_pepper=env.get(ENV_PHONE_CALLER_PEPPER) or None,
            phone_caller_pepper_parameter=env.get(ENV_PHONE_CALLER_PEPPER_PARAMETER) or None,
            phone_carry_progress=env.get(ENV_PHONE_CARRY_PROGRESS) or None,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read from the environment the first time they are asked for."""
    return Settings.from_env()
