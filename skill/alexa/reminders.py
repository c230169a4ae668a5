"""A small client of Alexa's Reminders API (and the device's time zone), on the request's
``context.System.apiEndpoint`` with its ``apiAccessToken``.

Made per request, lazily: nothing here is imported until a reminder is asked for, so a
Lambda cold start does not get slower (bench/). Every call has a short timeout, and all of
them together stay within ``BUDGET_SECONDS``, far inside Alexa's eight seconds; whatever
goes wrong (a timeout, 401/403, 404, 429, 5xx, a body that is not JSON) is a
``RemindersError`` (skill.service.reminding), raised from the error it maps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from skill.service.reminding import SCOPE, RemindersError

PATH = "/v1/alerts/reminders"
TIME_ZONE_PATH = "/v2/devices/{device}/settings/System.timeZone"
CALL_SECONDS = 2.0  # one call
BUDGET_SECONDS = 4.0  # all the calls of one turn
# The AskFor request's token: what the person asked for, back with Alexa's answer.
TOKEN_PREFIX = "remind|"


class AlexaReminders:
    """The person's reminders, through the Reminders API."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        device_id: str | None,
        granted: bool,
        *,
        clock: Any = time.monotonic,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("not an API endpoint")
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.device_id = device_id
        self._granted = granted
        self._clock = clock
        self._until = clock() + BUDGET_SECONDS

    @property
    def granted(self) -> bool:
        return self._granted

    def time_zone(self) -> str | None:
        if not self.device_id:
            return None
        zone = self._call("GET", TIME_ZONE_PATH.format(device=quote(self.device_id, safe="")))
        return zone if isinstance(zone, str) and zone else None

    def create(self, body: Mapping[str, Any]) -> str:
        answer = self._call("POST", PATH, body)
        token = answer.get("alertToken") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise RemindersError("failed", "no alertToken in the answer")
        return token

    def update(self, alert_token: str, body: Mapping[str, Any]) -> None:
        self._call("PUT", f"{PATH}/{quote(alert_token, safe='')}", body)

    def delete(self, alert_token: str) -> None:
        self._call("DELETE", f"{PATH}/{quote(alert_token, safe='')}")

    def list(self) -> list[dict[str, Any]]:
        answer = self._call("GET", PATH)
        alerts = answer.get("alerts") if isinstance(answer, dict) else None
        return [a for a in alerts or [] if isinstance(a, dict)]

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        import urllib.error
        import urllib.request

        left = self._until - self._clock()
        if left <= 0.1:
            raise RemindersError("failed", "out of time")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=min(CALL_SECONDS, left)) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            kind = {401: "refused", 403: "refused", 404: "not_found"}.get(exc.code, "failed")
            raise RemindersError(kind, f"HTTP {exc.code} on {method}") from exc
        except (OSError, ValueError) as exc:  # timeouts, refused connections, bad URLs
            raise RemindersError("failed", f"{type(exc).__name__} on {method}") from exc
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise RemindersError("failed", f"not JSON from {method}") from exc


def from_envelope(envelope: Any) -> AlexaReminders | None:
    """The reminders of the request's person, or None when the request has no API access
    (no endpoint or token: the phone line's envelopes, tests)."""
    system = getattr(getattr(envelope, "context", None), "system", None)
    endpoint = getattr(system, "api_endpoint", None)
    token = getattr(system, "api_access_token", None)
    if not endpoint or not token:
        return None
    device = getattr(getattr(system, "device", None), "device_id", None)
    try:
        return AlexaReminders(str(endpoint), str(token), device, granted(system))
    except ValueError:
        return None


def granted(system: Any) -> bool:
    """The person gave the skill the reminders permission: the scope's status is GRANTED,
    or (older requests) the user has a consent token."""
    permissions = getattr(getattr(system, "user", None), "permissions", None)
    if permissions is None:
        return False
    scopes = getattr(permissions, "scopes", None) or {}
    scope = scopes.get(SCOPE) if isinstance(scopes, dict) else None
    if scope is not None:
        status = getattr(scope, "status", None)
        return str(getattr(status, "value", status)) == "GRANTED"
    return bool(getattr(permissions, "consent_token", None))


def ask_for_permission(handler_input: Any, when: str) -> Any:
    """The response that asks for the reminders permission by voice: Alexa's own question,
    then a ``Connections.Response`` whose token carries the reminder asked for. No speech
    of the skill's, and the session's end is Alexa's to decide (shouldEndSession unset)."""
    from ask_sdk_model.interfaces.connections import SendRequestDirective

    builder = handler_input.response_builder
    builder.add_directive(
        SendRequestDirective(
            name="AskFor",
            payload={
                "@type": "AskForPermissionsConsentRequest",
                "@version": "1",
                "permissionScope": SCOPE,
            },
            token=f"{TOKEN_PREFIX}{when}",
        )
    )
    return builder.response


def consent_card(handler_input: Any, response: Any) -> Any:
    """Where the permission cannot be asked by voice: a card in the Alexa app to grant it."""
    from ask_sdk_model.ui import AskForPermissionsConsentCard

    response.card = AskForPermissionsConsentCard(permissions=[SCOPE])
    return response
