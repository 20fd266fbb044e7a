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
from tuimail.core.discovery.probe import (
    ProbeError,
    no_such_host,
    plain_failure,
    probe_failure,
)
from tuimail.core.discovery.resolver import DNSError, Resolver
from tuimail.core.errors import AuthenticationFailed, MailError, ProtocolViolation, Refused
from tuimail.core.secrets import Secret


@dataclass
class LoginCheck:
    """One login's outcome. A failure is kept typed (`failure`, and `submit`: the SMTP
    check's SubmitError record when it failed before any server error, e.g. no AUTH
    offered) and worded at the edge (tuimail.detect_words.login), a success too (from
    `server`); `detail` is a plain note for logs, never shown to people."""

    role: str  # "incoming" | "outgoing"
    ok: bool
    detail: str  # plain: "ok", or the failure's kind and core's short message
    rejected: bool = False  # the server said no to the credentials (not a network error)
    failure: MailError | None = field(default=None, repr=False)  # the typed failure, if any
    protocol: str = ""  # what was logged in to: "imap" | "pop3" | "smtp" ...
    host: str = ""  # ... on which host (the edge names it: "the IMAP server HOST")
    login: str = ""  # the user name tried
    submit: dict | None = field(default=None, repr=False)  # SubmitError.record() (SMTP)
    # The server's [ALERT]s on this login's connection (RFC 3501 7.1: shown to the user),
    # sanitised and bounded by tuimail.core.server_alerts; the edge says them.
    alerts: tuple[str, ...] = ()


def _failed(role: str, server: tuple[str, str], login: str, error: MailError, **kw) -> LoginCheck:
    rejected = isinstance(error, AuthenticationFailed)
    protocol, host = server
    return LoginCheck(
        role, False, plain_failure(error), rejected, error, protocol, host, login, kw.get("submit")
    )


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
        raise no_such_host(server.host)
    return addresses[0]


def _incoming(account, password, resolver, timeout, ca_file) -> LoginCheck:
    server = account.incoming
    what = (account.protocol, server.host)
    alerts: list[str] = []  # the IMAP connection's [ALERT]s, whatever the outcome
    try:
        address = _address(resolver, server, timeout)
        if account.protocol == "pop3":
            _pop3_login(server, account.login, password, ca_file, timeout, address)
        else:
            _imap_login(server, account.login, password, ca_file, timeout, address, alerts)
    except MailError as exc:
        check = _failed("incoming", what, account.login, exc)
    except (OSError, ProbeError, DNSError, ValueError) as exc:
        check = _failed("incoming", what, account.login, _typed(exc, account.protocol, server))
    else:
        check = LoginCheck(
            "incoming", True, "ok", protocol=what[0], host=what[1], login=account.login
        )
    check.alerts = tuple(alerts)
    return check


def _imap_login(server, login, password, ca_file, timeout, address, alerts: list[str]) -> None:
    """Log in and out; the connection's [ALERT]s (the greeting's, LOGIN's) go to `alerts`
    (no account exists yet to hand them to: tuimail.core.server_alerts holds them on the
    connection, at most MAX_EARLY)."""
    from tuimail.core.imap.errors import classify_imap
    from tuimail.core.imap.login import imap_login

    try:
        client = open_imap(server, ca_file, timeout, address=address)
    except OSError:
        raise  # typed by the probes' probe_failure, like every other connection
    except Exception as exc:
        raise classify_imap(exc, host=server.host) from exc
    try:
        imap_login(client, login, password, host=server.host)
        client.logout()
    finally:
        alerts += getattr(client._imap, "early_alerts", None) or ()
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
        raise  # typed by the probes' probe_failure, like every other connection
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
    what = ("smtp", server.host)
    try:
        address = _address(resolver, server, timeout)
        checked = replace(account, ca_file=ca_file) if ca_file != account.ca_file else account
        asyncio.run(check_login(checked, password, timeout=timeout, address=address))
    except SubmitError as exc:
        error = exc.error
        if error is None:  # no AUTH offered, no mechanism we support: the record says
            error = Refused(exc.reason, protocol="smtp", host=server.host)
        return _failed("outgoing", what, account.login, error, submit=exc.record())
    except (OSError, ProbeError, DNSError, ValueError) as exc:
        return _failed("outgoing", what, account.login, _typed(exc, "smtp", server))
    return LoginCheck(
        "outgoing", True, "ok", protocol="smtp", host=server.host, login=account.login
    )


def _typed(exc: BaseException, protocol: str, server: ServerSettings) -> MailError:
    """A connection's failure typed as the probes type it (probe.probe_failure)."""
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        error = ProtocolViolation(str(exc), protocol=protocol, host=server.host)
        error.__cause__ = exc
        return error
    return probe_failure(exc, protocol, server.host)
