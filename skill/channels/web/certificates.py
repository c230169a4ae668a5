"""The certificate side of Alexa's request signatures: the chain's URL, fetching it, and
validating the chain to a trusted root (``skill.channels.web.verification`` has the rest).

The URL must be one of the forms Amazon documents, ``https://s3.amazonaws.com[:443]/echo.api/
<name>.pem`` (checked before anything is fetched, so the header cannot make us fetch
arbitrary URLs; ``..`` segments are folded first, as Amazon's own examples require).
The PEM chain there is fetched (short timeout, size cap, no redirects) and validated with
``cryptography.x509.verification`` (Web PKI path building): the signing (first) certificate
is inside its validity dates, names ``echo-api.amazon.com`` in its SAN, and chains to a
trusted root.
"""

from __future__ import annotations

import logging
import posixpath
import re
import urllib.request
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification as x509_verification

logger = logging.getLogger(__name__)

CERT_URL_SCHEME = "https"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PORT = 443
CERT_URL_PATH_PREFIX = "/echo.api/"  # case-sensitive, after normalising ``..`` segments
# The file under the prefix: Amazon's are named like echo-api-cert-12.pem. One segment,
# no escapes, no query or fragment: nothing else is a form Amazon documents or uses.
CERT_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.pem")
MAX_CERT_URL_CHARS = 300
ECHO_API_DOMAIN = "echo-api.amazon.com"
FETCH_TIMEOUT_SECONDS = 2.0
MAX_CHAIN_BYTES = 64 * 1024  # Amazon's chain is ~5 KiB; anything huge is not it.

CertFetcher = Callable[[str], bytes]


class VerificationError(Exception):
    """A request failed verification.

    ``message`` is short and safe to return to the caller; ``detail`` is for the log only.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def aware(value: datetime) -> datetime:
    # An injected clock may hand back a naive datetime; treat it as UTC rather than crash.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- 1. the certificate URL ---------------------------------------------------------------


@lru_cache(maxsize=64)  # one URL serves every request until Amazon rotates it
def validate_cert_url(url: str) -> None:
    """Reject a SignatureCertChainUrl that does not match Amazon's documented format.

    Only URLs that pass are remembered (an exception is never cached), so the cache can
    hold nothing but valid URLs, and at most 64 of them."""
    error = VerificationError("invalid signature certificate URL", repr(url[:300]))
    if len(url) > MAX_CERT_URL_CHARS or not url.isascii():
        raise error
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise error from None
    if parts.scheme.lower() != CERT_URL_SCHEME:
        raise error
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise error
    # ``hostname`` drops credentials; a URL carrying user:password@ is not Amazon's.
    if parts.username is not None or parts.password is not None:
        raise error
    if port is not None and port != CERT_URL_PORT:
        raise error
    # normpath folds "/echo.api/../echo.api/x" to "/echo.api/x" and "/echo.api/../x" to "/x",
    # so path traversal cannot escape the prefix. It keeps a leading "//", which then fails.
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise error
    if parts.query or parts.fragment or "%" in parts.path:
        raise error
    if not CERT_FILE_NAME.fullmatch(path.removeprefix(CERT_URL_PATH_PREFIX)):
        raise error


# --- 2. fetching and validating the chain -----------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # The URL was validated above; following a redirect would fetch a URL that was not.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_cert_chain(
    url: str, *, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_CHAIN_BYTES
) -> bytes:
    """Default fetcher: GET ``url`` with a short timeout, no redirects and a size cap."""
    import ssl  # only needed when really fetching

    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    opener = urllib.request.build_opener(
        _NoRedirect(), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(url, timeout=timeout) as response:
        status = getattr(response, "status", 200)
        if status != 200:
            raise OSError(f"HTTP {status}")
        data: bytes = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"certificate chain larger than {max_bytes} bytes")
    return data


def load_trusted_roots(
    roots: Iterable[x509.Certificate | bytes | str] | None = None,
) -> list[x509.Certificate]:
    """Trust anchors: the given certificates/PEM blobs, or certifi's Mozilla bundle."""
    if roots is None:
        import certifi

        with open(certifi.where(), "rb") as handle:
            return _load_bundle_leniently(handle.read())
    loaded: list[x509.Certificate] = []
    for item in roots:
        if isinstance(item, x509.Certificate):
            loaded.append(item)
        else:
            data = item.encode("ascii") if isinstance(item, str) else item
            loaded.extend(x509.load_pem_x509_certificates(data))
    if not loaded:
        raise ValueError("no trusted root certificates given")
    return loaded


_PEM_END = b"-----END CERTIFICATE-----"


def _load_bundle_leniently(bundle: bytes) -> list[x509.Certificate]:
    # The Mozilla bundle holds a few old roots that newer cryptography releases warn about
    # (e.g. a non-positive serial) or may one day refuse. One odd root must not make every
    # request fail, so parse certificate by certificate and skip the ones that do not load.
    roots: list[x509.Certificate] = []
    for block in bundle.split(_PEM_END):
        if b"-----BEGIN CERTIFICATE-----" not in block:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            try:
                roots.append(x509.load_pem_x509_certificate(block + _PEM_END))
            except ValueError:
                logger.debug("skipping a trusted root that cryptography cannot parse")
    return roots


def parse_chain(pem: bytes) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise VerificationError("invalid signature certificate chain", str(exc)) from None
    if not chain:  # pragma: no cover - cryptography raises on an empty bundle
        raise VerificationError("invalid signature certificate chain", "no certificates")
    return chain


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.get_values_for_type(x509.DNSName)]


def _build_verifier(store: x509_verification.Store, now: datetime) -> Any:
    builder = x509_verification.PolicyBuilder().store(store).time(now)
    if hasattr(builder, "extension_policies"):  # cryptography >= 45
        # The default end-entity policy demands serverAuth in ExtendedKeyUsage when the
        # extension is present. Alexa's docs ask for no EKU at all, and rejecting Amazon's
        # real certificate over an EKU detail would take the skill down, so relax just that.
        ee_policy = x509_verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.ExtendedKeyUsage, x509_verification.Criticality.AGNOSTIC, None
        )
        builder = builder.extension_policies(
            ca_policy=x509_verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=ee_policy,
        )
    return builder.build_server_verifier(x509_verification.DNSName(ECHO_API_DOMAIN))


def validate_chain(
    chain: list[x509.Certificate], *, store: x509_verification.Store, now: datetime
) -> x509.Certificate:
    """Check the signing certificate and its chain of trust; return the signing certificate."""
    leaf, intermediates = chain[0], chain[1:]
    # Explicit checks first, so the log says which rule failed; the path validation below
    # would catch these too, with a less specific message.
    if now < leaf.not_valid_before_utc:
        raise VerificationError(
            "signature certificate not yet valid", f"notBefore {leaf.not_valid_before_utc}"
        )
    if now > leaf.not_valid_after_utc:
        raise VerificationError(
            "signature certificate expired", f"notAfter {leaf.not_valid_after_utc}"
        )
    # Exact name, no wildcards: Amazon's guide says the domain must be present in the SAN.
    if ECHO_API_DOMAIN not in _dns_names(leaf):
        raise VerificationError(
            f"signature certificate not issued for {ECHO_API_DOMAIN}", repr(_dns_names(leaf))
        )
    if not isinstance(leaf.public_key(), rsa.RSAPublicKey):
        raise VerificationError("unsupported signature certificate key")
    try:
        _build_verifier(store, now).verify(leaf, intermediates)
    except x509_verification.VerificationError as exc:
        raise VerificationError("untrusted signature certificate chain", str(exc)) from None
    return leaf
