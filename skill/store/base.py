"""The persistence seam shared by every store.

Stores implement ask-sdk's ``AbstractPersistenceAdapter`` so the skill can be built with
either one. What they store is the dict of ``Progress.to_dict()``; the key is derived
from the request (user, and the recognised person when Alexa knows the speaker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.digest import sha256

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope
    from ask_sdk_model.interfaces.system import SystemState

# Shared with infra/template.yaml; a test checks they agree.
PARTITION_KEY = "id"
TTL_ATTRIBUTE = "expires_at"
VERSION_ATTRIBUTE = "version"
ATTRIBUTES_FIELD = "attributes"
USER_ATTRIBUTE = "user_id"  # on every item, so one account's items can be found together
USER_INDEX = "by_user"  # the DynamoDB index on USER_ATTRIBUTE, for forgetting an account
TTL_SECONDS = 548 * 24 * 3600  # about 18 months after the last visit


class StorageError(Exception):
    """The store could not be read or written; the conversation goes on without it."""


class ConflictError(StorageError):
    """Someone else saved this user's progress since we read it (optimistic locking)."""


def _system(request_envelope: RequestEnvelope) -> SystemState:
    context = request_envelope.context
    system = context.system if context is not None else None
    if system is None or system.user is None or not system.user.user_id:
        raise ValueError("the request names no Alexa user")
    return system


def user_key(request_envelope: RequestEnvelope) -> str:
    """The account key: the Alexa user ID."""
    return str(_system(request_envelope).user.user_id)  # type: ignore[union-attr]


def person_key(request_envelope: RequestEnvelope) -> str:
    """The key of the speaker: the account, plus the recognised person when there is one.

    Partners sharing one speaker get separate progress when voice profiles recognise them.
    """
    system = _system(request_envelope)
    key = str(system.user.user_id)  # type: ignore[union-attr]
    person = getattr(system, "person", None)
    if person is not None and getattr(person, "person_id", None):
        key = f"{key}#person#{person.person_id}"
    return key


def short_hash(value: str) -> str:
    """A short, stable tag for logs that never reveals the ID behind it."""
    return sha256(value.encode("utf-8")).hexdigest()[:10]


class ProgressAdapter(AbstractPersistenceAdapter):
    """A persistence adapter that can also forget a user entirely."""

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        raise NotImplementedError

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        raise NotImplementedError

    def delete_user(self, user_id: str) -> None:
        """Delete every item stored for this account, the people in it included."""
        raise NotImplementedError
