"""A trusted (pinned) server key that changed: found by reading the servers' keys (a
handshake of its own, nothing sent), and the account with the new keys trusted instead.

Used by the app's Diagnose screen: one place to see the old and new hash of the incoming
and outgoing server and trust the new key, for that host and port only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tuimail.core.account import Account


@dataclass(frozen=True)
class KeyChange:
    role: str  # "incoming" | "outgoing"
    host: str
    port: int
    trusted: str  # the pin in the account (hex SHA-256 of the key)
    now: str  # the SHA-256 of the key the server shows now


def _normal(pin: str) -> str:
    return pin.lower().replace(":", "").strip()


def find_key_changes(
    account: Account, timeout: float = 10.0, nameserver: str | None = None
) -> list[KeyChange]:
    """The pinned servers of `account` whose key is not the pinned one now (a server that
    cannot be reached is not listed: nothing is known about its key)."""
    from tuimail.core.discovery.model import Candidate
    from tuimail.core.discovery.pin import certificate_pin
    from tuimail.core.discovery.resolver import Resolver

    resolver = Resolver(nameserver, timeout)
    out: list[KeyChange] = []
    servers = (
        ("incoming", account.protocol, account.incoming),
        ("outgoing", "smtp", account.outgoing),
    )
    for role, protocol, server in servers:
        if not server.pinned_sha256 or server.security == "plain":
            continue
        candidate = Candidate(protocol, server.host, server.port, server.security, "config")
        now = certificate_pin(candidate, resolver, timeout)
        if now and _normal(now) != _normal(server.pinned_sha256):
            out.append(KeyChange(role, server.host, server.port, server.pinned_sha256, now))
    return out


def with_new_keys(account: Account, changes: list[KeyChange]) -> Account:
    """`account` trusting the new keys of these servers (same host and port only)."""
    updated = account
    for change in changes:
        server = getattr(updated, change.role)
        if (server.host, server.port) == (change.host, change.port):
            updated = replace(updated, **{change.role: replace(server, pinned_sha256=change.now)})
    return updated
