"""The one place that builds client TLS contexts.

Every connection tuimail makes (IMAP, POP3, SMTP, autoconfig HTTPS, probes) gets its
context here: certificates verified, TLS 1.2 or newer, hostname checked against the SAN
only (no CN fallback, RFC 9525), SNI sent by the caller's server_hostname.

A user may trust one self-signed certificate for one host and port: it is pinned by the
SHA-256 of its public key (SPKI). Such a context does not verify the chain, so the caller
must call `check_pin` on the peer certificate right after the handshake, before sending
anything (`verify_peer` does it for a connected socket).
"""

from __future__ import annotations

import hashlib
import hmac
import ssl

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class CertificatePinError(ssl.SSLError):
    """The server's key is not the one the user chose to trust."""


def client_context(
    ca_file: str | None = None, *, pinned_sha256: str | None = None
) -> ssl.SSLContext:
    """A verifying client context; `ca_file` adds a trust anchor to the system's."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.hostname_checks_common_name = False
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if pinned_sha256:
        # The chain of a self-signed certificate cannot verify; the pin replaces it.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def spki_sha256(der_certificate: bytes) -> str:
    """Hex SHA-256 of the certificate's SubjectPublicKeyInfo (what a pin names)."""
    cert = x509.load_der_x509_certificate(der_certificate)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def check_pin(der_certificate: bytes | None, pinned_sha256: str | None) -> None:
    """Raise CertificatePinError unless the certificate's key matches the pin."""
    if not pinned_sha256:
        return
    if not der_certificate:
        raise CertificatePinError("the server sent no certificate")
    actual = spki_sha256(der_certificate)
    expected = pinned_sha256.lower().replace(":", "")
    if not hmac.compare_digest(actual, expected):
        raise CertificatePinError(
            "the server's certificate is not the one you chose to trust "
            f"(its key is {actual[:16]}..., the pinned one {expected[:16]}...)"
        )


def verify_peer(sock: ssl.SSLSocket, pinned_sha256: str | None) -> None:
    """Apply the pin (if any) to a connected TLS socket."""
    check_pin(sock.getpeercert(binary_form=True), pinned_sha256)


def describe_ssl_error(exc: BaseException) -> str:
    """A sentence a user can act on, for a failed TLS handshake."""
    if isinstance(exc, CertificatePinError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        message = getattr(exc, "verify_message", "") or str(exc)
        reasons = {
            10: "the server's certificate has expired",
            9: "the server's certificate is not valid yet",
            18: "the server's certificate is self-signed and not trusted",
            19: "the server's certificate chain ends in an untrusted self-signed root",
            20: "the server's certificate was issued by an unknown authority",
            21: "the server's certificate could not be verified (incomplete chain)",
            62: "the server's certificate does not name this host",
        }
        if code in reasons:
            return f"{reasons[code]} ({message})"
        if "hostname" in message.lower() or "ip address mismatch" in message.lower():
            return f"the server's certificate does not name this host ({message})"
        return f"the server's certificate could not be verified ({message})"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if str(reason).upper() in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"):
            return f"the server did not answer with TLS; it sent something else ({reason})"
        if "VERSION" in str(reason).upper() or "PROTOCOL" in str(reason).upper():
            return f"the server does not speak TLS 1.2 or newer ({reason})"
        return f"the TLS handshake failed ({reason})"
    return str(exc)
