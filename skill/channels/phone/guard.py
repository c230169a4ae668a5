"""Only Twilio may drive the line: every webhook must carry a valid ``X-Twilio-Signature``.

Fail closed: without a token nobody can prove to be Twilio (``PHONE_ALLOW_UNSIGNED`` lets a
developer go without, and only without a token). A token from the parameter store may have
been rotated since it was read: a signature that does not check makes it read again
(rate-limited), and several tokens (separated by spaces or commas) let a rotation overlap.
"""

from __future__ import annotations

import logging
import re

from flask import Response, current_app, jsonify, request
from twilio.request_validator import RequestValidator

from skill.channels.local import refusal
from skill.channels.phone import reply
from skill.channels.phone.settings import (
    CONFIG_ALLOW_UNSIGNED,
    CONFIG_DEV_HOSTS,
    TokenUnavailable,
    auth_token,
    flag,
    public_base,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_FORM_BYTES = 64 * 1024  # Twilio's webhook forms are around 1 KiB


def signed_url() -> str:
    """The URL Twilio requested, as it signed it. Behind a proxy or tunnel Flask sees an
    inner URL (http, another host), so the configured public base URL is used instead."""
    base = public_base()
    if not base:
        return str(request.url)
    query = request.query_string.decode("utf-8", "replace")
    return f"{base}{request.script_root}{request.path}" + (f"?{query}" if query else "")


def _forbidden(reason: str) -> Response:
    logger.warning("phone request rejected: %s (%.10r %.80r)", reason, request.method, request.path)
    response = jsonify(error="forbidden")
    response.status_code = 403
    return response


def check_request() -> Response | None:
    """None when the request is Twilio's; else the response to send."""
    declared = request.content_length
    if declared is not None and declared > MAX_FORM_BYTES:
        logger.warning("phone request rejected: body of %d bytes is too large", declared)
        response = jsonify(error="request body too large")
        response.status_code = 413
        return response
    try:
        token, stored = auth_token()
    except TokenUnavailable as exc:
        # Configured, but the parameter store did not answer: nothing can be verified, so
        # nothing is touched; the caller hears an apology rather than Twilio's error.
        logger.error("phone request not served: the Twilio token is unavailable (%s)", exc)
        return reply.error()
    if not token:
        if flag(current_app.config.get(CONFIG_ALLOW_UNSIGNED, False)):
            refused = refusal(current_app.config.get(CONFIG_DEV_HOSTS) or ())
            if refused is not None:
                return _forbidden(f"unsigned, and {refused}")
            logger.warning(
                "!!! PHONE REQUEST NOT VERIFIED: no TWILIO_AUTH_TOKEN and "
                "PHONE_ALLOW_UNSIGNED is on. Development only. !!!"
            )
            return None
        return _forbidden("no TWILIO_AUTH_TOKEN configured")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return _forbidden("missing X-Twilio-Signature")
    if signed_by(token, signature):
        return None
    if stored:
        # Perhaps the token was rotated since it was read: read it again (rate-limited).
        try:
            fresh, _ = auth_token(recheck=True)
        except TokenUnavailable:
            fresh = token
        if fresh and fresh != token and signed_by(fresh, signature):
            return None
    return _forbidden("invalid X-Twilio-Signature")


def signed_by(tokens: str, signature: str) -> bool:
    """Whether one of the tokens signed the request."""
    url = signed_url()
    return any(
        RequestValidator(token).validate(url, request.form, signature)
        for token in re.split(r"[\s,]+", tokens.strip())
        if token
    )
