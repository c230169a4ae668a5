"""The simulator's guards: this machine only, the page's own token, its security headers.

Every API call must carry the page's token in the ``X-Simulator-Token`` header (403
otherwise), so another site open in the same browser cannot talk to the skill as this
person; a ``Host`` other than this machine is refused too, against DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from flask import Response, current_app, jsonify, request

from skill.channels.simulator.pages import (
    CONFIG_HOSTS,
    LOOPBACK_NAMES,
    MAX_BODY_BYTES,
    TOKEN_HEADER,
    pages,
)

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
}


def error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _host_allowed(host: str) -> bool:
    name = _hostname(host).lower()
    if name in LOOPBACK_NAMES or name in set(current_app.config.get(CONFIG_HOSTS) or ()):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check(api_prefix: str) -> Response | None:
    """None when the request may go on; else the response that refuses it."""
    if not _host_allowed(request.host):
        logger.warning("simulator request refused: Host %r is not this machine", request.host)
        return error("this host name is not served", 403)
    if not request.path.startswith(api_prefix):
        return None
    if request.headers.get("Sec-Fetch-Site") in {"cross-site", "same-site"}:
        return error("cross-site request refused", 403)
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        return error("cross-site request refused", 403)
    if pages().get(request.headers.get(TOKEN_HEADER)) is None:
        return error(f"missing or unknown {TOKEN_HEADER}: reload the page", 403)
    if request.method == "POST":
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return error("request body too large", 413)
        if not isinstance(request.get_json(silent=True), dict):
            return error("expected a JSON object", 400)
    return None


def headers(response: Response, static_prefix: str) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith(static_prefix):
        response.headers["Cache-Control"] = "no-store"  # the page holds its token
    return response


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}
