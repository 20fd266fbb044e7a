"""The MX record's provider domain (mx1.mail.provider.example -> provider.example)."""

from __future__ import annotations

from tuimail.core.discovery.resolver import Resolver

# Second-level labels under two-letter country codes that are not registrable alone.
_SECOND_LEVEL = {"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"}


def provider_domain(host: str) -> str:
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def mx_hosts(resolver: Resolver, domain: str, timeout: float | None = None) -> list[str]:
    """MX targets, most preferred first (a null MX "." means: this domain takes no mail)."""
    records = sorted(resolver.query(domain, "MX", timeout), key=lambda r: r.preference)
    hosts = [str(r.exchange).rstrip(".").lower() for r in records]
    return [h for h in hosts if h]
