"""Prove a login works (IMAP or POP3, and SMTP AUTH) before an account is saved.

The logins are the runtime's own (tuimail.core.imap.login, tuimail.core.pop3.pop3_login,
tuimail.core.smtp.check_login): what setup verifies is what the app will do, with one
AUTH attempt each. "Rejected" comes from the failure's type (AuthenticationFailed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tuimail.core.account import Account, ServerSettings
from tuimail.core.connect import open_imap, open_pop3
from tuimail.core.discovery.probe import ProbeError, describe_failure, security_failure
from tuimail.core.discovery.resolver import DNSError, Resolver
from tuimail.core.errors import AuthenticationFailed, MailError, SecurityFailure
from tuimail.core.secrets import Secret


@dataclass
class LoginCheck:
    role: str  # "incoming" | "outgoing"
    ok: bool
    detail: str  # a sentence
    rejected: bool = False  # the server said no to the credentials (not a network error)
    failure: MailError | None = field(default=None, repr=False)  # the typed failure, if any
    server: str = ""  # what was logged in to ("IMAP server imap.example.org"), for the edge


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
    except AuthenticationFailed as exc:
        return LoginCheck(
            "incoming",
            False,
            f"The {what} rejected the login for {account.login}: "
            f"check the user name and password ({_said(exc)}).",
            rejected=True,
        )
    except MailError as exc:
        said = _said(exc)
        return LoginCheck(
            "incoming", False, f"Could not log in to the {what}: {said}.", False, exc, what
        )
    except (OSError, ProbeError, DNSError, ValueError) as exc:
        return LoginCheck(
            "incoming",
            False,
            f"Could not log in to the {what}: {_reason(exc)}.",
            failure=security_failure(exc),
            server=what,
        )
    return LoginCheck("incoming", True, f"Logged in to the {what}.")


def _imap_login(server, login, password, ca_file, timeout, address) -> None:
    from tuimail.core.imap.errors import classify_imap
    from tuimail.core.imap.login import imap_login

    try:
        client = open_imap(server, ca_file, timeout, address=address)
    except OSError:
        raise  # worded by the probes' describe_failure, like every other connection
    except Exception as exc:
        raise classify_imap(exc, host=server.host) from exc
    try:
        imap_login(client, login, password, host=server.host)
        client.logout()
    finally:
        try:
            client.shutdown()
        except Exception:
            pass


def _pop3_login(server, login, password, ca_file, timeout, address) -> None:
    from tuimail.core.pop3 import pop3_login
    from tuimail.core.pop3_errors import classify_pop3

    try:
        pop = open_pop3(server, ca_file, timeout, address=address)
    except OSError:
        raise  # worded by the probes' describe_failure, like every other connection
    except Exception as exc:
        raise classify_pop3(exc, host=server.host) from exc
    try:
        pop3_login(pop, login, password, host=server.host)
        pop.quit()
    finally:
        try:
            pop.close()
        except Exception:
            pass


def _outgoing(account, password, resolver, timeout, ca_file) -> LoginCheck:
    from dataclasses import replace

    from tuimail.core.smtp import SubmitError, check_login

    server = account.outgoing
    what = f"SMTP server {server.host}"
    try:
        address = _address(resolver, server, timeout)
        checked = replace(account, ca_file=ca_file) if ca_file != account.ca_file else account
        asyncio.run(check_login(checked, password, timeout=timeout, address=address))
    except SubmitError as exc:
        if isinstance(exc.error, AuthenticationFailed):
            return LoginCheck(
                "outgoing",
                False,
                f"The {what} rejected the login for {account.login}: "
                f"check the user name and password ({_said(exc.error)}).",
                rejected=True,
            )
        said = _submit_said(exc)
        error = exc.error if isinstance(exc.error, SecurityFailure) else None
        return LoginCheck(
            "outgoing", False, f"Could not log in to the {what}: {said}.", False, error, what
        )
    except (OSError, ProbeError, DNSError, ValueError) as exc:
        return LoginCheck(
            "outgoing",
            False,
            f"Could not log in to the {what}: {_reason(exc)}.",
            failure=security_failure(exc),
            server=what,
        )
    return LoginCheck("outgoing", True, f"Logged in to the {what} (SMTP AUTH).")


def _submit_said(exc) -> str:
    """What a failed SMTP login check met, from its typed reason (the report's words)."""
    from tuimail.core.discovery.probe import plain_detail
    from tuimail.core.sanitize import sanitize

    error = exc.error
    if isinstance(error, SecurityFailure) and error.reason:
        return plain_detail(error)
    if exc.reason == "no-login":
        return "the server offers no login (no AUTH after EHLO)"
    if exc.reason == "no-mechanism":
        offered = ", ".join(exc.data.get("offered") or []) or "none"
        return sanitize(
            f"the server offers no login method tuimail supports (it offers: {offered})"
        )
    if error is not None:
        return _said(error)
    return str(exc)


def _said(error: MailError) -> str:
    """The server's code and words (or the error's own), short, for a sentence."""
    from tuimail.core.sanitize import sanitize

    code = f"{error.code} " if isinstance(error.code, int) else ""
    words = error.server_text or error.message or error.kind
    return sanitize(f"{code}{words}")[:120]


def _reason(exc: BaseException) -> str:
    return describe_failure(exc) if not isinstance(exc, ProbeError) else str(exc)
