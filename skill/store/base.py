"""The persistence seam shared by every store: a small protocol keyed by strings.

What a store keeps is the dict of ``Progress.to_dict()`` per person. A person's key is
their account (the Alexa user ID, or ``phone:<hash>`` on the phone line), plus the
recognised person when Alexa knows the speaker (``progress_key``). The stores know nothing
of Alexa: ``skill.alexa.persistence`` wraps one as an ask-sdk persistence adapter for
those who want the SDK's persistent attributes.
"""

from __future__ import annotations

from typing import Any, Protocol

from skill.digest import short_hash

# Shared with infra/template.yaml; a test checks they agree.
PARTITION_KEY = "id"
TTL_ATTRIBUTE = "expires_at"
VERSION_ATTRIBUTE = "version"
ATTRIBUTES_FIELD = "attributes"
USER_ATTRIBUTE = "user_id"  # on every item, so one account's items can be found together
USER_INDEX = "by_user"  # an optional DynamoDB index on USER_ATTRIBUTE (infra/template.yaml)
TTL_SECONDS = 548 * 24 * 3600  # about 18 months after the last visit

# "Forget my progress" leaves a marker in place of the progress: no progress, only the
# revision and the time of the forget. A session that read the progress before the forget
# (on another device) then conflicts on its next save, re-reads, finds the marker and
# drops what it held instead of writing it back. No session outlives a day, so neither
# does the marker.
FORGOTTEN_AT = "forgotten_at"  # in what ``read`` returns: epoch seconds of the forget
FORGET_MARKER_SECONDS = 24 * 3600

_PERSON = "#person#"


class StorageError(Exception):
    """The store could not be read or written; the conversation goes on without it."""


class ConflictError(StorageError):
    """Someone else saved this user's progress since we read it (optimistic locking)."""


def progress_key(user_id: str, person_id: str | None = None) -> str:
    """The key of a speaker: the account, plus the recognised person when there is one.

    Partners sharing one speaker get separate progress when voice profiles recognise them.
    """
    return f"{user_id}{_PERSON}{person_id}" if person_id else user_id


def account_of(key: str) -> str:
    """The account part of a key made by ``progress_key``."""
    return key.split(_PERSON, 1)[0]


class ProgressStore(Protocol):
    """Where progress is kept, keyed by ``progress_key``.

    ``read`` returns the stored dict with its ``revision``, ``{}`` when nothing is stored,
    or, after a forget, ``{"revision": n, FORGOTTEN_AT: t}`` and nothing else. ``write`` is
    conditional: it stores ``attributes`` only if the stored revision is still
    ``attributes["revision"]`` (0: nothing stored), else raises ``ConflictError``.
    ``forget`` leaves the marker (``when``: epoch seconds of the request that asked);
    ``delete_user`` leaves nothing of the account, its people included. Any call may
    raise ``StorageError``.
    """

    # The longest one call can take before it fails (timeouts included), so that a turn
    # starts a call only when it has the time to wait for it (skill.service.budget).
    slowest_call_seconds: float

    def read(self, key: str) -> dict[str, Any]: ...

    def write(self, key: str, attributes: dict[str, Any]) -> None: ...

    def forget(self, key: str, when: int) -> None: ...

    def delete_user(self, user_id: str) -> None: ...


__all__ = [
    "ATTRIBUTES_FIELD",
    "FORGET_MARKER_SECONDS",
    "FORGOTTEN_AT",
    "PARTITION_KEY",
    "TTL_ATTRIBUTE",
    "TTL_SECONDS",
    "USER_ATTRIBUTE",
    "USER_INDEX",
    "VERSION_ATTRIBUTE",
    "ConflictError",
    "ProgressStore",
    "StorageError",
    "account_of",
    "progress_key",
    "short_hash",
]
