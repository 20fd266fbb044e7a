"""Prove a login works (IMAP or POP3, and SMTP AUTH) before an account is saved."""

from __future__ import annotations

import base64
import poplib
from dataclasses import dataclass

from imapclient.exceptions import IMAPClientError, LoginError

from tuimail.core.account import Account, ServerSettings
from tuimail.core.connect import open_imap, open_pop3
from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.probe import (
    ProbeError,
    describe_failure,
    open_line_client,
    smtp_auth,
    smtp_session,
)
from tuimail.core.discovery.resolver import DNSError, Resolver
from tuimail.core.secrets import Secret


@dataclass
class LoginCheck:
    role: str  # "incoming" | "outgoing"
    ok: bool
    detail: str  # a sentence
    rejected: bool = False  # the server said no to the credentials (not a network error)


def verify_account(
    account: Account,
    password: Secret,
    *,
    resolver: Resolver | None = None,
    timeout: float = 10.0,
    ca_file: str | None = None,
) -> list[LoginCheck]:
    """Log in to the incoming and outgoing servers; one LoginCheck each."""
    resolver = resolver or Resolver()
    ca_file = ca_file or account.ca_file
    return [
        _incoming(account, password, resolver, timeout, ca_file),
        _outgoing(account, password, resolver, timeout, ca_file),
    ]


def _address(resolver: Resolver, server: ServerSettings, timeout: float) -> str | None:
    if not resolver.custom:
        return None
    addresses = resolver.addresses(server.host, server.port, timeout)
    if not addresses:
        raise ProbeError(f"{server.host} does not exist")
    return addresses[0]


def _incoming(account, password, resolver, timeout, ca_file) -> LoginCheck:
    server = account.incoming
    what = f"{account.protocol.upper()} server {server.host}"
    try:
        address = _address(resolver, server, timeout)
        if account.protocol == "pop3":
            _pop3_login(server, account.login, password, ca_file, timeout, address)
        else:
            _imap_login(server, account.login, password, ca_file, timeout, address)
    except (LoginError, poplib.error_proto) as exc:
        return LoginCheck(
            "incoming",
            False,
            f"The {what} rejected the login for {account.login}: "
            f"check the user name and password ({_short(exc)}).",
            rejected=True,
        )
    except (OSError, IMAPClientError, ProbeError, DNSError, ValueError) as exc:
        return LoginCheck("incoming", False, f"Could not log in to the {what}: {_reason(exc)}.")
    return LoginCheck("incoming", True, f"Logged in to the {what}.")


def _imap_login(server, login, password, ca_file, timeout, address) -> None:
    client = open_imap(server, ca_file, timeout, address=address)
    try:
        caps = {c.decode().upper() for c in client.capabilities()}
        if "LOGINDISABLED" in caps:
            if "AUTH=PLAIN" not in caps:
                raise ProbeError("the server offers no password login tuimail supports")
            client.plain_login(login, password.reveal())
        else:
            client.login(login, password.reveal())
        client.logout()
    finally:
        try:
            client.shutdown()
        except Exception:
            pass


def _pop3_login(server, login, password, ca_file, timeout, address) -> None:
    pop = open_pop3(server, ca_file, timeout, address=address)
    try:
        try:
            caps = pop.capa()
        except poplib.error_proto:
            caps = {}
        sasl = caps.get("SASL", [])
        if not caps or "USER" in caps:
            pop.user(login)
            pop.pass_(password.reveal())
        elif "PLAIN" in [m.upper() for m in sasl]:
            token = base64.b64encode(f"\0{login}\0{password.reveal()}".encode()).decode()
            pop._shortcmd(f"AUTH PLAIN {token}")
        else:
            raise ProbeError("the server offers no password login tuimail supports")
        pop.quit()
    finally:
        try:
            pop.close()
        except Exception:
            pass


def _outgoing(account, password, resolver, timeout, ca_file) -> LoginCheck:
    server = account.outgoing
    what = f"SMTP server {server.host}"
    candidate = Candidate("smtp", server.host, server.port, server.security, "config")
    client = None
    try:
        client, context = open_line_client(
            candidate, resolver, timeout, ca_file, server.pinned_sha256
        )
        caps = smtp_session(client, server.security, context, server.pinned_sha256)
        try:
            smtp_auth(client, caps, account.login, password)
        except ProbeError as exc:
            rejected = "rejected the login" in str(exc)
            if rejected:
                return LoginCheck(
                    "outgoing",
                    False,
                    f"The {what} rejected the login for {account.login}: "
                    f"check the user name and password ({str(exc).partition('(')[2][:-1]}).",
                    rejected=True,
                )
            raise
        client.send("QUIT")
    except Exception as exc:
        return LoginCheck(
            "outgoing", False, f"Could not log in to the {what}: {describe_failure(exc)}."
        )
    finally:
        if client is not None:
            client.close()
    return LoginCheck("outgoing", True, f"Logged in to the {what} (SMTP AUTH).")


def _short(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text[:120] or exc.__class__.__name__


def _reason(exc: BaseException) -> str:
    return describe_failure(exc) if not isinstance(exc, ProbeError) else str(exc)
