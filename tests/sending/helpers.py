"""Shared bits for the sending tests: accounts pointed at a test bed."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from tuimail.core.account import Account, ServerSettings


def make_account(
    email: str = "me@example.test",
    *,
    host: str = "127.0.0.1",
    smtp_port: int = 465,
    security: str = "tls",
    imap_port: int = 993,
    ca_file: str | None = None,
    login: str | None = None,
    **kw,
) -> Account:
    return Account(
        name=kw.pop("name", "test"),
        email=email,
        incoming=ServerSettings(host, imap_port, "tls"),
        outgoing=ServerSettings(host, smtp_port, security),  # type: ignore[arg-type]
        ca_file=ca_file,
        username=login,
        **kw,
    )


def account_for(peer, user, *, security: str = "tls", **kw) -> Account:
    port = peer.ports.smtp_tls if security == "tls" else peer.ports.smtp_starttls
    return make_account(
        user.email,
        host=peer.host,
        smtp_port=port,
        security=security,
        imap_port=peer.ports.imap_tls,
        ca_file=peer.ca_file,
        login=user.login,
        **kw,
    )


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)
