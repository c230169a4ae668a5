"""The simulator's guards: this machine only, the page's own token, its security headers.

Every API call must carry the page's token in the ``X-Simulator-Token`` header (403
otherwise), so another site open in the same browser cannot talk to the skill as this
person; a ``Host`` other than this machine is refused too, against DNS rebinding.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, jsonify, request

from skill.channels.local import cross_site, host_allowed
from skill.channels.simulator.pages import CONFIG_HOSTS, MAX_BODY_BYTES, TOKEN_HEADER, pages

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


def check(api_prefix: str, page_path: str) -> Response | None:
    """None when the request may go on; else the response that refuses it. The page itself
    (``page_path``, which opens a page and its session) and the API are refused to other
    sites; the static files are not (they hold nothing)."""
    if not host_allowed(request.host, current_app.config.get(CONFIG_HOSTS) or ()):
        logger.warning("simulator request refused: Host %.80r is not this machine", request.host)
        return error("this host name is not served", 403)
    if request.path != page_path and not request.path.startswith(api_prefix):
        return None
    if cross_site():
        logger.warning("simulator request refused: cross-site %.80r", request.path)
        return error("cross-site request refused", 403)
    if request.path == page_path:
        return None
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
