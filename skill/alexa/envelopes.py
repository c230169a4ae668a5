"""Building real Alexa request envelopes, for channels that are not Alexa (the chat, the
phone line) and for tests. Same JSON shape Alexa posts to a skill."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def _timestamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SessionDriver:
    """Keeps one Alexa session going: its ID, whether it is new, and its attributes."""

    user_id: str
    locale: str = "en-US"
    application_id: str = LOCAL_SKILL_ID
    person_id: str | None = None
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # context.System.device.supportedInterfaces: {"Alexa.Presentation.APLA": {}} for a
    # device that plays APL for Audio documents.
    interfaces: dict[str, Any] = field(default_factory=dict)
    # Alexa's APIs for this skill (the Reminders API): where, with what token, and the
    # permission scopes the person granted ("alexa::alerts:reminders:skill:readwrite").
    # No token by default: such a request cannot reach any API.
    api_endpoint: str = "https://api.amazonalexa.com"
    api_token: str | None = None
    granted: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.session_id is not None

    def _envelope(self, request: dict[str, Any], now: datetime | None) -> dict[str, Any]:
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
            self.attributes = {}
        request = {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": _timestamp(now),
            "locale": self.locale,
            **request,
        }
        system: dict[str, Any] = {
            "application": {"applicationId": self.application_id},
            "user": {"userId": self.user_id},
            "device": {"deviceId": "local-device", "supportedInterfaces": dict(self.interfaces)},
            "apiEndpoint": self.api_endpoint,
        }
        if self.api_token:
            system["apiAccessToken"] = self.api_token
        if self.granted:
            scopes = {scope: {"status": "GRANTED"} for scope in self.granted}
            system["user"]["permissions"] = {"consentToken": self.api_token, "scopes": scopes}
        if self.person_id:
            system["person"] = {"personId": self.person_id}
        return {
            "version": "1.0",
            "session": {
                "new": new,
                "sessionId": self.session_id,
                "application": {"applicationId": self.application_id},
                "attributes": dict(self.attributes),
                "user": {"userId": self.user_id},
            },
            "context": {"System": system},
            "request": request,
        }

    def launch(self, now: datetime | None = None) -> dict[str, Any]:
        return self._envelope({"type": "LaunchRequest"}, now)

    def intent(
        self,
        name: str,
        slots: dict[str, str | None] | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        slot_json = {
            slot: {
                "name": slot,
                "confirmationStatus": "NONE",
                **({"value": value} if value is not None else {}),
            }
            for slot, value in (slots or {}).items()
        }
        return self._envelope(
            {
                "type": "IntentRequest",
                "dialogState": "COMPLETED",
                "intent": {"name": name, "confirmationStatus": "NONE", "slots": slot_json},
            },
            now,
        )

    def connections_response(
        self, name: str, status: str, token: str, code: str = "200", now: datetime | None = None
    ) -> dict[str, Any]:
        """Alexa's answer to a ``Connections.SendRequest`` (the AskFor of a permission)."""
        request = {
            "type": "Connections.Response",
            "name": name,
            "status": {"code": code, "message": "OK" if code == "200" else "error"},
            "token": token,
            "payload": {
                "permissionScope": "alexa::alerts:reminders:skill:readwrite",
                "status": status,
            },
        }
        return self._envelope(request, now)

    def session_ended(
        self, reason: str = "USER_INITIATED", now: datetime | None = None
    ) -> dict[str, Any]:
        envelope = self._envelope({"type": "SessionEndedRequest", "reason": reason}, now)
        self.end()
        return envelope

    def update(self, response: dict[str, Any]) -> None:
        """Take the session attributes Alexa would carry, and close the session when the
        response ends it."""
        self.attributes = dict(response.get("sessionAttributes") or {})
        if (response.get("response") or {}).get("shouldEndSession", False):
            self.end()

    def end(self) -> None:
        self.session_id = None
        self.attributes = {}
