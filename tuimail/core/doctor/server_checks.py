"""Reachability, TLS, certificate, capabilities and login of one server.

Uses connect.py, so the TLS policy is the account's: a password is only sent on a
connection that was secured and verified.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import poplib
import socket
import ssl
import time
from typing import Any

import aiosmtplib

from tuimail.core import server_alerts
from tuimail.core.account import Account, ServerSettings
from tuimail.core.connect import TLSRequiredError, open_imap, open_pop3, smtp_kwargs
from tuimail.core.doctor.login_checks import (
    SUPPORTED_MECHANISMS,
    login_failed,
    no_mechanism,
    plain_login,
)
from tuimail.core.doctor.oauth_checks import token_refused
from tuimail.core.doctor.quota import check_quota
from tuimail.core.doctor.report import CheckResult
from tuimail.core.errors import (
    MailError,
    ProtocolViolation,
    SecurityFailure,
    TransientError,
    Unreachable,
)
from tuimail.core.imap.login import imap_login
from tuimail.core.imap.session import close_quietly, drop_quietly, keeps_connection
from tuimail.core.net_errors import classify_transport
from tuimail.core.pop3 import pop3_login
from tuimail.core.secrets import Secret
from tuimail.core.smtp import SubmitError, smtp_login
from tuimail.core.smtp_client import Smtp
from tuimail.core.smtp_errors import classify_smtp
from tuimail.core.tls import tls_reason

IMAP_CAPS = ["IDLE", "CONDSTORE", "QRESYNC", "MOVE", "UIDPLUS", "QUOTA"]
POP3_CAPS = ["UIDL", "TOP"]
SMTP_CAPS = ["SIZE", "8BITMIME", "SMTPUTF8"]
EXPIRY_WARNING_DAYS = 14

log = logging.getLogger("tuimail.doctor")


def group_name(kind: str, settings: ServerSettings) -> str:
    role = "Outgoing" if kind == "smtp" else "Incoming"
    return f"{role} server ({kind.upper()}) {settings.host}:{settings.port}"


def check_server(
    kind: str,
    account: Account,
    password: Secret | None,
    timeout: float = 15.0,
    address: str | None = None,
) -> list[CheckResult]:
    """All checks for the incoming (`imap`/`pop3`) or outgoing (`smtp`) server."""
    settings = account.outgoing if kind == "smtp" else account.incoming
    group = group_name(kind, settings)
    reach = _reach(group, settings, timeout, address)
    if reach.status == "failure":
        return [reach]
    results = [reach]
    in_clear = settings.security == "plain" and password is not None
    if in_clear:
        password = None  # never sent unencrypted, whatever the settings say
    start = time.monotonic()
    try:
        if kind == "smtp":
            results += asyncio.run(_smtp(group, account, password, timeout, address, in_clear))
        elif kind == "pop3":
            results += _pop3(group, account, password, timeout, address, in_clear)
        else:
            results += _imap(group, account, password, timeout, address, in_clear)
    except Exception as exc:  # whatever a server sends ends as a failure line, never a traceback
        results.append(_stopped(group, "conversation", exc, time.monotonic() - start, kind))
    for result in results:
        _offer_pin(result, kind, settings, timeout, address)
    return results


class _Address:
    """A resolver that knows the one address the doctor already looked up."""

    def __init__(self, address: str) -> None:
        self.address = address

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        return [self.address]


def _offer_pin(
    result: CheckResult, kind: str, s: ServerSettings, timeout: float, address: str | None
) -> None:
    """A certificate no known authority issued: read its key's SHA-256 (a handshake of its
    own, nothing sent after it) into the finding's `pin`, so the fix can name the value to
    compare and pin. Expired, wrong-host and other failures get none (pin.py)."""
    failure = result.failure
    if result.name != "tls" or not isinstance(failure, SecurityFailure):
        return
    if failure.reason != "untrusted" or s.security not in ("tls", "starttls"):
        return
    from tuimail.core.discovery.model import Candidate
    from tuimail.core.discovery.pin import certificate_pin
    from tuimail.core.discovery.resolver import Resolver

    resolver: Any = _Address(address) if address is not None else Resolver()
    pin = certificate_pin(Candidate(kind, s.host, s.port, s.security, "config"), resolver, timeout)
    if pin:
        result.data["pin"] = pin
        result.data["side"] = "outgoing" if kind == "smtp" else "incoming"


def _reach(group: str, s: ServerSettings, timeout: float, address: str | None) -> CheckResult:
    """The TCP connect: on failure the typed transport error (Unreachable, TimedOut...)
    and where it was tried, worded at the edge (tuimail.doctor_words)."""
    start = time.monotonic()
    try:
        socket.create_connection((address or s.host, s.port), timeout=timeout).close()
    except OSError as exc:
        failure = classify_transport(exc, host=s.host) or Unreachable(host=s.host)
        data = unreachable(s.host, s.port, dns=isinstance(exc, socket.gaierror))
        took = time.monotonic() - start
        return CheckResult("reachable", group, "failure", "", "", took, failure, data)
    except UnicodeError as exc:  # the idna codec: an empty or over-long label ("a..b")
        failure = Unreachable(host=s.host)
        failure.__cause__ = exc
        data = {**unreachable(s.host, s.port, dns=True), "invalid": True}
        took = time.monotonic() - start
        return CheckResult("reachable", group, "failure", "", "", took, failure, data)
    took = time.monotonic() - start
    data = {"finding": "connected", "ms": round(took * 1000)}
    return CheckResult("reachable", group, "ok", "", "", took, data=data)


def unreachable(host: str, port: int, *, dns: bool, nameserver: str | None = None) -> dict:
    """A `reachable` finding's data: the host and port tried, and whether the host name
    had no address (`dns`; `nameserver` the DNS server asked, when one was named)."""
    data = {"finding": "unreachable", "host": host, "port": port, "dns": dns}
    if nameserver is not None:
        data["nameserver"] = nameserver
    return data


def _tls_failure(
    group: str, s: ServerSettings, exc: BaseException, took: float, protocol: str
) -> CheckResult:
    """The finding for a connection that could not be secured, from the TLS classifier's
    reason (tuimail.core.tls.tls_reason) or the STARTTLS policy's (TLSRequiredError): the
    typed SecurityFailure travels in the result, worded at the edge (tuimail.doctor_words)."""
    if isinstance(exc, TLSRequiredError):
        reason, data, said = exc.reason, exc.data, exc.server_text
    else:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, ssl.SSLError | TLSRequiredError):
            cause = cause.__cause__
        if isinstance(cause, TLSRequiredError):
            reason, data, said = cause.reason, cause.data, cause.server_text
        else:
            reason, data = tls_reason(cause if cause is not None else exc)
            said = None
    failure = SecurityFailure(
        reason=reason, data=data, server_text=said, host=s.host, protocol=protocol
    )
    data = {"finding": "tls"}  # worded, with the reason's fix, at the edge
    return CheckResult("tls", group, "failure", "", "", took, failure, data)


def _tls_results(group: str, s: ServerSettings, sock: Any, took: float) -> list[CheckResult]:
    if s.security == "plain" or sock is None:
        data = {"finding": "not-encrypted"}  # worded, with its fix, at the edge
        return [CheckResult("tls", group, "warning", "", "", took, data=data)]
    version, cipher = sock.version(), (sock.cipher() or ("?",))[0]
    data = {"finding": "encrypted", "security": s.security, "version": version, "cipher": cipher}
    results = [CheckResult("tls", group, "ok", "", "", took, data=data)]
    cert = sock.getpeercert() or {}
    not_after = cert.get("notAfter")
    if not_after:  # verified, so valid for the host and trusted; "expiring" within 14 days
        days = int((ssl.cert_time_to_seconds(not_after) - time.time()) // 86400)
        expiring = days < EXPIRY_WARNING_DAYS
        finding = "certificate-expiring" if expiring else "certificate"
        data = {"finding": finding, "host": s.host, "days": days, "not_after": not_after}
        status = "warning" if expiring else "ok"
        results.append(CheckResult("certificate", group, status, "", "", data=data))
    return results


def _caps_result(
    group: str,
    offered: set[str],
    wanted: list[str],
    auth: list[str] | None = None,
    *,
    before_login: bool = False,
) -> CheckResult:
    """The extensions tuimail uses that the server offers and lacks (and, for SMTP, the
    AUTH mechanisms it offers: `auth`), as data worded at the edge. `before_login`: read
    before a login (none tried, or it failed): many servers (Dovecot) list most of their
    extensions only after one, so "lacking" is then only "not listed yet"."""
    data: dict[str, Any] = {
        "finding": "capabilities",
        "offered": [c for c in wanted if c in offered],
        "lacking": [c for c in wanted if c not in offered],
    }
    if before_login:
        data["before_login"] = True
    if auth is not None:
        data["auth"] = auth
    return CheckResult("capabilities", group, "ok", "", "", data=data)


def alert_results(group: str, heard: str) -> list[CheckResult]:
    """A warning for each [ALERT] the server sent (RFC 3501 7.1: it MUST be shown to the
    user), its text sanitised and bounded by tuimail.core.server_alerts."""
    return [
        CheckResult("server alert", group, "warning", "", "", data=_alert(text))
        for text in server_alerts.take(heard)
    ]


def _alert(text: str) -> dict[str, Any]:
    return {"finding": "server-alert", "text": text}


def _imap(group, account, password, timeout, address, in_clear=False) -> list[CheckResult]:
    s = account.incoming
    start = time.monotonic()
    try:
        client = open_imap(s, account.ca_file, timeout, address=address)
    except (ssl.SSLError, TLSRequiredError) as exc:
        return [_tls_failure(group, s, exc, time.monotonic() - start, "imap")]
    except (OSError, MailError, imaplib.IMAP4.error) as exc:
        return [_lost(group, "greeting", exc, time.monotonic() - start, "imap")]
    broken = False  # the connection is out of step (a timeout, a violation): no LOGOUT
    heard = f"doctor {id(client)}"  # this check's own alerts (not the app's session)
    server_alerts.attach(client._imap, heard)
    try:
        results = _tls_results(group, s, _ssl_of(client.socket()), time.monotonic() - start)
        caps = {c.decode().upper() for c in client.capabilities()}
        if password is None:
            results.append(_caps_result(group, caps, IMAP_CAPS, before_login=True))
            if in_clear:
                refused = "logindisabled" if "LOGINDISABLED" in caps else None
                results.append(plain_login(group, refused))
        else:
            start = time.monotonic()
            try:
                imap_login(client, account.login, password, host=s.host)
                results.append(_logged_in(group, account.login, time.monotonic() - start))
                # Many servers (Dovecot) list their extensions only after login.
                caps = {c.decode().upper() for c in client.capabilities()}
                results.insert(-1, _caps_result(group, caps, IMAP_CAPS))
                results.append(check_quota(group, client, caps, s.host))
            except MailError as exc:
                broken = not keeps_connection(exc)
                results.append(_caps_result(group, caps, IMAP_CAPS, before_login=True))
                seconds = time.monotonic() - start
                results.append(
                    _lost(group, "login", exc, seconds, "imap")
                    if _login_lost(exc)
                    else token_refused(group, account, exc, seconds)
                    or login_failed(group, account.login, exc, seconds, account.protocol, s.host)
                )
        return results + alert_results(group, heard)
    finally:
        server_alerts.forget(heard)
        # Closed either way: a LOGOUT that failed (it waits a timeout more on a server
        # that stopped answering) left the socket open until the process ended.
        (drop_quietly if broken else close_quietly)(client)


def _pop3(group, account, password, timeout, address, in_clear=False) -> list[CheckResult]:
    s = account.incoming
    start = time.monotonic()
    try:
        pop = open_pop3(s, account.ca_file, timeout, address=address)
    except (ssl.SSLError, TLSRequiredError) as exc:
        return [_tls_failure(group, s, exc, time.monotonic() - start, "pop3")]
    except (OSError, MailError, poplib.error_proto) as exc:
        return [_lost(group, "greeting", exc, time.monotonic() - start, "pop3")]
    try:
        results = _tls_results(group, s, _ssl_of(pop.sock), time.monotonic() - start)
        try:
            caps = {c.upper() for c in pop.capa()}
        except poplib.error_proto:
            caps = set()
        except IndexError as exc:  # poplib's split of an empty CAPA line: not RFC 2449
            error = ProtocolViolation(protocol="pop3", host=s.host)
            error.__cause__ = exc
            data = {"finding": "unreadable", "command": "CAPA"}
            took = time.monotonic() - start
            line = CheckResult("capabilities", group, "failure", "", "", took, error, data)
            return [*results, line]
        results.append(_caps_result(group, caps, POP3_CAPS))
        if in_clear:
            refused = None
            if caps and "USER" not in caps and not any(c.startswith("SASL") for c in caps):
                refused = "no-user-before-stls"
            results.append(plain_login(group, refused))
        if password is not None:
            start = time.monotonic()
            try:
                pop3_login(pop, account.login, password, host=s.host)
                results.append(_logged_in(group, account.login, time.monotonic() - start))
            except MailError as exc:
                seconds = time.monotonic() - start
                results.append(
                    _lost(group, "login", exc, seconds, "pop3")
                    if _login_lost(exc)
                    else token_refused(group, account, exc, seconds)
                    or login_failed(group, account.login, exc, seconds, account.protocol, s.host)
                )
        return results
    finally:
        try:
            pop.quit()
        except (OSError, poplib.error_proto):
            try:  # a QUIT that failed left the socket open until the process ended
                pop.close()
            except OSError:
                pass


async def _smtp(group, account, password, timeout, address, in_clear=False) -> list[CheckResult]:
    from tuimail.core.secrets import BearerToken

    bearer = isinstance(password, BearerToken)  # OAuth: OAUTHBEARER/XOAUTH2, not PLAIN...
    s = account.outgoing
    kwargs = smtp_kwargs(s, account.ca_file, timeout)
    start = time.monotonic()
    if address is not None:
        # Connected to the address the named DNS server gave; aiosmtplib still checks
        # the certificate against the host name (it is used as server_hostname).
        try:
            sock = socket.create_connection((address, s.port), timeout=timeout)
        except OSError as exc:
            return [_lost(group, "tls", exc, time.monotonic() - start, "smtp")]
        sock.setblocking(False)
        kwargs["sock"], kwargs["port"] = sock, None
    smtp = Smtp(**kwargs, local_hostname="[127.0.0.1]")
    try:
        try:
            await smtp.connect()
            await smtp.ehlo()  # aiosmtplib defers EHLO; the extensions are empty until then
        except BaseException:
            # Closed here on every failure: left open, the connection (and a server
            # still sending an answer that never ends) stayed until the process ended.
            smtp.close()
            if "sock" in kwargs:
                kwargs["sock"].close()
            raise
    except (ssl.SSLError, TLSRequiredError) as exc:
        return [_tls_failure(group, s, exc, time.monotonic() - start, "smtp")]
    except aiosmtplib.SMTPException as exc:
        took = time.monotonic() - start
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError):
            return [_tls_failure(group, s, cause, took, "smtp")]
        if s.security == "starttls" and isinstance(
            classify_smtp(exc, "EHLO", host=s.host), SecurityFailure
        ):
            error = classify_smtp(exc, "EHLO", host=s.host)
            refused = TLSRequiredError(
                "STARTTLS", reason=getattr(error, "reason", "") or "starttls-missing"
            )
            return [_tls_failure(group, s, refused, took, "smtp")]
        # the greeting (554 "no service", 421, not SMTP at all: Smtp raises these as
        # SMTPConnectResponseError); any other reply is EHLO's (or STARTTLS's) answer
        if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
            step = "greeting"
        else:
            step = "EHLO" if isinstance(exc, aiosmtplib.SMTPResponseException) else "tls"
        return [_lost(group, step, exc, took, "smtp")]
    except OSError as exc:
        return [_lost(group, "tls", exc, time.monotonic() - start, "smtp")]
    try:
        sock = smtp.transport.get_extra_info("ssl_object") if smtp.transport else None
        results = _tls_results(group, s, sock, time.monotonic() - start)
        caps = {k.upper() for k in smtp.esmtp_extensions}
        mechs = [m.upper() for m in smtp.server_auth_methods]
        results.append(_caps_result(group, caps, SMTP_CAPS, mechs))
        if in_clear:
            refused = None
            if not mechs and "STARTTLS" in caps:
                refused = "auth-after-starttls"
            results.append(plain_login(group, refused))
        if password is not None:
            start = time.monotonic()
            if not mechs:
                data = {"finding": "no-auth"}  # worded, with its fix, at the edge
                results.append(CheckResult("login", group, "warning", "", "", data=data))
            elif not any(m in SUPPORTED_MECHANISMS for m in mechs) and not bearer:
                results.append(no_mechanism(group, mechs, 0.0))
            else:
                try:
                    await smtp_login(smtp, account.login, password)
                    results.append(_logged_in(group, account.login, time.monotonic() - start))
                except SubmitError as exc:
                    seconds = time.monotonic() - start
                    error = exc.error
                    if error is None:  # refused before the server said anything
                        data = {"finding": "login-failed", "submit": exc.record()}
                        results.append(
                            CheckResult("login", group, "failure", "", "", seconds, data=data)
                        )
                        return results
                    results.append(
                        _lost(group, "login", error, seconds, "smtp")
                        if _login_lost(error)
                        else token_refused(group, account, error, seconds)
                        or login_failed(group, account.login, error, seconds, "smtp", s.host)
                    )
        return results
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit(timeout=5)
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


def _classify(protocol: str, exc: BaseException, step: str) -> MailError:
    if protocol == "smtp":
        return classify_smtp(exc, "greeting" if step == "tls" else step)
    if protocol == "pop3":
        from tuimail.core.pop3_errors import classify_pop3

        return classify_pop3(exc)
    from tuimail.core.imap.errors import classify_imap

    return classify_imap(exc)


def _login_lost(error: MailError) -> bool:
    """The login did not get an answer (timed out, lost, a broken answer, busy): a
    connection failure to report as such, not a refused password."""
    return isinstance(error, TransientError | ProtocolViolation)


def _logged_in(group: str, login: str, took: float) -> CheckResult:
    """The login worked: as data, the user name logged in as."""
    data = {"finding": "logged-in", "login": login}
    return CheckResult("login", group, "ok", "", "", took, data=data)


def _ssl_of(sock: Any) -> ssl.SSLSocket | None:
    return sock if isinstance(sock, ssl.SSLSocket) else None


def _lost(
    group: str, name: str, exc: BaseException, took: float, protocol: str = "imap"
) -> CheckResult:
    """A failure line for a connection that failed: the typed error (a library's
    exception typed by `protocol`'s classifier), with the server's own words when it
    said something (a BYE or -ERR greeting, bytes that are not the protocol). Worded,
    with the fix its type calls for, at the edge (tuimail.doctor_words)."""
    error = exc if isinstance(exc, MailError) else _classify(protocol, exc, name)
    data = {"finding": "lost"}
    return CheckResult(name, group, "failure", "", "", took, failure=error, data=data)


# What a check may meet from a server: typed by the protocol's classifier. Anything else
# is no failure of the server's but one tuimail did not foresee (a bug): reported as such.
_SERVER_FAILURES = (
    MailError,
    OSError,
    EOFError,
    UnicodeError,
    MemoryError,
    imaplib.IMAP4.error,
    poplib.error_proto,
    aiosmtplib.SMTPException,
)


def _stopped(group: str, name: str, exc: BaseException, took: float, protocol: str) -> CheckResult:
    """The finding for a check that stopped on an exception: the server's failure, typed,
    or (not one a server causes) an "unexpected" finding naming the exception's type;
    the details go to the log, never the exception's text to the report."""
    if isinstance(exc, _SERVER_FAILURES):
        return _lost(group, name, exc, took, protocol)
    log.warning("doctor: %s check stopped unexpectedly", protocol, exc_info=exc)
    data = {"finding": "unexpected", "type": type(exc).__name__, "protocol": protocol}
    return CheckResult(name, group, "failure", "", "", took, data=data)
