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
USER_INDEX = "by_user"  # an optional DynamoDB index on USER_ATTRIBUTE (infra/template.yaml)
TTL_SECONDS = 548 * 24 * 3600  # about 18 months after the last visit

# "Forget my progress" leaves a marker in place of the progress: no progress, only the
# revision and the time of the forget. A session that read the progress before the forget
# (on another device) then conflicts on its next save, re-reads, finds the marker and
# drops what it held instead of writing it back. No session outlives a day, so neither
# does the marker.
FORGOTTEN_AT = "forgotten_at"  # in what get_attributes returns: epoch seconds of the forget
FORGET_MARKER_SECONDS = 24 * 3600


class StorageError(Exception):
    """The store could not be read or written; the conversation goes on without it."""


class ConflictError(StorageError):
    """Someone else saved this user's progress since we read it (optimistic locking)."""


def _system(request_envelope: RequestEnvelope) -> SystemState | None:
    context = request_envelope.context
    return context.system if context is not None else None


def user_key(request_envelope: RequestEnvelope) -> str:
    """The account key: the Alexa user ID.

    Read from ``context.System.user``; envelopes of the older format have no ``context``
    and name the user in ``session.user`` only.
    """
    system = _system(request_envelope)
    user = system.user if system is not None else None
    if user is None or not user.user_id:
        session = request_envelope.session
        user = session.user if session is not None else None
    if user is None or not user.user_id:
        raise ValueError("the request names no Alexa user")
    return str(user.user_id)


def person_key(request_envelope: RequestEnvelope) -> str:
    """The key of the speaker: the account, plus the recognised person when there is one.

    Partners sharing one speaker get separate progress when voice profiles recognise them.
    """
    key = user_key(request_envelope)
    person = getattr(_system(request_envelope), "person", None)
    if person is not None and getattr(person, "person_id", None):
        key = f"{key}#person#{person.person_id}"
    return key


def account_of(key: str) -> str:
    """The account part of a key made by ``person_key``."""
    return key.split("#person#", 1)[0]


def short_hash(value: str) -> str:
    """A short, stable tag for logs that never reveals the ID behind it."""
    return sha256(value.encode("utf-8")).hexdigest()[:10]


class ProgressAdapter(AbstractPersistenceAdapter):
    """A persistence adapter that can also forget a user entirely.

    ``get_attributes`` returns the stored dict with its ``revision``, ``{}`` when nothing is
    stored, or, after a forget, ``{"revision": n, FORGOTTEN_AT: t}`` and nothing else.
    ``delete_attributes`` leaves that marker; ``delete_user`` leaves nothing.
    """

    # The longest one call can take before it fails (timeouts included), so that a turn
    # starts a call only when it has the time to wait for it (skill.alexa.budget).
    slowest_call_seconds: float = 2.0

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
