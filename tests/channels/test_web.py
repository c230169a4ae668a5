"""The Flask endpoint: routing, bad input, and every Alexa verification rule through HTTP."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import types
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from werkzeug.serving import make_server

import skill.web as entry
from skill.channels.web import app as web
from skill.config import ENV_SKILL_ID, ENV_VERIFY_REQUESTS, get_settings

from certs import CERT_URL, NOW, Pki, encode, envelope, make_pki
from support import Said

SKILL_ID = "amzn1.ask.skill.test"
REPLY = {"version": "1.0", "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak/>"}}}


class FakeSkill:
    """Stands in for skill.lambda_function.lambda_handler and records what it was given."""

    def __init__(self, reply: Any = REPLY, error: Exception | None = None) -> None:
        self.reply = reply
        self.error = error
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.calls.append((event, context))
        if self.error is not None:
            raise self.error
        return self.reply


class CountingFetcher:
    def __init__(self, pem: bytes | Exception) -> None:
        self.pem = pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        if isinstance(self.pem, Exception):
            raise self.pem
        return self.pem


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Settings are cached per process; keep the developer's environment out of these tests.
    monkeypatch.delenv(ENV_SKILL_ID, raising=False)
    monkeypatch.delenv(ENV_VERIFY_REQUESTS, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def skill() -> FakeSkill:
    return FakeSkill()


AppFactory = Callable[..., tuple[Flask, CountingFetcher]]


@pytest.fixture
def make_app(pki: Pki, skill: FakeSkill) -> AppFactory:
    def factory(
        chain: Pki | bytes | Exception | None = None, **overrides: Any
    ) -> tuple[Flask, CountingFetcher]:
        source = chain if chain is not None else pki
        fetcher = CountingFetcher(source.chain_pem() if isinstance(source, Pki) else source)
        config: dict[str, Any] = {
            "SKILL_ID": SKILL_ID,
            "TRUSTED_ROOTS": [pki.root],
            "CERT_FETCHER": fetcher,
            "CLOCK": lambda: NOW,
            "SKILL_HANDLER": skill,
            "BLUEPRINTS": [],
            **overrides,
        }
        return web.create_app(config), fetcher

    return factory


def post(app: Flask, body: bytes, headers: dict[str, str] | None = None) -> Any:
    """A POST of ``body`` as JSON, as Alexa sends it (``headers`` replace the default)."""
    sent = headers if headers is not None else {"Content-Type": "application/json"}
    return app.test_client().post("/alexa", data=body, headers=sent)


def signed_post(app: Flask, signer: Pki, body: dict[str, Any] | None = None, **kw: Any) -> Any:
    raw = encode(body if body is not None else envelope())
    return post(app, raw, signer.headers(raw, **kw))


# --- the happy path -------------------------------------------------------------------------


def test_health(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_valid_signed_request_reaches_the_skill(
    make_app: AppFactory, pki: Pki, skill: FakeSkill
) -> None:
    app, fetcher = make_app()
    body = envelope("IntentRequest", extra_request={"intent": {"name": "AMAZON.HelpIntent"}})
    response = signed_post(app, pki, body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == REPLY
    assert response.mimetype == "application/json"
    assert skill.calls == [(body, None)]
    assert fetcher.urls == [CERT_URL]


def test_chain_with_root_appended_is_accepted(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app(chain=pki.chain_pem(include_root=True))
    assert signed_post(app, pki).status_code == 200


def test_signature_is_checked_over_raw_bytes(make_app: AppFactory, pki: Pki) -> None:
    # Same JSON, different bytes (whitespace, key order): only the signed bytes verify.
    app, _ = make_app()
    raw = json.dumps(envelope(), indent=2, sort_keys=True).encode()
    assert post(app, raw, pki.headers(raw)).status_code == 200
    reencoded = encode(json.loads(raw))
    assert post(app, reencoded, pki.headers(raw)).status_code == 400


# --- certificate URL ------------------------------------------------------------------------

VALID_URLS = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
]
INVALID_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
]


@pytest.mark.parametrize("url", VALID_URLS)
def test_documented_valid_cert_urls_are_fetched(make_app: AppFactory, pki: Pki, url: str) -> None:
    app, fetcher = make_app()
    assert signed_post(app, pki, cert_url=url).status_code == 200
    assert fetcher.urls == [url]


@pytest.mark.parametrize("url", INVALID_URLS)
def test_invalid_cert_urls_are_rejected_before_fetching(
    make_app: AppFactory, pki: Pki, skill: FakeSkill, url: str
) -> None:
    app, fetcher = make_app()
    response = signed_post(app, pki, cert_url=url)
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid signature certificate URL"}
    assert fetcher.urls == []
    assert skill.calls == []


# --- certificate chain ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "error"),
    [
        (
            {"leaf_not_after": NOW - timedelta(seconds=1)},
            "signature certificate expired",
        ),
        (
            {"leaf_not_before": NOW + timedelta(seconds=1)},
            "signature certificate not yet valid",
        ),
        (
            {"dns_names": ("not-echo-api.amazon.com", "www.amazon.com")},
            "signature certificate not issued for echo-api.amazon.com",
        ),
        (
            {"dns_names": ("*.amazon.com",)},
            "signature certificate not issued for echo-api.amazon.com",
        ),
        ({"dns_names": ()}, "signature certificate not issued for echo-api.amazon.com"),
        ({"root_label": "untrusted"}, "untrusted signature certificate chain"),
    ],
    ids=["expired", "not-yet-valid", "other-names", "wildcard", "no-san", "untrusted-root"],
)
def test_bad_signing_certificates_are_rejected(
    make_app: AppFactory, skill: FakeSkill, variant: dict[str, Any], error: str
) -> None:
    bad = make_pki(**variant)
    app, _ = make_app(chain=bad)
    response = signed_post(app, bad)
    assert response.status_code == 400
    assert response.get_json() == {"error": error}
    assert skill.calls == []


def test_chain_missing_its_intermediate_is_untrusted(make_app: AppFactory, pki: Pki) -> None:
    from cryptography.hazmat.primitives import serialization

    app, _ = make_app(chain=pki.leaf.public_bytes(serialization.Encoding.PEM))
    response = signed_post(app, pki)
    assert response.get_json() == {"error": "untrusted signature certificate chain"}


def test_fetch_failure_is_a_400(make_app: AppFactory, pki: Pki) -> None:
    app, fetcher = make_app(chain=OSError("connection refused"))
    response = signed_post(app, pki)
    assert response.status_code == 400
    assert response.get_json() == {"error": "could not fetch signature certificate chain"}
    assert fetcher.urls == [CERT_URL]


def test_garbage_chain_is_a_400(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app(chain=b"<html>AccessDenied</html>")
    response = signed_post(app, pki)
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid signature certificate chain"}


def test_chain_is_fetched_once_for_many_requests(make_app: AppFactory, pki: Pki) -> None:
    app, fetcher = make_app()
    assert signed_post(app, pki).status_code == 200
    assert signed_post(app, pki).status_code == 200
    assert fetcher.urls == [CERT_URL]


# --- signature --------------------------------------------------------------------------


def test_tampered_body_is_rejected(make_app: AppFactory, pki: Pki, skill: FakeSkill) -> None:
    app, _ = make_app()
    raw = encode(envelope())
    headers = pki.headers(raw)
    tampered = raw.replace(b"LaunchRequest", b"IntentRequest")
    response = post(app, tampered, headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid request signature"}
    assert skill.calls == []


def test_signature_from_another_key_is_rejected(make_app: AppFactory, pki: Pki) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = Pki(pki.root, pki.intermediate, pki.leaf, rsa.generate_private_key(65537, 2048))
    app, _ = make_app()
    response = signed_post(app, other)
    assert response.get_json() == {"error": "invalid request signature"}


@pytest.mark.parametrize("value", ["%%%not-base64%%%", "abc"])
def test_bad_base64_signature_is_rejected(make_app: AppFactory, pki: Pki, value: str) -> None:
    app, fetcher = make_app()
    raw = encode(envelope())
    headers = pki.headers(raw) | {"Signature-256": value}
    response = post(app, raw, headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid signature encoding"}
    assert fetcher.urls == []  # rejected before any network work


@pytest.mark.parametrize(
    ("missing", "error"),
    [
        ("SignatureCertChainUrl", "missing SignatureCertChainUrl header"),
        ("Signature-256", "missing Signature-256 header"),
    ],
)
def test_missing_headers_are_rejected(
    make_app: AppFactory, pki: Pki, missing: str, error: str
) -> None:
    app, _ = make_app()
    raw = encode(envelope())
    headers = {k: v for k, v in pki.headers(raw).items() if k != missing}
    response = post(app, raw, headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": error}


def test_sha1_signature_header_alone_is_not_enough(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app()
    raw = encode(envelope())
    headers = pki.headers(raw)
    headers["Signature"] = headers.pop("Signature-256")
    assert post(app, raw, headers).get_json() == {"error": "missing Signature-256 header"}


def test_unsigned_request_is_rejected_by_default(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = post(app, encode(envelope()), {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}


# --- timestamp --------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-151, 151, -600])
def test_stale_or_future_timestamp_is_rejected(make_app: AppFactory, pki: Pki, offset: int) -> None:
    app, _ = make_app()
    response = signed_post(app, pki, envelope(timestamp=NOW + timedelta(seconds=offset)))
    assert response.status_code == 400
    assert response.get_json() == {"error": "request timestamp out of tolerance"}


def test_timestamp_at_the_edge_is_accepted(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app()
    assert (
        signed_post(app, pki, envelope(timestamp=NOW - timedelta(seconds=150))).status_code == 200
    )


def test_old_skill_disabled_event_within_an_hour_is_accepted(
    make_app: AppFactory, pki: Pki, skill: FakeSkill
) -> None:
    app, _ = make_app()
    event = envelope(
        "AlexaSkillEvent.SkillDisabled",
        timestamp=NOW - timedelta(minutes=50),
        with_session=False,
        extra_request={"eventCreationTime": "2026-03-01T11:10:00Z"},
    )
    response = signed_post(app, pki, event)
    assert response.status_code == 200
    assert skill.calls[0][0]["request"]["type"] == "AlexaSkillEvent.SkillDisabled"

    too_old = envelope(
        "AlexaSkillEvent.SkillDisabled", timestamp=NOW - timedelta(minutes=61), with_session=False
    )
    assert signed_post(app, pki, too_old).status_code == 400


# --- application id ---------------------------------------------------------------------


def test_wrong_skill_id_is_rejected(make_app: AppFactory, pki: Pki, skill: FakeSkill) -> None:
    app, _ = make_app()
    response = signed_post(app, pki, envelope(application_id="amzn1.ask.skill.someone-else"))
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid application ID"}
    assert skill.calls == []


def test_skill_id_falls_back_to_the_session(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app()
    body = envelope()
    del body["context"]
    assert signed_post(app, pki, body).status_code == 200


def test_no_configured_skill_id_accepts_any(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app(SKILL_ID=None)
    assert signed_post(app, pki, envelope(application_id="amzn1.ask.skill.any")).status_code == 200


def test_skill_id_comes_from_the_environment(
    make_app: AppFactory, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SKILL_ID, "amzn1.ask.skill.from-env")
    get_settings.cache_clear()
    config = {"SKILL_HANDLER": FakeSkill(), "TRUSTED_ROOTS": [pki.root], "BLUEPRINTS": []}
    app = web.create_app(
        config | {"CERT_FETCHER": lambda url: pki.chain_pem(), "CLOCK": lambda: NOW}
    )
    assert signed_post(app, pki).get_json() == {"error": "invalid application ID"}
    ok = envelope(application_id="amzn1.ask.skill.from-env")
    assert signed_post(app, pki, ok).status_code == 200


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe\x00", b'{"version": "1.0",'])
def test_malformed_json_is_a_400(make_app: AppFactory, raw: bytes) -> None:
    app, _ = make_app(VERIFY_REQUESTS=False)
    response = post(app, raw, {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "malformed JSON"}


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "LaunchRequest",
        {"hello": "world"},
        {"version": "1.0"},
        {"version": "1.0", "request": {}},
        {"version": "1.0", "request": {"type": ""}},
        {"version": "1.0", "request": "LaunchRequest"},
        {"request": {"type": "LaunchRequest"}},
    ],
)
def test_json_that_is_not_an_envelope_is_a_400(make_app: AppFactory, payload: Any) -> None:
    app, _ = make_app(VERIFY_REQUESTS=False)
    response = post(app, json.dumps(payload).encode())
    assert response.status_code == 400
    assert response.get_json() == {"error": "not an Alexa request envelope"}


def test_oversized_body_is_a_413(make_app: AppFactory, pki: Pki, skill: FakeSkill) -> None:
    app, fetcher = make_app(MAX_BODY_BYTES=1024)
    body = envelope(extra_request={"padding": "x" * 2048})
    response = signed_post(app, pki, body)
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body too large"}
    assert fetcher.urls == []
    assert skill.calls == []


def test_default_body_limit_is_256_kib(make_app: AppFactory) -> None:
    app, _ = make_app(VERIFY_REQUESTS=False)
    assert app.config["MAX_BODY_BYTES"] == 256 * 1024
    response = post(app, b" " * (256 * 1024 + 1))
    assert response.status_code == 413


def test_get_on_alexa_is_a_405(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = app.test_client().get("/alexa")
    assert response.status_code == 405
    assert response.get_json() == {"error": "method not allowed"}
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_a_json_404(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = app.test_client().get("/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not found"}


def test_handler_exception_is_a_json_500(
    make_app: AppFactory, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(SKILL_HANDLER=FakeSkill(error=RuntimeError("secret internals")))
    with caplog.at_level(logging.ERROR, logger="skill.channels.web.app"):
        response = signed_post(app, pki)
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}
    assert b"secret internals" not in response.data
    assert any(r.exc_info for r in caplog.records)  # the traceback goes to the log


def test_handler_returning_garbage_is_a_json_500(make_app: AppFactory, pki: Pki) -> None:
    app, _ = make_app(SKILL_HANDLER=FakeSkill(reply=None))
    response = signed_post(app, pki)
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}


def test_rejections_are_logged_on_one_line(
    make_app: AppFactory, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app()
    with caplog.at_level(logging.WARNING, logger="skill.channels.web.app"):
        signed_post(app, pki, cert_url="https://notamazon.com/echo.api/x.pem")
    [record] = [r for r in caplog.records if r.name == "skill.channels.web.app"]
    assert record.levelno == logging.WARNING
    assert "invalid signature certificate URL" in record.getMessage()
    assert "notamazon.com" in record.getMessage()
    assert "\n" not in record.getMessage()
    assert record.exc_info is None


def test_request_data_in_log_details_cannot_break_lines(
    make_app: AppFactory, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app()
    body = envelope()
    body["request"]["timestamp"] = "2026-03-01\nCRITICAL forged log entry"
    with caplog.at_level(logging.WARNING, logger="skill.channels.web.app"):
        response = signed_post(app, pki, body)
    assert response.get_json() == {"error": "invalid request timestamp"}
    [record] = [r for r in caplog.records if r.name == "skill.channels.web.app"]
    assert "\n" not in record.getMessage()
    assert "forged log entry" in record.getMessage()


def test_body_is_read_fully_despite_short_reads() -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(size or 1, 7) if size and size > 0 else 7)

    data = b"x" * 1000
    assert web._read_at_most(Trickle(data), 2000) == data
    assert web._read_at_most(Trickle(data), 101) == data[:101]


# --- turning verification off ---------------------------------------------------------------


def test_verification_off_accepts_unsigned_requests_and_warns_loudly(
    make_app: AppFactory, skill: FakeSkill, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="skill.channels.web.app"):
        app, fetcher = make_app(VERIFY_REQUESTS=False)
    assert any(
        r.levelno == logging.WARNING and "VERIFICATION IS OFF" in r.getMessage()
        for r in caplog.records
    )
    body = envelope(timestamp=NOW - timedelta(days=3))  # replayed fixtures are fine in dev
    response = post(app, encode(body))
    assert response.status_code == 200
    assert skill.calls == [(body, None)]
    assert fetcher.urls == []


def test_verification_is_on_without_a_warning_by_default(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="skill.channels.web.app"):
        app, _ = make_app()
    assert not [r for r in caplog.records if r.name == "skill.channels.web.app"]
    assert app.config["VERIFY_REQUESTS"] is True


@pytest.mark.parametrize(("value", "verify"), [("0", False), ("false", False), ("1", True)])
def test_environment_switch(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, value: str, verify: bool
) -> None:
    monkeypatch.setenv(ENV_VERIFY_REQUESTS, value)
    get_settings.cache_clear()
    app = web.create_app(
        {"SKILL_HANDLER": FakeSkill(), "BLUEPRINTS": [], "TRUSTED_ROOTS": [pki.root]}
    )
    assert app.config["VERIFY_REQUESTS"] is verify
    status = post(app, encode(envelope())).status_code
    assert status == (400 if verify else 200)


def test_string_config_flag_is_parsed(make_app: AppFactory) -> None:
    app, _ = make_app(VERIFY_REQUESTS="0")
    assert app.config["VERIFY_REQUESTS"] is False


# --- blueprints and the default handler ------------------------------------------------------


def _phone_blueprint() -> Blueprint:
    blueprint = Blueprint("phone", __name__)

    @blueprint.post("/phone/voice")
    def voice() -> str:
        return "<Response/>"

    return blueprint


def test_blueprints_from_config_are_registered(make_app: AppFactory) -> None:
    app, _ = make_app(BLUEPRINTS=[_phone_blueprint()])
    assert app.test_client().post("/phone/voice").data == b"<Response/>"


def test_phone_module_blueprint_is_registered_by_default(
    monkeypatch: pytest.MonkeyPatch, skill: FakeSkill
) -> None:
    fake = types.ModuleType("skill.channels.phone.webhooks")
    fake.blueprint = _phone_blueprint()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "skill.channels.phone.webhooks", fake)
    app = entry.create_app({"SKILL_HANDLER": skill, "VERIFY_REQUESTS": False})
    assert "phone" in app.blueprints
    # The Alexa endpoint alone has no other channel's routes: skill.web puts them together.
    assert web.create_app({"SKILL_HANDLER": skill, "VERIFY_REQUESTS": False}).blueprints == {}


def test_missing_phone_module_is_skipped(monkeypatch: pytest.MonkeyPatch, skill: FakeSkill) -> None:
    monkeypatch.setitem(
        sys.modules, "skill.channels.phone.webhooks", None
    )  # import raises ModuleNotFoundError
    app = entry.create_app({"SKILL_HANDLER": skill, "VERIFY_REQUESTS": False})
    assert app.blueprints == {}


def test_phone_module_with_a_missing_dependency_is_an_error(
    monkeypatch: pytest.MonkeyPatch, skill: FakeSkill
) -> None:
    def broken_import(name: str) -> Any:
        raise ModuleNotFoundError("No module named 'twilio'", name="twilio")

    monkeypatch.setattr(entry.importlib, "import_module", broken_import)
    with pytest.raises(ModuleNotFoundError, match="twilio"):
        entry.create_app({"SKILL_HANDLER": skill, "VERIFY_REQUESTS": False})


def test_default_handler_is_the_strict_lambda_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_skill = FakeSkill()
    fake = types.ModuleType("skill.lambda_function")
    fake.handle = fake_skill  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "skill.lambda_function", fake)
    app = web.create_app({"VERIFY_REQUESTS": False, "BLUEPRINTS": []})
    assert post(app, encode(envelope())).status_code == 200
    assert len(fake_skill.calls) == 1


def test_extra_config_keys_reach_app_config(make_app: AppFactory) -> None:
    app, _ = make_app(TWILIO_AUTH_TOKEN="token-for-the-phone-blueprint")
    assert app.config["TWILIO_AUTH_TOKEN"] == "token-for-the-phone-blueprint"


def test_real_skill_answers_a_signed_launch_request(
    pki: Pki, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # Keep the real skill's progress store in a temp dir, never the developer's data dir.
    monkeypatch.setenv("SKILL_DB_PATH", str(tmp_path / "progress.sqlite3"))
    monkeypatch.delenv("SKILL_TABLE_NAME", raising=False)
    get_settings.cache_clear()
    pytest.importorskip("skill.lambda_function")
    app = web.create_app(
        {
            "TRUSTED_ROOTS": [pki.root],
            "CERT_FETCHER": lambda url: pki.chain_pem(),
            "CLOCK": lambda: NOW,
            "SKILL_ID": SKILL_ID,
            "BLUEPRINTS": [],
        }
    )
    response = signed_post(app, pki, envelope("LaunchRequest"))
    assert response.status_code == 200, response.data
    assert response.get_json()["response"]["outputSpeech"]


# --- a real server on loopback ----------------------------------------------------------------


@pytest.fixture
def live_server(make_app: AppFactory) -> Iterator[str]:
    app, _ = make_app(MAX_BODY_BYTES=4096)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _http(url: str, data: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_over_real_http(live_server: str, pki: Pki, skill: FakeSkill) -> None:
    assert _http(f"{live_server}/health") == (200, {"status": "ok"})

    raw = encode(envelope())
    assert _http(f"{live_server}/alexa", raw, pki.headers(raw)) == (200, REPLY)
    assert skill.calls[0][0] == json.loads(raw)

    tampered = raw.replace(b"en-US", b"en-GB")
    status, payload = _http(f"{live_server}/alexa", tampered, pki.headers(raw))
    assert (status, payload) == (400, {"error": "invalid request signature"})

    assert _http(f"{live_server}/alexa")[0] == 405

    # A chunked body (no Content-Length) is capped while reading, not trusted.
    chunks = iter([b"{" + b" " * 3000, b" " * 3000 + b"}"])
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    assert _http(f"{live_server}/alexa", chunks, headers) == (
        413,
        {"error": "request body too large"},
    )


# --- command line and import cost ---------------------------------------------------------


def test_main_serves_with_waitress(monkeypatch: pytest.MonkeyPatch, skill: FakeSkill) -> None:
    served: dict[str, Any] = {}
    created: list[dict[str, Any]] = []
    real_create_app = web.create_app

    def create_app(config: dict[str, Any]) -> Flask:
        created.append(dict(config))
        return real_create_app({**config, "SKILL_HANDLER": skill, "BLUEPRINTS": []})

    def fake_serve(app: Flask, host: str, port: int) -> None:
        served.update(app=app, host=host, port=port)

    import waitress

    monkeypatch.setattr(web, "create_app", create_app)
    monkeypatch.setattr(waitress, "serve", fake_serve)
    assert web.main(["--port", "5123", "--no-verify"]) == 0
    assert created == [{"VERIFY_REQUESTS": False}]
    assert served["host"] == "127.0.0.1"
    assert served["port"] == 5123
    assert served["app"].config["VERIFY_REQUESTS"] is False

    assert web.main(["--host", "0.0.0.0"]) == 0
    assert created[-1] == {}  # verification stays on unless asked
    assert served["host"] == "0.0.0.0"


def test_main_can_use_the_flask_dev_server(
    monkeypatch: pytest.MonkeyPatch, skill: FakeSkill
) -> None:
    runs: list[dict[str, Any]] = []
    real_create_app = web.create_app
    monkeypatch.setattr(
        web, "create_app", lambda config: real_create_app({**config, "SKILL_HANDLER": skill})
    )
    monkeypatch.setattr(Flask, "run", lambda self, **kwargs: runs.append(kwargs))
    monkeypatch.setitem(sys.modules, "skill.channels.phone.webhooks", None)
    assert web.main(["--server", "flask", "--port", "5001"]) == 0
    assert runs[0]["port"] == 5001
    assert runs[0]["host"] == "127.0.0.1"


def test_main_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        web.main(["--help"])
    assert exit_info.value.code == 0
    assert "--no-verify" in capsys.readouterr().out


@pytest.mark.slow
def test_importing_the_module_stays_cheap() -> None:
    code = (
        "import sys, skill.channels.web.app\n"
        "heavy = ('boto3', 'cryptography', 'skill.lambda_function')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"


# --- envelopes the skill cannot read (real ones: tests/fixtures/real/) -----------------

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


@pytest.fixture
def real_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Flask:
    """The real skill behind the endpoint, verification off: what is tested here is what
    comes after it, with envelopes whose signatures we cannot make."""
    monkeypatch.setenv("SKILL_DB_PATH", str(tmp_path / "progress.sqlite3"))
    monkeypatch.delenv("SKILL_TABLE_NAME", raising=False)
    get_settings.cache_clear()
    from skill import lambda_function

    lambda_function.reset()
    return web.create_app({"VERIFY_REQUESTS": False, "BLUEPRINTS": []})


def real(relative: str) -> bytes:
    return (REAL / relative).read_bytes()


@pytest.mark.parametrize("path", sorted(REAL.rglob("*.json")), ids=lambda p: p.name)
def test_every_real_envelope_is_answered_or_refused_never_a_500(
    real_app: Flask, path: Path
) -> None:
    response = post(real_app, path.read_bytes())

    assert response.status_code in (200, 400), response.data
    if response.status_code == 200:
        Said(response.get_json())  # valid SSML, a reprompt when the session stays open
    else:
        assert set(response.get_json()) == {"error"}


@pytest.mark.parametrize(
    "relative",
    [
        "alexa-app/unknown_type_request.json",
        "alexa-net/NewIntent.json",
        "alexa-app/playback_controller_play_command.json",
    ],
)
def test_an_envelope_ask_sdk_cannot_read_is_a_400(
    real_app: Flask, relative: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(real_app, real(relative))

    assert response.status_code == 400
    assert response.get_json() == {"error": "unreadable Alexa request envelope"}
    rejected = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(rejected) == 1 and rejected[0].exc_info is None


def test_with_a_skill_id_an_envelope_without_context_is_a_400(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    body = real("alexa-net/LaunchRequest.json")
    skill_id = json.loads(body)["session"]["application"]["applicationId"]
    monkeypatch.setenv(ENV_SKILL_ID, skill_id)
    monkeypatch.setenv("SKILL_DB_PATH", str(tmp_path / "progress.sqlite3"))
    get_settings.cache_clear()
    from skill import lambda_function

    lambda_function.reset()
    app = web.create_app({"VERIFY_REQUESTS": False, "BLUEPRINTS": []})

    # The session names the skill, so the endpoint's own check passes; the skill's needs
    # context.System.application, which this older format does not have.
    response = post(app, body)

    assert response.status_code == 400
    lambda_function.reset()


def test_a_locale_without_templates_is_answered(real_app: Flask) -> None:
    response = post(real_app, real("jovo-v3/IntentRequestWithSlot.json"))  # de-DE
    assert response.status_code == 200
    assert "didn't quite get that" in Said(response.get_json()).text


def test_json_nested_100000_deep_is_a_400_before_verification(
    make_app: AppFactory, skill: FakeSkill, caplog: pytest.LogCaptureFixture
) -> None:
    app, fetcher = make_app()
    body = b'{"version": "1.0", "request": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    response = post(app, body)

    assert response.status_code == 400
    assert response.get_json() == {"error": "JSON nested too deep"}
    assert fetcher.urls == [] and skill.calls == []  # no certificate fetched, no skill run
    assert all(r.exc_info is None for r in caplog.records)


def test_json_nested_deeper_than_any_envelope_is_a_400(
    make_app: AppFactory, skill: FakeSkill
) -> None:
    app, fetcher = make_app()
    event = envelope()
    node = event["session"]["attributes"] = {}
    for _ in range(200):  # deep, but not too deep for json itself
        node["x"] = {}
        node = node["x"]

    response = post(app, encode(event))

    assert response.status_code == 400
    assert fetcher.urls == [] and skill.calls == []


def test_an_event_the_skill_could_not_act_on_is_a_503_so_alexa_sends_it_again(
    make_app: AppFactory, pki: Pki
) -> None:
    from skill.alexa.invoke import EventNotAcknowledged

    failing = FakeSkill(error=EventNotAcknowledged("the store is down"))
    app, _ = make_app(SKILL_HANDLER=failing)

    response = signed_post(app, pki, envelope("AlexaSkillEvent.SkillDisabled"))

    assert response.status_code == 503
    assert "again" in response.get_json()["error"]
