"""The web endpoint against what an attacker would send next: replays of a signed request,
floods of unsigned ones naming new certificate URLs, bodies that are not JSON, newlines in
request fields, and other sites reaching a development endpoint."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from skill.channels.web import app as web
from skill.lambda_function import lambda_handler
from skill.service.turns import watching
from skill.web import create_app

from certs import NOW, Pki, alexa_timestamp, encode, envelope, make_pki
from support import Said, SessionDriver

USER = "amzn1.ask.account.TESTUSER"


@pytest.fixture
def pki() -> Pki:
    return make_pki()


def alexa_app(pki: Pki, **overrides: Any) -> Flask:
    """The real skill behind the endpoint, verification on, on the tests' fixed clock."""
    return web.create_app(
        {
            "TRUSTED_ROOTS": [pki.root],
            "CERT_FETCHER": lambda url: pki.chain_pem(),
            "CLOCK": lambda: NOW,
            "BLUEPRINTS": [],
            **overrides,
        }
    )


def send(app: Flask, pki: Pki, event: dict[str, Any]) -> tuple[Said, int]:
    """A signed request; the answer and how many turns it ran."""
    raw = encode(event)
    with watching() as served:
        response = app.test_client().post("/alexa", data=raw, headers=pki.headers(raw))
    assert response.status_code == 200, response.get_json()
    return Said(response.get_json()), len(served)


# --- replays ----------------------------------------------------------------------------------


def test_a_replayed_signed_request_runs_no_second_turn(pki: Pki) -> None:
    app = alexa_app(pki)
    driver = SessionDriver(user_id=USER)
    said, _ = send(app, pki, driver.launch(NOW))
    driver.update(said.raw)
    said, _ = send(app, pki, driver.intent("MotivatePartnerIntent", {}, NOW))
    driver.update(said.raw)
    captured = driver.intent("AMAZON.NextIntent", {}, NOW)

    first, turns = send(app, pki, captured)
    assert "Tip 2." in first.text and turns == 1
    again, turns = send(app, pki, captured)  # the same bytes, within the window

    assert turns == 0, "the replay ran the turn again"
    assert again.raw == first.raw  # the same answer: "Tip 2.", not "Tip 3."
    driver.update(first.raw)
    nxt, turns = send(app, pki, driver.intent("AMAZON.NextIntent", {}, NOW))
    assert "Tip 3." in nxt.text and turns == 1


def test_a_repeat_of_a_request_through_the_lambda_runs_no_second_turn() -> None:
    driver = SessionDriver(user_id=USER)
    driver.update(lambda_handler(driver.launch(), None))
    event = driver.intent("MotivatePartnerIntent", {}, None)
    with watching() as served:
        first = lambda_handler(event, None)
        second = lambda_handler(json.loads(json.dumps(event)), None)
    assert len(served) == 1 and first == second


# --- what is not JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "text/json"]
)
def test_a_body_that_is_not_json_is_a_415(pki: Pki, content_type: str | None) -> None:
    fetched: list[str] = []
    app = alexa_app(pki, CERT_FETCHER=lambda url: fetched.append(url) or pki.chain_pem())
    raw = encode(envelope())
    headers = pki.headers(raw)
    del headers["Content-Type"]
    if content_type:
        headers["Content-Type"] = content_type

    response = app.test_client().post("/alexa", data=raw, headers=headers)

    assert response.status_code == 415
    assert fetched == []


# --- log lines ----------------------------------------------------------------------------


def test_a_newline_in_a_request_field_cannot_forge_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    forged = "\nCRITICAL skill: user=admin logged in"
    driver = SessionDriver(user_id=USER)
    driver.update(lambda_handler(driver.launch(), None))
    unknown = driver.intent("Anything" + forged + "X" * 500, {}, None)
    bad_type = driver.launch()
    bad_type["request"]["type"] = "Alexa.Nothing" + forged

    with caplog.at_level(logging.INFO):
        Said(lambda_handler(unknown, None))
        lambda_handler(bad_type, None)

    quoted = [r.getMessage() for r in caplog.records if "user=admin" in r.getMessage()]
    assert len(quoted) >= 2
    for message in quoted:
        assert "\n" not in message and "\\n" in message  # quoted, on one line
        assert len(message) < 400  # and bounded


def test_the_endpoint_quotes_request_values_on_one_line(
    pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    app = alexa_app(pki, VERIFY_REQUESTS=False)
    event = envelope()
    event["request"]["type"] = "Alexa.Nothing\nCRITICAL forged"
    with caplog.at_level(logging.WARNING, logger="skill.channels.web.app"):
        response = app.test_client().post(
            "/alexa", data=encode(event), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    [record] = [r for r in caplog.records if "forged" in r.getMessage()]
    assert "\n" not in record.getMessage()


# --- a development endpoint is this machine's -----------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},  # DNS rebinding: the attacker's name, resolving here
        {"Host": "localhost:5000", "Origin": "https://evil.example"},
        {"Host": "localhost:5000", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_with_verification_off_other_sites_are_refused(pki: Pki, headers: dict[str, str]) -> None:
    app = alexa_app(pki, VERIFY_REQUESTS=False, SKILL_HANDLER=lambda e, c: {"version": "1.0"})
    raw = encode(envelope())
    client = app.test_client()

    refused = client.post(
        "/alexa", data=raw, headers={"Content-Type": "application/json", **headers}
    )
    allowed = client.post("/alexa", data=raw, headers={"Content-Type": "application/json"})

    assert refused.status_code == 403 and allowed.status_code == 200


def test_verification_on_serves_any_host(pki: Pki) -> None:
    # Behind the HTTPS proxy Alexa calls the public name: signatures are the proof there.
    app = alexa_app(pki, SKILL_HANDLER=lambda e, c: {"version": "1.0"})
    raw = encode(envelope())
    headers = {**pki.headers(raw), "Host": "coach.example.com"}
    assert app.test_client().post("/alexa", data=raw, headers=headers).status_code == 200


def test_the_phone_line_unsigned_is_this_machines_only() -> None:
    app = create_app(
        {"VERIFY_REQUESTS": False, "PHONE_ALLOW_UNSIGNED": True, "TWILIO_AUTH_TOKEN": ""}
    )
    client = app.test_client()
    form = {"CallSid": "CA" + "1" * 32, "From": "+15551234567", "To": "+15557654321"}
    assert (
        client.post("/phone/voice", data=form, headers={"Host": "evil.example"}).status_code == 403
    )
    cross = {"Origin": "https://evil.example"}
    assert client.post("/phone/voice", data=form, headers=cross).status_code == 403
    assert client.post("/phone/voice", data=form).status_code == 200


# --- a flood of unsigned requests naming new certificate URLs ---------------------------------


@pytest.fixture
def blocked_outbound(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Outbound HTTPS as behind a firewall that drops packets: each connect hangs for its
    whole timeout, then fails. (Plain HTTP, which the test itself talks, is untouched.)"""
    tried: list[str] = []

    def hang(self: http.client.HTTPSConnection) -> None:
        tried.append(self.host)
        timeout = self.timeout if isinstance(self.timeout, int | float) else 10.0
        time.sleep(timeout)
        raise TimeoutError("outbound connections are blocked in this test")

    monkeypatch.setattr(http.client.HTTPSConnection, "connect", hang)
    return tried


@pytest.fixture
def served(pki: Pki) -> Iterator[int]:
    """The endpoint under waitress with 8 threads (as production's --threads 8), verifying
    with the real fetcher."""
    from waitress.server import create_server

    app = web.create_app({"CLOCK": lambda: NOW, "BLUEPRINTS": [], "TRUSTED_ROOTS": [pki.root]})
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)  # type: ignore[union-attr]
    finally:
        server.close()


def _request(port: int, method: str, path: str, body: bytes = b"", **headers: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.slow
def test_a_flood_of_unsigned_requests_with_new_certificate_urls_does_not_stall_health(
    served: int, blocked_outbound: list[str]
) -> None:
    body = encode(envelope(timestamp=NOW - timedelta(seconds=5)))
    statuses: list[int] = []

    def attack(n: int) -> None:
        signature = base64.b64encode(os.urandom(256)).decode()
        statuses.append(
            _request(
                served,
                "POST",
                "/alexa",
                body,
                **{
                    "Content-Type": "application/json",
                    "SignatureCertChainUrl": f"https://s3.amazonaws.com/echo.api/x{n}.pem",
                    "Signature-256": signature,
                },
            )
        )

    attackers = [threading.Thread(target=attack, args=(n,)) for n in range(32)]
    for thread in attackers:
        thread.start()
    time.sleep(0.2)  # the flood is in
    slowest = 0.0
    for _ in range(10):
        started = time.monotonic()
        assert _request(served, "GET", "/health") == 200
        slowest = max(slowest, time.monotonic() - started)
    for thread in attackers:
        thread.join(30)

    assert slowest < 0.5, f"/health took {slowest:.2f} s during the flood"
    assert statuses == [400] * 32  # none was processed
    assert 1 <= len(blocked_outbound) <= 4  # a few fetches at once, the rest refused at once


def test_the_timestamp_is_checked_before_any_fetch(pki: Pki) -> None:
    fetched: list[str] = []
    app = alexa_app(pki, CERT_FETCHER=lambda url: fetched.append(url) or pki.chain_pem())
    event = envelope(timestamp=NOW - timedelta(hours=2))
    event["request"]["timestamp"] = alexa_timestamp(NOW - timedelta(hours=2))
    raw = encode(event)
    response = app.test_client().post("/alexa", data=raw, headers=pki.headers(raw))
    assert response.status_code == 400 and fetched == []


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/cert.pem?x=1",
        "https://s3.amazonaws.com/echo.api/cert.pem#frag",
        "https://s3.amazonaws.com/echo.api/sub/dir/cert.pem",
        "https://s3.amazonaws.com/echo.api/%2e%2e/cert.pem",
        "https://s3.amazonaws.com/echo.api/cert.txt",
        "https://s3.amazonaws.com/echo.api/" + "a" * 400 + ".pem",
    ],
)
def test_only_amazons_documented_certificate_url_forms_are_fetched(pki: Pki, url: str) -> None:
    fetched: list[str] = []
    app = alexa_app(pki, CERT_FETCHER=lambda u: fetched.append(u) or pki.chain_pem())
    raw = encode(envelope())
    response = app.test_client().post("/alexa", data=raw, headers=pki.headers(raw, cert_url=url))
    assert response.status_code == 400 and fetched == []
