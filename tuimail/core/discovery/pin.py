"""Offer a pin for a server whose certificate no authority vouches for.

Apart from probing and from every connection that logs in: reading the key is a
handshake of its own over `tls.inspection_context` (which verifies nothing), stopped
right after the handshake (after STARTTLS nothing more is said); only the key's hash
leaves here.


The wizard (or any caller) asks this after a failed login or probe: if the server's
certificate fails verification *only* because it is self-signed or issued by an unknown
authority, the answer is the SHA-256 of its public key, for the user to compare with
what their provider or admin gave them. Expired, wrong-host or CN-only certificates and
unreachable servers get no pin: trusting those would hide a real problem.
Nothing secret is ever sent: the connection stops after the TLS handshake.
"""

from __future__ import annotations

import ssl

from tuimail.core.discovery.model import Candidate, ProbeResult
from tuimail.core.discovery.probe import (
    _SPEAKERS,
    UNTRUSTED_ISSUER_CODES,
    open_line_client,
)
from tuimail.core.discovery.resolver import Resolver
from tuimail.core.tls import inspection_context, spki_sha256


def certificate_pin(candidate: Candidate, resolver: Resolver, timeout: float) -> str | None:
    """The SHA-256 of the server's public key, read without verifying (nothing secret sent)."""
    context = inspection_context()
    client = None
    try:
        client, _ = open_line_client(candidate, resolver, timeout, None, None, context)
        if candidate.security == "starttls":
            _SPEAKERS[candidate.protocol](client, "starttls", context, None, inspect_only=True)
        der = client.sock.getpeercert(binary_form=True)
        return spki_sha256(der) if der else None
    except Exception:
        return None
    finally:
        if client is not None:
            client.close()


def read_pin(result: ProbeResult, resolver: Resolver, timeout: float) -> str | None:
    """For a probe that failed only for want of a known issuer: read the key (a separate
    handshake) and keep it in the result (`pin`): which pin would trust that one server."""
    if not result.untrusted_issuer:
        return None
    c = result.candidate
    result.pin = certificate_pin(c, resolver, timeout)  # worded at the edge (detect_words)
    return result.pin


def fetch_pin(
    host: str,
    port: int,
    security: str,
    protocol: str,
    *,
    timeout: float = 10.0,
    ca_file: str | None = None,
    resolver: Resolver | None = None,
) -> str | None:
    """The key's SHA-256 (hex) when the certificate is untrusted only for want of a known
    issuer; None when it verifies, fails for another reason, or the server is unreachable."""
    if security not in ("tls", "starttls"):
        return None
    candidate = Candidate(protocol, host, port, security, "config")
    resolver = resolver or Resolver()
    client = None
    try:
        client, context = open_line_client(candidate, resolver, timeout, ca_file)
        if security == "starttls":
            _SPEAKERS[protocol](client, "starttls", context, None)
    except ssl.SSLCertVerificationError as exc:
        if getattr(exc, "verify_code", None) in UNTRUSTED_ISSUER_CODES:
            return certificate_pin(candidate, resolver, timeout)
        return None
    except Exception:
        return None
    finally:
        if client is not None:
            client.close()
    return None


def format_pin(pin: str) -> str:
    """The hex pin in colon-separated pairs, easier to compare by eye."""
    clean = pin.lower().replace(":", "")
    return ":".join(clean[i : i + 2] for i in range(0, len(clean), 2))
