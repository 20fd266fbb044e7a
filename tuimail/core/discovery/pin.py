"""Offer a pin for a server whose certificate no authority vouches for.

The wizard (or any caller) asks this after a failed login or probe: if the server's
certificate fails verification *only* because it is self-signed or issued by an unknown
authority, the answer is the SHA-256 of its public key, for the user to compare with
what their provider or admin gave them. Expired, wrong-host or CN-only certificates and
unreachable servers get no pin: trusting those would hide a real problem.
Nothing secret is ever sent: the connection stops after the TLS handshake.
"""

from __future__ import annotations

import ssl

from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.probe import (
    _SPEAKERS,
    UNTRUSTED_ISSUER_CODES,
    certificate_pin,
    open_line_client,
)
from tuimail.core.discovery.resolver import Resolver


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
