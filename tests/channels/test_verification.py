"""Unit tests of skill.channels.web.verification: URL rules, timestamps, chain cache and the
default fetcher."""

from __future__ import annotations

import base64
import http.server
import threading
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from skill.channels.web import verification
from skill.channels.web.verification import (
    RequestVerifier,
    VerificationError,
    application_id,
    decode_signature,
    fetch_cert_chain,
    load_trusted_roots,
    validate_cert_url,
    verify_application_id,
    verify_timestamp,
)

from certs import CERT_URL, NOW, alexa_timestamp, encode, envelope, make_pki

# Every example from Amazon's "Verifying the signature certificate URL", plus case variants.
VALID_CERT_URLS = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://S3.AmazonAWS.com/echo.api/echo-api-cert.pem",
]
INVALID_CERT_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",  # wrong protocol
    "https://notamazon.com/echo.api/echo-api-cert.pem",  # wrong host
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",  # path is case-sensitive
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",  # wrong path
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",  # wrong port
    # Beyond the docs: tricks that a naive prefix check would let through.
    "https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "https://evil.example/?https://s3.amazonaws.com/echo.api/x.pem",
    "https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com//echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api",
    "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "",
]


@pytest.mark.parametrize("url", VALID_CERT_URLS)
def test_documented_valid_cert_urls_pass(url: str) -> None:
    validate_cert_url(url)


@pytest.mark.parametrize("url", INVALID_CERT_URLS)
def test_invalid_cert_urls_are_rejected(url: str) -> None:
    with pytest.raises(VerificationError, match="invalid signature certificate URL"):
        validate_cert_url(url)


# --- timestamps -------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, -150, 150, -30, 60])
def test_timestamp_within_150_seconds_is_accepted(offset: int) -> None:
    verify_timestamp(envelope(timestamp=NOW + timedelta(seconds=offset)), NOW)


@pytest.mark.parametrize("offset", [-151, 151, -3600])
def test_timestamp_outside_150_seconds_is_rejected(offset: int) -> None:
    with pytest.raises(VerificationError, match="out of tolerance"):
        verify_timestamp(envelope(timestamp=NOW + timedelta(seconds=offset)), NOW)


@pytest.mark.parametrize(
    "request_type",
    ["AlexaSkillEvent.SkillDisabled", "AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent.X"],
)
def test_skill_events_may_be_up_to_an_hour_old(request_type: str) -> None:
    verify_timestamp(envelope(request_type, timestamp=NOW - timedelta(minutes=59)), NOW)
    verify_timestamp(envelope(request_type, timestamp=NOW - timedelta(hours=1)), NOW)
    with pytest.raises(VerificationError, match="out of tolerance"):
        verify_timestamp(envelope(request_type, timestamp=NOW - timedelta(minutes=61)), NOW)
    # Redelivery makes events older, never newer: the future bound stays 150 s.
    with pytest.raises(VerificationError, match="out of tolerance"):
        verify_timestamp(envelope(request_type, timestamp=NOW + timedelta(seconds=151)), NOW)


def test_other_request_types_do_not_get_the_skill_event_allowance() -> None:
    with pytest.raises(VerificationError):
        verify_timestamp(envelope("SessionEndedRequest", timestamp=NOW - timedelta(minutes=5)), NOW)


def test_fractional_and_offset_timestamps_parse() -> None:
    body = envelope()
    body["request"]["timestamp"] = "2026-03-01T12:00:10.52Z"
    verify_timestamp(body, NOW)
    body["request"]["timestamp"] = "2026-03-01T13:00:10+01:00"
    verify_timestamp(body, NOW)
    body["request"]["timestamp"] = "2026-03-01T12:00:10"  # no zone: read as UTC
    verify_timestamp(body, NOW)


@pytest.mark.parametrize("value", [None, "", 1234567890, "yesterday", "2026-13-01T00:00:00Z"])
def test_missing_or_garbled_timestamp_is_rejected(value: Any) -> None:
    body = envelope()
    body["request"]["timestamp"] = value
    with pytest.raises(VerificationError, match="timestamp"):
        verify_timestamp(body, NOW)


def test_alexa_timestamp_helper_round_trips() -> None:
    assert alexa_timestamp(NOW) == "2026-03-01T12:00:00Z"


# --- application id -----------------------------------------------------------------------


def test_application_id_prefers_context_then_session() -> None:
    body = envelope(application_id="amzn1.ask.skill.ctx")
    body["session"]["application"] = {"applicationId": "amzn1.ask.skill.session"}
    assert application_id(body) == "amzn1.ask.skill.ctx"
    del body["context"]
    assert application_id(body) == "amzn1.ask.skill.session"
    del body["session"]
    assert application_id(body) is None


def test_verify_application_id() -> None:
    body = envelope(application_id="amzn1.ask.skill.mine")
    verify_application_id(body, "amzn1.ask.skill.mine")
    verify_application_id(body, None)  # nothing configured: nothing to compare
    with pytest.raises(VerificationError, match="invalid application ID"):
        verify_application_id(body, "amzn1.ask.skill.other")


# --- signature decoding -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["not base64!", "abc", "", "   ", "QUJD\u00e9", "QUJD\nRA==", "=QUJD", "QQ==QQ=="],
)
def test_bad_base64_signature_is_rejected(value: str) -> None:
    with pytest.raises(VerificationError, match="invalid signature encoding"):
        decode_signature(value)


def test_signature_decoding_strips_surrounding_whitespace() -> None:
    raw = bytes(range(256))
    assert decode_signature(f" {base64.b64encode(raw).decode()}\n") == raw


@pytest.mark.parametrize("length", [1, 3, 255, 257, 1024])
def test_a_signature_no_rsa_key_could_make_is_refused_before_any_fetch(length: int) -> None:
    with pytest.raises(VerificationError, match="invalid signature encoding"):
        decode_signature(base64.b64encode(b"x" * length).decode())


# --- trusted roots ------------------------------------------------------------------------


def test_default_roots_come_from_certifi_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        roots = load_trusted_roots()
    assert len(roots) > 50
    assert any("Amazon Root CA 1" in r.subject.rfc4514_string() for r in roots)


def test_roots_may_be_given_as_pem_or_certificates() -> None:
    pki = make_pki()
    pem = pki.root.public_bytes(serialization.Encoding.PEM)
    assert load_trusted_roots([pem]) == [pki.root]
    assert load_trusted_roots([pem.decode()]) == [pki.root]
    assert load_trusted_roots([pki.root]) == [pki.root]
    with pytest.raises(ValueError):
        load_trusted_roots([])


# --- the verifier's chain cache -------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _signed(pki: Any, **kwargs: Any) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    body = envelope(**kwargs)
    raw = encode(body)
    return pki.headers(raw), raw, body


def test_cache_is_dropped_when_the_leaf_expires() -> None:
    pki = make_pki()
    calls: list[str] = []

    def fetcher(url: str) -> bytes:
        calls.append(url)
        return pki.chain_pem()

    clock = Clock(NOW)
    verifier = RequestVerifier(trusted_roots=[pki.root], fetcher=fetcher, clock=clock)
    verifier.verify(*_signed(pki))
    verifier.verify(*_signed(pki))
    assert calls == [CERT_URL]
    clock.now = pki.leaf.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(VerificationError, match="expired"):
        verifier.verify(*_signed(pki, timestamp=clock.now))
    assert len(calls) == 2  # refetched: Amazon may have rotated the certificate


def test_a_failed_fetch_is_remembered_for_a_while_then_tried_again() -> None:
    pki = make_pki()
    outcomes: list[Any] = [OSError("S3 hiccup"), pki.chain_pem()]

    def fetcher(url: str) -> bytes:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    ticks = [0.0]
    verifier = RequestVerifier(
        trusted_roots=[pki.root], fetcher=fetcher, clock=lambda: NOW, monotonic=lambda: ticks[0]
    )
    for _ in range(20):  # a flood naming the URL that failed: one fetch, not twenty
        with pytest.raises(VerificationError, match="could not fetch"):
            verifier.verify(*_signed(pki))
    assert len(outcomes) == 1
    ticks[0] += verification.FAILED_URL_SECONDS + 1
    verifier.verify(*_signed(pki))
    assert outcomes == []


def test_concurrent_misses_share_one_fetch_and_only_a_few_wait() -> None:
    pki = make_pki()
    calls: list[str] = []
    release = threading.Event()

    def slow_fetcher(url: str) -> bytes:
        calls.append(url)
        release.wait(5)
        return pki.chain_pem()

    verifier = RequestVerifier(trusted_roots=[pki.root], fetcher=slow_fetcher, clock=lambda: NOW)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            verifier.verify(*_signed(pki))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    waiting = verification.MAX_WAITING_ON_FETCHES
    threads = [threading.Thread(target=worker) for _ in range(waiting + 2)]
    for thread in threads:
        thread.start()
    while not calls:
        threading.Event().wait(0.01)
    threading.Event().wait(0.05)  # let the other threads reach the wait
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == [CERT_URL]
    # Beyond the few that may wait, requests are refused at once rather than held.
    assert len(errors) == 2
    assert all("not available now" in str(error) for error in errors)


def test_concurrent_waiters_see_the_owner_failure() -> None:
    pki = make_pki()
    started = threading.Event()
    release = threading.Event()

    def failing_fetcher(url: str) -> bytes:
        started.set()
        release.wait(5)
        raise OSError("down")

    verifier = RequestVerifier(trusted_roots=[pki.root], fetcher=failing_fetcher, clock=lambda: NOW)
    messages: list[str] = []

    def worker() -> None:
        try:
            verifier.verify(*_signed(pki))
        except VerificationError as exc:
            messages.append(exc.message)

    owner = threading.Thread(target=worker)
    owner.start()
    started.wait(5)
    waiter = threading.Thread(target=worker)
    waiter.start()
    threading.Event().wait(0.05)
    release.set()
    owner.join(5)
    waiter.join(5)
    assert messages == ["could not fetch signature certificate chain"] * 2


@pytest.mark.parametrize(
    "payload",
    [b"", b"not a pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
)
def test_unparsable_chain_is_rejected(payload: bytes) -> None:
    pki = make_pki()
    verifier = RequestVerifier(
        trusted_roots=[pki.root], fetcher=lambda url: payload, clock=lambda: NOW
    )
    with pytest.raises(VerificationError, match="invalid signature certificate chain"):
        verifier.verify(*_signed(pki))


def test_oversized_chain_from_fetcher_is_rejected() -> None:
    pki = make_pki()
    huge = pki.chain_pem() + b"\n" * verification.MAX_CHAIN_BYTES
    verifier = RequestVerifier(
        trusted_roots=[pki.root], fetcher=lambda url: huge, clock=lambda: NOW
    )
    with pytest.raises(VerificationError, match="invalid signature certificate chain"):
        verifier.verify(*_signed(pki))


def test_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verification, "MAX_CACHED_CHAINS", 3)
    pki = make_pki()
    verifier = RequestVerifier(
        trusted_roots=[pki.root], fetcher=lambda url: pki.chain_pem(), clock=lambda: NOW
    )
    for i in range(5):
        body = encode(envelope())
        headers = pki.headers(body, cert_url=f"https://s3.amazonaws.com/echo.api/c{i}.pem")
        verifier.verify(headers, body, envelope())
    assert len(verifier._cache) == 3


# --- the default fetcher, against a loopback HTTP server -------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_default_fetcher_reads_redirects_and_caps(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = make_pki().chain_pem()
    monkeypatch.setattr(
        _Handler,
        "routes",
        {
            "/ok.pem": (200, {}, pem),
            "/big.pem": (200, {}, b"x" * 2048),
            "/moved.pem": (302, {"Location": "/ok.pem"}, b""),
        },
    )
    assert fetch_cert_chain(f"{http_server}/ok.pem") == pem
    with pytest.raises(OSError, match="larger than"):
        fetch_cert_chain(f"{http_server}/big.pem", max_bytes=1024)
    with pytest.raises(OSError):  # redirects are not followed
        fetch_cert_chain(f"{http_server}/moved.pem")
    with pytest.raises(OSError):
        fetch_cert_chain(f"{http_server}/missing.pem")
