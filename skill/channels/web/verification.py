"""Check that an HTTP request to the skill's web endpoint was really sent by Alexa.

Implements "Verify that the request was sent by Alexa" from Amazon's *Host a Custom Skill as a
Web Service* guide with nothing but ``cryptography`` and the standard library:

1. ``SignatureCertChainUrl`` must point at ``https://s3.amazonaws.com[:443]/echo.api/...``
   (checked before anything is fetched, so the header cannot make us fetch arbitrary URLs).
2. The PEM chain at that URL is fetched (short timeout, size cap, no redirects) and validated:
   the signing (first) certificate is inside its validity dates, names ``echo-api.amazon.com``
   in its SAN, and chains to a trusted root.
3. ``Signature-256`` is a base64 RSA PKCS#1 v1.5 / SHA-256 signature of the raw body bytes by
   that certificate's key.
4. ``request.timestamp`` is within 150 s of now (skill events: up to an hour old, see below).

Why not flask-ask-sdk / ask-sdk-webservice-support: they import ``certvalidator`` whose
``oscrypto`` cannot parse OpenSSL >= 3.0.10 version strings and fails at import time
(wbond/oscrypto#75, #78). See docs/web-endpoint.md.

The certificate URL, fetching and chain validation are ``skill.channels.web.certificates``.
Chain validation uses ``cryptography.x509.verification`` (Web PKI path building, as in
cryptography >= 42), not hand-rolled signature checks: it verifies every signature on the path,
validity periods, CA basic constraints/key usage and path length, which a manual loop tends to
get subtly wrong. The chain Alexa serves is treated as a pool of intermediates, so its order
does not matter and a trailing root certificate is harmless.
"""

from __future__ import annotations

import binascii
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import verification as x509_verification

from skill.channels.web.certificates import (
    FETCH_TIMEOUT_SECONDS,
    MAX_CHAIN_BYTES,
    CertFetcher,
    VerificationError,
    aware,
    fetch_cert_chain,
    load_trusted_roots,
    parse_chain,
    validate_cert_url,
    validate_chain,
)

logger = logging.getLogger(__name__)

CERT_URL_HEADER = "SignatureCertChainUrl"
# Alexa sends both ``Signature`` (SHA-1) and ``Signature-256``; Amazon's current guide and SDKs
# verify the SHA-256 one. SHA-1 is not accepted as a fallback.
SIGNATURE_HEADER = "Signature-256"

# Amazon: "allow a tolerance of no more than 150 seconds".
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
# Skill events (AlexaSkillEvent.SkillEnabled, .SkillDisabled, .SkillPermissionAccepted, ...) are
# redelivered for up to an hour when the skill does not acknowledge them ("Delivery of events to
# the skill" in the skill-events docs), so Amazon's own SDKs accept them up to one hour old.
SKILL_EVENT_PREFIX = "AlexaSkillEvent."
SKILL_EVENT_MAX_AGE = timedelta(hours=1)

MAX_CACHED_CHAINS = 16  # Amazon rotates one URL at a time; this only bounds memory.
# A URL whose chain could not be fetched or did not validate is not tried again for a
# while: a flood of requests naming it costs one fetch, not one each.
FAILED_URL_SECONDS = 300.0
MAX_FAILED_URLS = 1024
# Threads that may wait on certificate fetches at once (fetching, or waiting for another's
# fetch of the same URL). A request that would be one more is refused at once: a flood of
# requests naming new URLs, each fetch up to 2 s, cannot take the server's threads.
MAX_WAITING_ON_FETCHES = 4
# RSA signatures are as long as the key: Amazon's is 2048 bits; 3072 and 4096 are allowed.
SIGNATURE_BYTES = frozenset({256, 384, 512})

Clock = Callable[[], datetime]


class HeaderLookup(Protocol):
    """Anything with a case-insensitive-enough ``get``: a dict, Werkzeug's ``Headers``..."""

    def get(self, key: str, /) -> str | None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- 3. the signature ---------------------------------------------------------------------


def decode_signature(value: str) -> bytes:
    try:
        # What base64.b64decode(value, validate=True) does, without its two extra calls.
        raw = binascii.a2b_base64(value.strip().encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        raise VerificationError("invalid signature encoding") from None
    if not raw:
        raise VerificationError("invalid signature encoding", "empty")
    if len(raw) not in SIGNATURE_BYTES:
        raise VerificationError("invalid signature encoding", f"{len(raw)} bytes")
    return raw


# Stateless parameter objects, made once rather than on every request.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


def verify_signature(public_key: rsa.RSAPublicKey, signature: bytes, body: bytes) -> None:
    try:
        public_key.verify(signature, body, _PKCS1V15, _SHA256)
    except InvalidSignature:
        raise VerificationError("invalid request signature") from None


# --- 4. timestamp and application id --------------------------------------------------------


def verify_timestamp(envelope: Mapping[str, Any], now: datetime) -> None:
    request = envelope.get("request")
    if not isinstance(request, Mapping):
        raise VerificationError("missing request timestamp")
    raw = request.get("timestamp")
    if not isinstance(raw, str) or not raw:
        raise VerificationError("missing request timestamp")
    try:
        sent = aware(datetime.fromisoformat(raw))
    except ValueError:
        raise VerificationError("invalid request timestamp", raw[:64]) from None
    request_type = request.get("type")
    is_skill_event = isinstance(request_type, str) and request_type.startswith(SKILL_EVENT_PREFIX)
    max_age = SKILL_EVENT_MAX_AGE if is_skill_event else TIMESTAMP_TOLERANCE
    age = now - sent
    # Redelivery only makes events older, never newer: clock skew into the future keeps the
    # normal 150 s bound even for skill events.
    if age > max_age or age < -TIMESTAMP_TOLERANCE:
        raise VerificationError("request timestamp out of tolerance", f"{raw} vs now {now}")


def application_id(envelope: Mapping[str, Any]) -> str | None:
    """context.System.application.applicationId, else session.application.applicationId."""
    for path in (("context", "System", "application"), ("session", "application")):
        node: Any = envelope
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        value = node.get("applicationId") if isinstance(node, Mapping) else None
        if isinstance(value, str) and value:
            return value
    return None


def verify_application_id(envelope: Mapping[str, Any], skill_id: str | None) -> None:
    if not skill_id:
        return
    if application_id(envelope) != skill_id:
        raise VerificationError("invalid application ID", str(application_id(envelope)))


# --- the verifier: all of the above plus a cache of validated chains ------------------------


@dataclass(frozen=True)
class _CachedKey:
    public_key: rsa.RSAPublicKey
    not_after: datetime


@dataclass
class _Pending:
    """A chain being fetched by one thread while others for the same URL wait for it."""

    done: threading.Event = field(default_factory=threading.Event)
    entry: _CachedKey | None = None
    error: VerificationError | None = None


class RequestVerifier:
    """Verifies signature and timestamp of Alexa requests; one instance per app.

    A validated signing key is cached per URL until its certificate's notAfter, so Amazon's S3
    is hit once per certificate rotation, not once per request; concurrent misses for one URL
    share a single fetch. Everything local is checked before any fetch (the URL's form, the
    signature's encoding and length, the timestamp). A URL that failed is refused for
    ``FAILED_URL_SECONDS`` without a fetch, and at most ``MAX_WAITING_ON_FETCHES`` threads
    wait on fetches at once: so unsigned requests cannot make the endpoint a fetcher, nor
    take its threads.
    """

    def __init__(
        self,
        *,
        trusted_roots: Iterable[x509.Certificate | bytes | str] | None = None,
        fetcher: CertFetcher | None = None,
        clock: Clock | None = None,
        max_chain_bytes: int = MAX_CHAIN_BYTES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = x509_verification.Store(load_trusted_roots(trusted_roots))
        self._fetcher: CertFetcher = fetcher or fetch_cert_chain
        self._clock: Clock = clock or utc_now
        self._max_chain_bytes = max_chain_bytes
        self._lock = threading.Lock()
        self._cache: dict[str, _CachedKey] = {}
        self._pending: dict[str, _Pending] = {}
        self._failed: OrderedDict[str, tuple[float, VerificationError]] = OrderedDict()
        self._waiting = threading.BoundedSemaphore(MAX_WAITING_ON_FETCHES)
        self._monotonic = monotonic  # how long a failed URL is refused

    def now(self) -> datetime:
        return aware(self._clock())

    def verify(self, headers: HeaderLookup, body: bytes, envelope: Mapping[str, Any]) -> None:
        """Raise VerificationError unless the request is signed by Alexa and fresh."""
        cert_url = headers.get(CERT_URL_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if not cert_url:
            raise VerificationError(f"missing {CERT_URL_HEADER} header")
        if not signature:
            raise VerificationError(f"missing {SIGNATURE_HEADER} header")
        # Cheap, local checks before anything goes over the network.
        validate_cert_url(cert_url)
        raw_signature = decode_signature(signature)
        now = self.now()
        verify_timestamp(envelope, now)
        public_key = self._signing_key(cert_url, now)
        verify_signature(public_key, raw_signature, body)

    def _signing_key(self, url: str, now: datetime) -> rsa.RSAPublicKey:
        # Fast path without the lock: a dict lookup is atomic and a cached entry is never
        # changed, only replaced or removed (under the lock, below).
        cached = self._cache.get(url)
        if cached is not None and now <= cached.not_after:
            return cached.public_key
        if not self._waiting.acquire(blocking=False):
            raise VerificationError("signature certificate chain not available now", "busy")
        try:
            return self._fetched_key(url, now)
        finally:
            self._waiting.release()

    def _fetched_key(self, url: str, now: datetime) -> rsa.RSAPublicKey:
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None:
                if now <= cached.not_after:
                    return cached.public_key
                del self._cache[url]
            failed = self._failed.get(url)
            if failed is not None:
                if failed[0] > self._monotonic():
                    # A fresh exception per thread: one shared instance mixes tracebacks.
                    raise VerificationError(failed[1].message, "failed lately; not fetched")
                del self._failed[url]
            pending = self._pending.get(url)
            owner = pending is None
            if pending is None:
                pending = self._pending[url] = _Pending()
        if not owner:
            if not pending.done.wait(FETCH_TIMEOUT_SECONDS * 5):
                raise VerificationError("could not fetch signature certificate chain", "timeout")
            if pending.entry is not None:
                return pending.entry.public_key
            error = pending.error or VerificationError("invalid signature certificate chain")
            raise VerificationError(error.message, error.detail)
        try:
            pending.entry = self._load(url, now)
            return pending.entry.public_key
        except VerificationError as exc:
            pending.error = exc
            raise
        except Exception as exc:
            pending.error = VerificationError("invalid signature certificate chain", repr(exc))
            raise VerificationError(pending.error.message, pending.error.detail) from exc
        finally:
            with self._lock:
                del self._pending[url]
                if pending.entry is not None:
                    self._store_in_cache(url, pending.entry, now)
                elif pending.error is not None:
                    self._failed[url] = (self._monotonic() + FAILED_URL_SECONDS, pending.error)
                    while len(self._failed) > MAX_FAILED_URLS:
                        self._failed.popitem(last=False)
            pending.done.set()

    def _store_in_cache(self, url: str, entry: _CachedKey, now: datetime) -> None:
        # Caller holds the lock. Drop expired entries, then the soonest-expiring ones.
        for key in [k for k, v in self._cache.items() if v.not_after < now]:
            del self._cache[key]
        while len(self._cache) >= MAX_CACHED_CHAINS:
            del self._cache[min(self._cache, key=lambda k: self._cache[k].not_after)]
        self._cache[url] = entry

    def _load(self, url: str, now: datetime) -> _CachedKey:
        try:
            pem = self._fetcher(url)
        except Exception as exc:  # network, HTTP, TLS, size: all mean "no usable chain"
            raise VerificationError(
                "could not fetch signature certificate chain", f"{url}: {exc!r}"
            ) from None
        if not isinstance(pem, bytes | bytearray) or len(pem) > self._max_chain_bytes:
            raise VerificationError("invalid signature certificate chain", "size or type")
        leaf = validate_chain(parse_chain(bytes(pem)), store=self._store, now=now)
        public_key = leaf.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)  # checked in validate_chain
        return _CachedKey(public_key=public_key, not_after=leaf.not_valid_after_utc)


__all__ = [
    "MAX_CHAIN_BYTES",
    "RequestVerifier",
    "VerificationError",
    "application_id",
    "decode_signature",
    "fetch_cert_chain",
    "load_trusted_roots",
    "parse_chain",
    "validate_cert_url",
    "validate_chain",
    "verify_application_id",
    "verify_signature",
    "verify_timestamp",
]
