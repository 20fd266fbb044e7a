"""POP3 test helpers: messages, accounts on a test bed, an injectable clock, what the store
holds and what the server still has."""

from __future__ import annotations

import poplib

from tuimail.core.account import Account, ServerSettings
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.tls import client_context


def message(n: int, extra: bytes = b"") -> bytes:
    return (
        f"From: sender{n}@example.test\r\nTo: someone@example.test\r\n"
        f"Subject: message {n}\r\nMessage-ID: <m{n}@example.test>\r\n\r\n"
        f"Body of message {n}.\r\n"
    ).encode() + extra


def pop3_account(peer, user, security: str = "tls", **options) -> Account:
    port = peer.ports.pop3_tls if security == "tls" else peer.ports.pop3_starttls
    return Account(
        name="pop",
        email=user.email,
        protocol="pop3",
        username=user.login,
        ca_file=peer.ca_file,
        incoming=ServerSettings(peer.host, port, security),
        outgoing=ServerSettings(peer.host, peer.ports.smtp_tls, "tls"),
        **options,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def stored(state: StorePop3State) -> list[bytes]:
    folder = state.inbox("pop")
    rows = state.store.message_rows(folder, 0, 10_000, sort="uid")
    return sorted(state.store.body(row.id) for row in rows)


def server_count(peer, user) -> int:
    conn = poplib.POP3_SSL(
        peer.host, peer.ports.pop3_tls, context=client_context(peer.ca_file), timeout=10
    )
    try:
        conn.user(user.login)
        conn.pass_(user.password)
        return conn.stat()[0]
    finally:
        conn.quit()


def delete_on_server(peer, user, number: int) -> None:
    """Another client deletes one message."""
    conn = poplib.POP3_SSL(
        peer.host, peer.ports.pop3_tls, context=client_context(peer.ca_file), timeout=10
    )
    conn.user(user.login)
    conn.pass_(user.password)
    conn.dele(number)
    conn.quit()
