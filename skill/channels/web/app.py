"""Self-hosted web endpoint: the Alexa skill behind Flask.

``create_app()`` builds the WSGI app of the Alexa endpoint; ``skill.web.create_app`` adds the
phone line's routes to it, and ``python -m skill serve`` runs that for development.
Production runs it under gunicorn or waitress behind an HTTPS reverse proxy, see
docs/web-endpoint.md (which also explains why this is not flask-ask-sdk).

Routes:

* ``POST /alexa``: an Alexa request envelope, verified as Amazon requires (signature,
  certificate chain, timestamp, application id), then handed to the same
  ``handler(event, context) -> dict`` as the Lambda function.
* ``GET /health``: ``{"status": "ok"}`` for load balancers and uptime checks.

Every rejection is a small JSON error with a 4xx status and a one-line log entry; verification
failures are 400, like flask-ask-sdk. So is any envelope the skill cannot read: JSON nested
too deep (checked before verification, so it costs nothing to reject), a request type or a
field shape ask-sdk does not know, no ``context`` to check the skill ID against. A skill
event the skill could not act on is a 503, so that Alexa delivers it again.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

logger = logging.getLogger(__name__)

SkillHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

ALEXA_PATH = "/alexa"
HEALTH_PATH = "/health"
DEFAULT_MAX_BODY_BYTES = 256 * 1024  # real envelopes are a few KiB

# Keys of the mapping given to create_app; they override skill.config.get_settings().
CONFIG_SKILL_ID = "SKILL_ID"
CONFIG_VERIFY_REQUESTS = "VERIFY_REQUESTS"
CONFIG_TRUSTED_ROOTS = "TRUSTED_ROOTS"
CONFIG_CERT_FETCHER = "CERT_FETCHER"
CONFIG_CLOCK = "CLOCK"
CONFIG_SKILL_HANDLER = "SKILL_HANDLER"
CONFIG_MAX_BODY_BYTES = "MAX_BODY_BYTES"
CONFIG_BLUEPRINTS = "BLUEPRINTS"
# Host names a development endpoint (verification off) answers besides this machine's.
CONFIG_DEV_HOSTS = "DEV_HOSTS"

_FALSE_WORDS = {"0", "false", "no", "off"}


def _as_bool(value: object) -> bool:
    # "0" from an env-style config must mean False, not bool("0") == True.
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _default_handler() -> SkillHandler:
    # Imported here, not at module level: the Lambda module pulls in the whole skill (and
    # possibly boto3), which the CLI must not pay for unless it really serves requests.
    # The strict entry point: an unreadable envelope raises, and is answered with a 400.
    from skill.lambda_function import handle

    return handle


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Read the body up to ``limit`` bytes.

    Stops one byte over the app's limit, so a body without Content-Length (chunked) cannot make
    us buffer an unbounded amount. Loops because a WSGI input stream may return short reads.
    """
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def _is_envelope(event: object) -> bool:
    if not isinstance(event, dict) or not isinstance(event.get("version"), str):
        return False
    inner = event.get("request")
    return isinstance(inner, dict) and isinstance(inner.get("type"), str) and bool(inner["type"])


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app. ``config`` overrides settings read from the environment.

    Keys: SKILL_ID (str | None), VERIFY_REQUESTS (bool), TRUSTED_ROOTS (certificates or PEM),
    CERT_FETCHER (url -> bytes), CLOCK (() -> aware datetime), SKILL_HANDLER
    ((event, context) -> dict), MAX_BODY_BYTES (int), BLUEPRINTS (iterable of Blueprint:
    other channels' routes, none by default). Any other keys are copied into ``app.config``
    for blueprints to read.
    """
    from skill.config import ENV_VERIFY_REQUESTS, get_settings

    config = dict(config or {})
    settings = get_settings()
    skill_id: str | None = config.get(CONFIG_SKILL_ID, settings.skill_id) or None
    verify = _as_bool(config.get(CONFIG_VERIFY_REQUESTS, settings.verify_requests))
    max_body = int(config.get(CONFIG_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES))
    handler: SkillHandler = config.get(CONFIG_SKILL_HANDLER) or _default_handler()

    # cryptography is only needed once an app is built, not when the CLI imports this module.
    from skill.alexa.invoke import EventNotAcknowledged, UnreadableRequest, too_deep
    from skill.channels.web.verification import (
        RequestVerifier,
        VerificationError,
        verify_application_id,
    )

    verifier: RequestVerifier | None = None
    if verify:
        verifier = RequestVerifier(
            trusted_roots=config.get(CONFIG_TRUSTED_ROOTS),
            fetcher=config.get(CONFIG_CERT_FETCHER),
            clock=config.get(CONFIG_CLOCK),
        )
    else:
        logger.warning(
            "!!! ALEXA REQUEST VERIFICATION IS OFF (%s=0 or VERIFY_REQUESTS=False). Anyone who "
            "can reach %s can impersonate Alexa. Use this only for local development. !!!",
            ENV_VERIFY_REQUESTS,
            ALEXA_PATH,
        )

    app = Flask(__name__)
    app.config.from_mapping(config)
    app.config.update(
        {CONFIG_SKILL_ID: skill_id, CONFIG_VERIFY_REQUESTS: verify, CONFIG_MAX_BODY_BYTES: max_body}
    )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        # 404/405/413... as JSON rather than Werkzeug's HTML pages.
        response = _error(exc.name.lower(), exc.code or 500)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.get(HEALTH_PATH)
    def health() -> Response:
        return jsonify(status="ok")

    dev_hosts = list(config.get(CONFIG_DEV_HOSTS) or ())

    @app.post(ALEXA_PATH)
    def alexa() -> Response:
        if verifier is None:
            # Unsigned requests are taken: only this machine's own, never another site's.
            from skill.channels.local import refusal

            refused = refusal(dev_hosts)
            if refused is not None:
                logger.warning(
                    "alexa request refused (verification off): %s, Host %.80r",
                    refused,
                    request.host,
                )
                return _error(refused, 403)
        declared = request.content_length
        if declared is not None and declared > max_body:
            logger.warning("alexa request rejected: body of %d bytes is too large", declared)
            return _error("request body too large", 413)
        if not _is_json(request.mimetype):
            # Alexa always sends application/json; anything else is not a request of hers.
            logger.warning(
                "alexa request rejected: Content-Type %.80r is not JSON", request.content_type
            )
            return _error("the body must be JSON (Content-Type: application/json)", 415)
        body = _read_at_most(request.stream, max_body + 1)
        if len(body) > max_body:
            logger.warning("alexa request rejected: body over %d bytes", max_body)
            return _error("request body too large", 413)

        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            logger.warning("alexa request rejected: malformed JSON (%d bytes)", len(body))
            return _error("malformed JSON", 400)
        except RecursionError:
            # json's C parser gives up on very deep nesting by recursing out of stack.
            logger.warning("alexa request rejected: JSON nested too deep (%d bytes)", len(body))
            return _error("JSON nested too deep", 400)
        if too_deep(event):
            logger.warning("alexa request rejected: JSON nested too deep (%d bytes)", len(body))
            return _error("JSON nested too deep", 400)
        if not _is_envelope(event):
            logger.warning("alexa request rejected: not an Alexa request envelope")
            return _error("not an Alexa request envelope", 400)

        try:
            if verifier is not None:
                # The signature covers the raw bytes exactly as received, never re-encoded JSON.
                verifier.verify(request.headers, body, event)
            # Checked even in development mode: it is config-driven (unset SKILL_ID to skip)
            # and catches an endpoint wired to the wrong skill early.
            verify_application_id(event, skill_id)
        except VerificationError as exc:
            # Details can quote the request (a timestamp, a URL): %r keeps them one line.
            logger.warning("alexa request rejected: %s (%.300r)", exc.message, exc.detail or "")
            return _error(exc.message, 400)

        kind = event["request"]["type"]
        try:
            result = handler(event, None)
        except UnreadableRequest as exc:
            logger.warning("alexa request rejected: type=%.80r: %.300r", kind, str(exc))
            return _error("unreadable Alexa request envelope", 400)
        except EventNotAcknowledged as exc:
            # Not acknowledging a skill event is how Alexa is asked to deliver it again.
            logger.warning("alexa event not acknowledged, to be delivered again: %s", exc)
            return _error("event not processed; deliver it again", 503)
        except Exception:
            # The skill's handler is built not to raise; if it does, log the traceback here and
            # give Alexa a plain 500 without internals.
            logger.exception("skill handler failed for type=%.80r", kind)
            return _error("internal error", 500)
        if not isinstance(result, dict):
            logger.error("skill handler returned %s, not a dict", type(result).__name__)
            return _error("internal error", 500)
        return jsonify(result)

    blueprints: Iterable[Blueprint] = config.get(CONFIG_BLUEPRINTS) or ()
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def main(argv: list[str], create: Callable[[dict[str, Any]], Flask] | None = None) -> int:
    """``python -m skill serve``: run the endpoint locally for development. ``create``
    makes the app (``skill.web.create_app``: with the phone routes)."""
    parser = argparse.ArgumentParser(
        prog="python -m skill serve",
        description="Serve the Alexa (and phone) web endpoint for development. "
        "In production run gunicorn or waitress behind HTTPS (docs/web-endpoint.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="DEVELOPMENT ONLY: accept unsigned requests (same as SKILL_VERIFY_REQUESTS=0)",
    )
    parser.add_argument(
        "--server",
        choices=("waitress", "flask"),
        default="waitress",
        help="waitress (default, threaded) or Flask's development server (no reloader)",
    )
    args = parser.parse_args(argv)

    from skill.config import get_settings

    logging.basicConfig(
        level=get_settings().log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config: dict[str, Any] = {CONFIG_VERIFY_REQUESTS: False} if args.no_verify else {}
    if args.no_verify and args.host not in {"127.0.0.1", "localhost", "::1"}:
        config[CONFIG_DEV_HOSTS] = [args.host]
    app = (create or create_app)(config)
    if args.no_verify and args.host not in {"127.0.0.1", "localhost", "::1"}:
        logger.warning(
            "serving UNVERIFIED requests on %s: reachable beyond this machine", args.host
        )
    logger.info("serving POST http://%s:%d%s", args.host, args.port, ALEXA_PATH)

    if args.server == "flask":
        app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        return 0
    from waitress import serve

    serve(app, host=args.host, port=args.port)
    return 0
