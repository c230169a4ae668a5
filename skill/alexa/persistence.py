"""The Alexa side of progress: whose it is, by the request, and the SDK's persistence seam.

``person_key`` and ``user_key`` read the speaker from a request envelope. The stores know
nothing of Alexa (``skill.store.base.ProgressStore``, keyed by strings); ``PersistenceAdapter``
wraps one as ask-sdk's ``AbstractPersistenceAdapter``, so that a handler may use the SDK's
persistent attributes on the same store (the skill's own turns go through
``skill.service.turns``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.store.base import progress_key

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope
    from ask_sdk_model.interfaces.system import SystemState

    from skill.store.base import ProgressStore


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
    """The key of the speaker: the account, plus the recognised person when there is one."""
    person = getattr(_system(request_envelope), "person", None)
    return progress_key(user_key(request_envelope), getattr(person, "person_id", None) or None)


def request_time(request_envelope: RequestEnvelope, default: int) -> int:
    """When the request was made, by Alexa's clock: the time sessions are compared by."""
    timestamp = getattr(request_envelope.request, "timestamp", None)
    try:
        return int(timestamp.timestamp()) if timestamp is not None else default
    except (AttributeError, OverflowError, OSError, ValueError):
        return default


class PersistenceAdapter(AbstractPersistenceAdapter):
    """ask-sdk's persistence seam on a progress store: the speaker's stored dict."""

    def __init__(self, store: ProgressStore) -> None:
        self.store = store

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return self.store.read(person_key(request_envelope))

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        self.store.write(person_key(request_envelope), attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        import time

        when = request_time(request_envelope, int(time.time()))
        self.store.forget(person_key(request_envelope), when)
