"""The MX record's provider domain (mx1.mail.provider.example -> provider.example)."""

from __future__ import annotations

import functools
import ipaddress

from publicsuffixlist import PublicSuffixList

from tuimail.core.discovery.resolver import Resolver


@functools.lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The public suffix list shipped inside the publicsuffixlist package (never fetched)."""
    return PublicSuffixList()


def provider_domain(host: str) -> str:
    """The registrable domain of a host by the public suffix list: mx.provider.co.uk ->
    provider.co.uk, mx.example.com.au -> example.com.au, a.b.kawasaki.jp -> a.b.kawasaki.jp.
    An unknown top-level domain counts as a public suffix (mx1.provider.test ->
    provider.test); an IP address or a single label is returned as it is."""
    name = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    return _public_suffixes().privatesuffix(name) or name


def mx_hosts(resolver: Resolver, domain: str, timeout: float | None = None) -> list[str]:
    """MX targets, most preferred first (a null MX "." means: this domain takes no mail)."""
    records = sorted(resolver.query(domain, "MX", timeout), key=lambda r: r.preference)
    hosts = [str(r.exchange).rstrip(".").lower() for r in records]
    return [h for h in hosts if h]
