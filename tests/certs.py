"""A throwaway PKI for the web endpoint tests: root -> intermediate -> Alexa-like signing leaf.

The certificates follow the same Web PKI profile as Amazon's real chain (CA basic constraints,
key usages, SKI/AKI, SAN on the leaf), because the verifier checks chains with cryptography's
Web PKI path validation and would reject sloppier test certificates for reasons unrelated to
what a test means to exercise.

RSA key generation is the slow part (~50 ms a key), so the few keys are made once per process
and shared by every certificate variant.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Every test runs against this fixed instant (injected as the app's CLOCK), so certificate
# validity windows and request timestamps never depend on the wall clock.
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
ECHO_API_DOMAIN = "echo-api.amazon.com"


@cache
def _key(name: str) -> rsa.RSAPrivateKey:
    # 2048 bits: cryptography's Web PKI policy rejects smaller RSA moduli.
    del name  # only distinguishes cache entries
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ally Coach Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    path_length: int | None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    key: rsa.RSAPrivateKey,
    not_before: datetime,
    not_after: datetime,
    dns_names: Iterable[str],
) -> x509.Certificate:
    names = list(dns_names)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0] if names else "no-san.example"))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    """One root, one intermediate and one signing leaf, plus helpers to sign requests."""

    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey

    def chain_pem(self, *, include_root: bool = False) -> bytes:
        """The PEM file Alexa would serve at SignatureCertChainUrl: leaf first."""
        certs = [self.leaf, self.intermediate] + ([self.root] if include_root else [])
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    def sign(self, body: bytes) -> str:
        """Base64 RSA PKCS#1 v1.5 SHA-256 signature of the raw body, as in Signature-256."""
        raw = self.leaf_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")

    def headers(self, body: bytes, *, cert_url: str = CERT_URL) -> dict[str, str]:
        return {
            "SignatureCertChainUrl": cert_url,
            "Signature-256": self.sign(body),
            "Content-Type": "application/json; charset=utf-8",
        }


@cache
def make_pki(
    *,
    leaf_not_before: datetime = NOW - timedelta(days=30),
    leaf_not_after: datetime = NOW + timedelta(days=300),
    dns_names: tuple[str, ...] = (ECHO_API_DOMAIN,),
    root_label: str = "root",
) -> Pki:
    """Build (once per distinct arguments) a chain; ``root_label`` picks an independent root."""
    root_key = _key(f"{root_label}-root")
    inter_key = _key(f"{root_label}-intermediate")
    leaf_key = _key("leaf")
    root = _ca_cert(f"Test Root CA ({root_label})", root_key, None, root_key, None)
    intermediate = _ca_cert(f"Test Intermediate CA ({root_label})", inter_key, root, root_key, 0)
    leaf = _leaf_cert(intermediate, inter_key, leaf_key, leaf_not_before, leaf_not_after, dns_names)
    return Pki(root=root, intermediate=intermediate, leaf=leaf, leaf_key=leaf_key)


def alexa_timestamp(when: datetime) -> str:
    """Format like Alexa does: ISO 8601 UTC with a Z suffix."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    request_type: str = "LaunchRequest",
    *,
    timestamp: datetime = NOW,
    application_id: str = "amzn1.ask.skill.test",
    locale: str = "en-US",
    extra_request: Mapping[str, Any] | None = None,
    with_session: bool = True,
) -> dict[str, Any]:
    """A minimal but realistic Alexa request envelope."""
    application = {"applicationId": application_id}
    user = {"userId": "amzn1.ask.account.TESTUSER"}
    body: dict[str, Any] = {
        "version": "1.0",
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "type": request_type,
            "requestId": "amzn1.echo-api.request.test",
            "timestamp": alexa_timestamp(timestamp),
            "locale": locale,
            **(extra_request or {}),
        },
    }
    if with_session:
        body["session"] = {
            "new": True,
            "sessionId": "amzn1.echo-api.session.test",
            "application": application,
            "attributes": {},
            "user": user,
        }
    return body


def encode(body: Mapping[str, Any]) -> bytes:
    """Serialise like Alexa: compact JSON bytes (what gets signed is exactly these bytes)."""
    return json.dumps(body, separators=(",", ":")).encode("utf-8")
