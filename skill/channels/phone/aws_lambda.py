"""AWS Lambda entry of the phone line: ``skill.channels.phone.aws_lambda.lambda_handler``.

infra/template.yaml puts this function behind a Lambda function URL, apart from the Alexa
function so the skill's cold path does not carry Flask or Twilio's helpers, nor this one the
Alexa SDK: the phone line runs on the turn service (skill.service.turns) directly. A function URL
(and an API Gateway HTTP API) hands the function a JSON event in "payload format 2.0"; this
module turns it into a WSGI request for a Flask app that holds the phone routes only, and
the app's response back into the JSON the URL expects. No framework adapter is needed for
that: the two formats map one to one.

The public URL Twilio signs is the endpoint's own: the scheme is HTTPS and the host is the
``requestContext.domainName`` AWS reports, so without ``PUBLIC_BASE_URL`` the signature is
checked against exactly the URL Twilio called. Set ``PUBLIC_BASE_URL`` only when a custom
domain (CloudFront, an API custom domain) sits in front.
"""

from __future__ import annotations

import base64
import io
import logging
import sys
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.test import run_wsgi_app

from skill.config import get_settings

logger = logging.getLogger(__name__)
logging.getLogger().setLevel(get_settings().log_level)

PAYLOAD_VERSION = "2.0"
# Bodies of these types go back as text; anything else base64, as the URL's format asks.
_TEXT_TYPES = ("text/", "application/json", "application/xml")


def create_phone_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A Flask app with the phone routes only: no ``/alexa`` on a public phone URL.

    ``config`` takes the phone line's keys (skill.channels.phone.settings.CONFIG_*); unset
    ones come from the environment.
    """
    from skill.channels.phone.webhooks import blueprint

    app = Flask(__name__)
    app.config.from_mapping(dict(config or {}))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        response = jsonify(error=exc.name.lower())
        response.status_code = exc.code or 500
        return response

    app.register_blueprint(blueprint)
    return app


@lru_cache(maxsize=1)
def get_app() -> Flask:
    """The app of this process, made on the first request and kept while warm."""
    return create_phone_app()


class BadEvent(ValueError):
    """Not an HTTP event this function can serve."""


def to_environ(event: Mapping[str, Any]) -> dict[str, Any]:
    """A payload-2.0 HTTP event as a WSGI environ (PEP 3333)."""
    if event.get("version") != PAYLOAD_VERSION:
        raise BadEvent(f"not a payload format {PAYLOAD_VERSION} HTTP event")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    if not isinstance(context, Mapping) or not isinstance(http, Mapping):
        raise BadEvent("no requestContext.http")
    method = str(http.get("method") or "").upper()
    host = str(context.get("domainName") or "")
    if not method or not host:
        raise BadEvent("no method or domain name")
    path = str(event.get("rawPath") or http.get("path") or "/")
    script = ""
    stage = str(context.get("stage") or "$default")
    if stage != "$default" and (path == f"/{stage}" or path.startswith(f"/{stage}/")):
        # An HTTP API stage other than $default is a prefix of every path.
        script, path = f"/{stage}", path[len(stage) + 1 :] or "/"
    body = event.get("body") or ""
    data = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode("utf-8")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script,
        # WSGI strings are bytes as latin-1; the path arrives percent-encoded.
        "PATH_INFO": unquote(path, encoding="latin-1"),
        "QUERY_STRING": str(event.get("rawQueryString") or ""),
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": str(http.get("protocol") or "HTTP/1.1"),
        "REMOTE_ADDR": str(http.get("sourceIp") or ""),
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if "content-type" in headers:
        environ["CONTENT_TYPE"] = headers["content-type"]
    for name, value in headers.items():
        if name not in {"content-type", "content-length", "host"}:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    # The endpoint's own name, which is what Twilio requested and signed.
    environ["HTTP_HOST"] = host
    cookies = event.get("cookies")
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(str(c) for c in cookies)
    return environ


def to_result(status: str, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    """A WSGI response as the function URL's response JSON."""
    out: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.append(value)
        elif name.lower() in out:
            out[name.lower()] += f", {value}"
        else:
            out[name.lower()] = value
    text = out.get("content-type", "").startswith(_TEXT_TYPES)
    result: dict[str, Any] = {
        "statusCode": int(status.split(" ", 1)[0]),
        "headers": out,
        "body": body.decode("utf-8") if text else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": not text,
    }
    if cookies:
        result["cookies"] = cookies
    return result


def handle(app: Flask, event: Mapping[str, Any]) -> dict[str, Any]:
    try:
        environ = to_environ(event)
    except (BadEvent, ValueError, TypeError, AttributeError) as exc:
        # Nothing Twilio would send: a misconfigured trigger, or a test event.
        logger.warning("phone event rejected: %.200r", str(exc))
        return {
            "statusCode": 400,
            "headers": {"content-type": "application/json"},
            "body": '{"error": "not an HTTP request event"}',
            "isBase64Encoded": False,
        }
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return to_result(status, list(headers.items()), body)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(get_app(), event)
