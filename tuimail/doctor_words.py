"""The doctor's report for people: each check's finding worded at the edge, and the
text and JSON reports (`tuimail doctor`, the app's Diagnose screen).

A finding core built from a typed error (CheckResult.failure, e.g. the SecurityFailure
of a TLS check) is worded here with tuimail.words, the same words the CLI and the app
use for that failure anywhere else: one table of sentences, not one per report. A
finding core describes as plain data (CheckResult.data: "finding" and what it needs,
such as the host and port tried) is worded here too, and so are the fixes a finding's
kind calls for; core/doctor holds none of these sentences (tests/test_layers.py).
"""

from __future__ import annotations

import json

from tuimail.core.doctor.login_checks import SUPPORTED_MECHANISMS
from tuimail.core.doctor.report import CheckResult, failed
from tuimail.core.errors import (
    AuthenticationFailed,
    MailError,
    Refused,
    SecurityFailure,
    ServerBusy,
    TimedOut,
    Unreachable,
    error_record,
)
from tuimail.core.login_errors import Refusal
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import PasswordError
from tuimail.doctor_dns_words import FIX as DNS_FIX
from tuimail.doctor_dns_words import SEEN as DNS_SEEN
from tuimail.doctor_server_words import FIX as SERVER_FIX
from tuimail.doctor_server_words import SEEN as SERVER_SEEN
from tuimail.words.describe import describe
from tuimail.words.failures import failure_words
from tuimail.words.login import login_rejected
from tuimail.words.outbox import submit_failure
from tuimail.words.plain import server_said, tidy
from tuimail.words.sign_in import needs_sign_in, sign_in_advice

WRONG_PASSWORD_FIX = (
    "check the user name and password; if the provider uses two-step verification, "
    "create an app password and use it instead of the normal password"
)
PORT_FIX = "check the port and security settings (tls for 993/995/465, starttls for 143/110/587)"

_COLOURS = {"ok": "\x1b[32m", "warning": "\x1b[33m", "failure": "\x1b[31m"}


def seen(result: CheckResult) -> str:
    """What the check found, in one sanitised sentence: for a finding made from a typed
    error, the words tuimail.words has for that error (code and server's words included)."""
    words = _seen(result)
    if len(words) > _LONGEST:  # a hostile server's words fill no screen
        words = words[: _LONGEST - 3] + "..."
    return sanitize(words)


def _seen(result: CheckResult) -> str:
    data, failure = result.data, result.failure
    finding = data.get("finding")
    words = _data_words(result)
    if words is not None:
        return words
    if isinstance(failure, PasswordError) and not isinstance(failure, MailError):
        return describe(failure)  # tuimail's own sentence (the token command failed)
    if failure is not None:
        words = failure_words(failure)
    elif data.get("read-only"):  # the round trip's: no error of the server's
        words = "the server opens INBOX read-only, where the test message could not be deleted"
    else:
        return result.seen
    if finding == "not-sent":
        words = _not_sent(result, words)
    elif finding == "lost-waiting":
        # "connection" once: the error's words say what failed
        words = (
            f"the outgoing server accepted the test message; while waiting for it in INBOX, {words}"
        )
    elif finding == "not-deleted":
        words = f"the test message could not be deleted: {words}"
    elif finding == "token-rejected":  # its words name the login and the challenge's reason
        words = f"{words} (also after renewing the token once)"
    elif finding == "login-refused":  # a line of the report: lower case, like the others
        words = _refused(result)
        words = words[:1].lower() + words[1:]
    elif finding == "unreachable":
        words = f"could not connect to {data.get('host')} port {data.get('port')}: {words}"
    elif finding == "unconfirmed":
        arrived = (
            f"it arrived in INBOX {result.seconds:.1f} s later all the same"
            if data.get("arrived")
            else "it did not arrive"
        )
        words = f"the outgoing server never confirmed the test message ({words}); {arrived}"
    elif finding == "dns-down":  # no DNS check could run: the name server failed them all
        how = "gave no answer" if isinstance(failure, TimedOut) else "answered only with errors"
        words = (
            f"DNS itself is not answering: {_resolver(data)} {how} ({words}); "
            "none of the DNS checks could run"
        )
    elif finding == "dns-silent":  # a DNS check's query failed: the error names it
        words = f"DNS is not answering: {words}"
    elif finding == "quota-failed":
        words = f"the server did not answer GETQUOTAROOT: {words}"
    elif finding == "unreadable":  # an answer that is not the protocol (ProtocolViolation)
        words = f"the server's answer to {data.get('command')} could not be read"
    elif finding in ("not-signed-in", "sign-in-revoked"):
        pass  # a NeedsSignIn: its words (tuimail.words.sign_in.sign_in_needed), the advice in fix()
    elif finding == "client-refused":
        said = sanitize(tidy(failure.server_text or ""))
        words = f"the authorization server refused this application ({failure.code}" + (
            f": {said})" if said else ")"
        )
    elif finding == "token-unavailable":
        words = f"the authorization server could not be asked for a token ({words})"
    elif finding == "introspection-failed":
        words = f"the introspection endpoint did not answer ({words})"
    elif finding == "no-sign-in":
        words = f"no login was tried: {words}"
    elif finding == "no-oauth":
        words = f"{words}; no token was sent"
    elif result.seen:
        words = f"{words} ({result.seen})"
    return words


def _resolver(data: dict) -> str:
    """Who was asked: the name server given (--nameserver) or the system's resolver."""
    ns = data.get("nameserver")
    return f"the name server {ns}" if ns else "this computer's DNS resolver"


def _data_words(result: CheckResult) -> str | None:
    """The words of a finding that is plain data (no typed error), or None."""
    data = result.data
    finding = data.get("finding")
    observed = _OBSERVED.get(str(finding))
    if observed is not None and result.failure is None:
        return observed(data)
    if finding == "submit-refused":
        said = submit_failure(data.get("submit") or {})
        if data.get("cause") == "security":  # its words end "nothing was sent"
            return said
        if data.get("cause") in ("unreachable", "lost"):  # it never got the message
            return f"no test message was sent: {said}"
        return f"the outgoing server refused the test message: {said}"
    if finding == "login-failed":
        return f"the login failed: {submit_failure(data.get('submit') or {})}"
    if finding == "unreachable" and data.get("invalid"):
        return (
            f"the host name {data.get('host')} is not a valid DNS name (a label is empty "
            "or longer than 63 characters)"
        )
    if finding == "unreachable" and data.get("dns"):
        asked = f" (asked {data['nameserver']})" if data.get("nameserver") else ""
        return f"the host name {data.get('host')} cannot be found in DNS{asked}"
    if finding == "unknown-host":  # the round trip's, through the named DNS server
        return (
            f"no test message was sent: the host name {data.get('host')} cannot be found "
            f"in DNS (asked {data.get('nameserver')})"
        )
    if finding in _ROUNDTRIP:
        return _ROUNDTRIP[finding](data, result.seconds)
    if finding in _SIGN_IN:
        return _SIGN_IN[finding](data)
    if finding == "no-mechanism":
        offered = ", ".join(map(str, data.get("offered") or ())) or "none"
        return (
            f"no login method tuimail supports is offered (offered: {offered}); no "
            "password was sent"
        )
    if finding == "not-encrypted":
        return "the connection is not encrypted (security = plain)"
    if finding == "no-auth":
        return "the server offers no AUTH on this port, so no login was tried"
    if finding == "quota-full":
        percent = data.get("percent") or 0
        used = f"{percent:.0f}% used ({data.get('used')} of {data.get('limit')} KiB)"
        if isinstance(percent, int | float) and percent >= 100:
            return f"the mailbox is full (over its quota): {used}; new mail is refused"
        return f"the mailbox is nearly full: {used}"
    if finding == "plain-refused":
        how = _PLAIN_REFUSED.get(str(data.get("how")), "it refuses one")
        return (
            f"the server refuses a plain-text login on this connection ({how}), and "
            "security = plain never encrypts it; no password was sent"
        )
    if finding == "plain-not-tried":
        return (
            "not tried: the connection is not encrypted (security = plain), and tuimail "
            "doctor never sends a password in clear"
        )
    if finding == "ports-unchecked":  # its server check above says it and the fix, once
        return (
            "its other ports were not checked: the host name cannot be found in DNS (see "
            "its server check above)"
        )
    if finding == "not-arrived":
        limit = data.get("limit") or 0
        return (
            f"the outgoing server accepted the test message, but it did not arrive in INBOX "
            f"within {limit:.0f} s"
        )
    if finding == "nameserver":
        return (
            f"the name server {data.get('nameserver')!r} cannot be used: it is not HOST or "
            "HOST:PORT with a port from 1 to 65535, or its host name cannot be found"
        )
    if finding == "unexpected":
        return (
            f"the check stopped on an error tuimail does not expect here ({data.get('type')}); "
            "the other checks ran"
        )
    return None


# What a check observed, as data (core/doctor dns_checks, server_checks, quota, port_checks).
_OBSERVED = {**DNS_SEEN, **SERVER_SEEN}
_OBSERVED_FIX = {**DNS_FIX, **SERVER_FIX}


# How a server shows it refuses a login in clear (login_checks.plain_login).
_PLAIN_REFUSED = {
    "logindisabled": "it advertises LOGINDISABLED",
    "no-user-before-stls": "its CAPA offers no USER or SASL login before STLS",
    "auth-after-starttls": "it offers AUTH only after STARTTLS",
}


def _in(seconds: object) -> str:
    """A time left, as people say it: "45 seconds", "20 minutes", "3 hours"."""
    left = float(seconds) if isinstance(seconds, int | float) else 0.0
    if left < 90:
        return f"{max(0, round(left))} seconds"
    if left < 2 * 3600:
        return f"{round(left / 60)} minutes"
    return f"{round(left / 3600)} hours"


def _token_seen(data: dict) -> str:
    """What introspection said of an active token: its scopes, whose it is, its expiry."""
    granted = data.get("granted") if isinstance(data.get("granted"), list) else []
    seen = f"the token is active, scopes: {' '.join(map(str, granted)) or '(none listed)'}"
    if data.get("who"):
        seen += f", for {data['who']}"
    if isinstance(data.get("expires_in"), int | float):
        seen += f", expires in {_in(data['expires_in'])}"
    return seen


def _lacking(data: dict) -> str:
    wanted = data.get("wanted") if isinstance(data.get("wanted"), list) else []
    return f"{_token_seen(data)}; it lacks {' '.join(map(str, wanted))}, which the account asks for"


# The sign-in checks' findings that are plain data (oauth_checks), and their words.
_SIGN_IN = {
    "token-from-command": lambda _d: (
        "the oauth2_token_command printed a token (its expiry is the helper's business)"
    ),
    "signed-in": lambda d: (
        f"signed in; the access token is valid and expires in {_in(d.get('expires_in'))} "
        f"(renewed by itself; the sign-in is kept in the {d.get('where')})"
    ),
    "no-introspection": lambda _d: (
        "the provider publishes no token introspection: the logins below show whether the "
        "servers accept the token"
    ),
    "introspection-http": lambda d: (
        f"the introspection endpoint answered HTTP {d.get('status')} ({d.get('error') or ''})"
    ),
    "token-inactive": lambda _d: (
        "the authorization server says the token is not active (revoked or expired), also "
        "after renewing it"
    ),
    "token-active": _token_seen,
    "scopes-missing": _lacking,
    "other-user": lambda d: (
        f"{_token_seen(d)}; it belongs to {d.get('who')}, not to {d.get('login')}"
    ),
}


def _not_sent(result: CheckResult, words: str) -> str:
    """The round trip that sent nothing because the incoming server failed first: the
    same words as that server's own check (a rejected login, a port that refuses)."""
    data, failure = result.data, result.failure
    host, port = data.get("host"), data.get("port")
    if isinstance(failure, AuthenticationFailed):
        server = f"{str(data.get('protocol') or '').upper()} server {host}".strip()
        words = login_rejected(failure, str(data.get("login") or ""), server)
        words = words[:1].lower() + words[1:]  # "The IMAP server" inside the sentence
    elif isinstance(failure, Unreachable):
        words = f"could not connect to {host} port {port}: {words}"
    elif failure is not None:
        return f"no test message was sent (incoming server {host}): {words}"
    return f"no test message was sent: {words}"


def _arrived(data: dict, seconds: float) -> str:
    how = _HOW.get(str(data.get("how")), "")
    how = f" ({how})" if how else ""
    return (
        f"the test message arrived in INBOX {seconds:.1f} s after the outgoing server "
        f"accepted it{how}"
    )


def _junk(data: dict, seconds: float) -> str:
    folder = data.get("folder")
    where = (
        f'the test message did not arrive in INBOX: it was filed in the junk folder "{folder}" '
        f"(found {seconds:.1f} s after the outgoing server accepted it)"
    )
    if data.get("deleted"):
        return f"{where} and deleted there"
    return f"{where}; it could not be deleted there"


def _deleted(data: dict, _seconds: float) -> str:
    return f"the test message was deleted from {data.get('folder') or 'the server'}"


def _moved(data: dict, _seconds: float) -> str:
    return (
        f'the test message was moved to "{data.get("folder")}" (the server has no UIDPLUS, '
        "so it cannot expunge one message alone)"
    )


def _left_marked(data: dict, _seconds: float) -> str:
    return (
        f"the test message was marked deleted but left in {data.get('folder')}: the server "
        "has no UIDPLUS, and a plain EXPUNGE would also remove every other message you "
        "marked deleted there"
    )


def _gone(_data: dict, _seconds: float) -> str:
    return (
        "the test message is no longer on the server: another mail program downloaded "
        "and deleted it first"
    )


def _plain(data: dict, _seconds: float) -> str:
    return (
        f"not tried: the connection to {data.get('host')} is not encrypted (security = "
        "plain), and tuimail doctor never sends a password in clear"
    )


# The round trip's findings that are plain data (tuimail.core.doctor.roundtrip, runner).
_ROUNDTRIP = {
    "arrived": _arrived,
    "junk": _junk,
    "deleted": _deleted,
    "moved": _moved,
    "left-marked": _left_marked,
    "gone": _gone,
    "plain": _plain,
}
_HOW = {
    "idle": "announced by IMAP IDLE",
    "search": "found by IMAP SEARCH, polled every second",
    "pop3": "found by POP3, polled every few seconds",
}


def logins_skipped(exc: BaseException) -> str:
    """Why the doctor checks no login (no password, no sign-in), without a full stop,
    for "...; the login checks are skipped". A missing sign-in is only named here: the
    sign-in check says why, and its fix what to run, once."""
    if needs_sign_in(exc):
        return "No usable sign-in (the OAuth 2.0 sign-in check says why)"
    return describe(exc).rstrip(". ")


def fix(result: CheckResult) -> str:
    """What to do (sanitised: it may name a server's folder): core's fix when it gave
    one, else the one the finding's kind and data, or the error's type, call for."""
    return sanitize(_fix(result))


def _fix(result: CheckResult) -> str:
    if result.fix or (result.failure is None and not result.data):
        return result.fix
    data = result.data
    finding = data.get("finding")
    fixed = _FIXES.get(finding or "")
    if fixed is not None:
        return fixed
    observed = _OBSERVED_FIX.get(str(finding))
    if observed is not None:
        return observed(data)
    fixed = _roundtrip_fix(data)
    if fixed is not None:
        return fixed
    if finding == "tls" and isinstance(result.failure, SecurityFailure):
        if data.get("pin"):  # an unknown issuer: the key's hash, to compare and pin
            side, pin = data.get("side") or "incoming", data.get("pin")
            return (
                "the certificate is not from a trusted authority: set ca_file to the "
                "provider's CA, or, only if you trust this server, compare its key's "
                f"SHA-256 {pin} with the one your provider or admin gives and then add "
                f'pinned_sha256 = "{pin}" to the account\'s {side} settings'
            )
        return _tls_fix(result.failure)
    if finding == "token-rejected":
        login, name = data.get("login", ""), data.get("account", "")
        return (
            "the sign-in may lack the mail permission (scope) or be another user's: sign in "
            f"again as {login} with tuimail account login {name}; check that the client "
            "registration has the mail API permissions (Microsoft: IMAP.AccessAsUser.All, "
            "POP.AccessAsUser.All, SMTP.Send) and that the mailbox allows IMAP/POP/SMTP"
        )
    if finding == "submit-refused":
        return _submit_fix(data.get("cause", ""), data.get("email", ""))
    if finding in ("token-inactive", "other-user"):
        how = f" as {data.get('login')}" if finding == "other-user" else " again"
        return f"sign in{how}: tuimail account login {data.get('account')}"
    if finding == "no-mechanism":
        return _no_mechanism_fix(data)
    if finding == "login-refused":
        return _REFUSAL_FIX.get(data.get("refusal", ""), WRONG_PASSWORD_FIX)
    if finding == "unreachable" and data.get("dns"):
        if data.get("nameserver"):
            return (
                "check the spelling of the host name in the account settings; if it is "
                "right, the domain's DNS has no address for it"
            )
        return (
            "check the spelling of the host name in the account settings; if it is right, "
            "the domain's DNS is broken or this machine's DNS resolver does not answer"
        )
    if finding == "unreachable":
        words = (
            "check the host name and port in the account settings; if they are right, "
            "a firewall or the network blocks this port"
        )
        if data.get("port") == 25:
            words += " (port 25 is often blocked by ISPs: use 587 or 465 for sending)"
        return words
    if needs_sign_in(result.failure):  # said once here, never in the finding's words
        advice = sign_in_advice(result.failure)
        if finding == "not-signed-in" and not getattr(result.failure, "browser", False):
            advice += " (the device sign-in works over SSH too)"
        return advice
    if isinstance(result.failure, ServerBusy):
        return "the server is busy or closed to new connections: try again later"
    if isinstance(result.failure, TimedOut):
        return "the server is slow or does not answer: try again later, or raise --timeout"
    if finding == "lost" and result.name == "greeting" and isinstance(result.failure, Refused):
        return (  # SMTP 554 as the greeting (RFC 5321 3.1): no service for this client
            "the server refuses to serve this connection: the provider may block this "
            "network (an address on a block list, a VPN); try from another network or ask "
            "the provider"
        )
    if finding == "lost" or (finding == "unreadable" and result.status == "failure"):
        return PORT_FIX
    return ""


def _no_mechanism_fix(data: dict) -> str:
    """A server offering no login method tuimail uses: OAuth sign-in when it offers
    that, else the mechanisms tuimail logs in with."""
    oauth = data.get("oauth") or ()
    if oauth:
        return (
            f"this server offers only OAuth sign-in ({', '.join(map(str, oauth))}): set "
            'auth = "oauth2" and an oauth2 table for this account (docs/config.md), then '
            "sign in with `tuimail account login NAME`"
        )
    return (
        f"tuimail logs in with {', '.join(SUPPORTED_MECHANISMS)}; ask the provider which "
        "port and method to use"
    )


def _roundtrip_fix(data: dict) -> str | None:
    """The fix of a round-trip finding that depends on its data, or None."""
    finding = data.get("finding")
    if finding == "lost-waiting":
        return (
            "run the check again; the test message may be left in your INBOX "
            f'(subject "{data.get("subject")}"): delete it by hand'
        )
    if finding == "junk":
        words = (
            "a spam filter took your own message: mark such messages as not spam and "
            "check the domain's SPF, DKIM and DMARC records (mail from this address may "
            "land in other people's spam folders too)"
        )
        if not data.get("deleted"):
            words += f'; delete the test message from "{data.get("folder")}" by hand'
        return words
    if finding == "left-marked":
        return f"delete the test message from {data.get('folder')} by hand"
    if finding == "not-deleted" and data.get("protocol") == "pop3":
        return "delete it by hand (or it is downloaded with the next fetch)"
    if finding == "not-deleted":
        return "delete it from INBOX by hand"
    return None


_FIXES = {
    "not-sent": "see the incoming server checks above; once they pass, run the doctor again",
    "plain": "use security = tls or starttls, then run the check again",
    "not-arrived": (
        "wait a few minutes and look again: the provider may be delaying delivery; look in "
        "the Junk/Spam folder (a filter may have taken it); if it never arrives, delivery is "
        "broken at the provider: check its status page or ask its support"
    ),
    "nameserver": "give --nameserver as HOST or HOST:PORT",
    "unexpected": (
        "run the check again; if it stops the same way, report it as a tuimail bug (the "
        "log has the details)"
    ),
    "login-failed": "the server's reason above says what it refused; check the account settings",
    "unknown-host": "see the server checks above; once they pass, run the doctor again",
    "unconfirmed": (
        "the connection to the outgoing server broke at the end of sending: mail sent "
        "this way may arrive twice or not at all; check the network (VPN, proxy, "
        "antivirus that scans mail) and run the check again"
    ),
    "quota-failed": "",
    "client-refused": (
        "check client_id (and client_secret) in the account's oauth2 table: it must "
        "be a client you registered with the provider (docs/config.md)"
    ),
    "token-unavailable": "check the network, or try again later",
    "token-command": "run the oauth2_token_command by hand to see what it needs",
    "introspection-failed": "the logins below still show whether the token works",
    "not-encrypted": "use security = tls or starttls so passwords and mail are encrypted",
    "no-auth": (
        "sending without login works only from a trusted network; use the submission "
        "port (587 or 465)"
    ),
    "quota-full": "delete or archive old mail (and empty Trash): new mail bounces while the "
    "mailbox is full",
    "plain-refused": (
        "set security = starttls for this port (or use the TLS port 993/995/465 with "
        "security = tls)"
    ),
    "plain-not-tried": (
        "use security = tls or starttls; until then the password travels unencrypted "
        "each time tuimail logs in"
    ),
    "introspection-http": "the logins below still show whether the token works",
    "scopes-missing": (
        "sign in again and allow every permission asked for; if the provider does not "
        "offer it, the client registration lacks that API permission"
    ),
    "no-oauth": (
        'this server takes passwords only: set auth = "password" for this account, or '
        "ask the provider which server takes OAuth sign-in"
    ),
}


def _refused(result: CheckResult) -> str:
    """A refused login's line: the server, the login, the cause its words name, and the
    server's code and words, each once."""
    failure, data = result.failure, result.data
    assert failure is not None
    refusal, login = data.get("refusal", ""), data.get("login", "")
    said = server_said(failure)
    said = f" ({said})" if said else ""
    if refusal == Refusal.APP_PASSWORD.value:
        return f"the server wants an app password for {login}, not the normal password{said}"
    if refusal == Refusal.MECHANISM.value:
        return f"no login method both sides support{said}"
    if refusal == Refusal.PLAINTEXT.value:
        return f"the server refuses a plain-text login here{said}"
    return login_rejected(failure, login, _server(data))


def _server(data: dict) -> str:
    """What was logged in to: "IMAP server imap.example.org" (a refused login's data)."""
    protocol, host = str(data.get("protocol") or ""), str(data.get("host") or "")
    return f"{protocol.upper()} server {host}" if protocol else host


_STARTTLS_REASONS = (
    "starttls-missing",
    "starttls-refused",
    "starttls-closed",
    "injection",
    "preauth-in-clear",
)


_TLS_PORTS = {"imap": 993, "pop3": 995, "smtp": 465}


def _tls_fix(failure: SecurityFailure) -> str:
    """What to do about a connection that could not be secured, by the TLS classifier's
    reason (tuimail.core.tls.tls_reason, or the STARTTLS policy's). What the failure's own
    words already say (someone may be stripping STARTTLS) is not said again."""
    reason = failure.reason
    if reason == "pin":
        actual = str((failure.data or {}).get("actual") or "")
        where = f'; in config.toml: pinned_sha256 = "{actual}" for that server' if actual else ""
        return (
            "no password was sent: someone may be intercepting the connection. Ask the "
            "provider whether it changed its certificate and compare the new key's SHA-256 "
            "with theirs; only then trust the new key (in the app: Diagnose, 'Trust the "
            f"new key', for the incoming and outgoing server alike{where})"
        )
    if reason == "expired":
        return (
            "the server's administrator must renew its certificate; do not accept an "
            "expired certificate (check the computer's clock too)"
        )
    if reason == "hostname":
        return (
            "use the host name the provider documents (the one on its certificate); if "
            "it is already right, someone may be intercepting the connection"
        )
    if reason in _STARTTLS_REASONS:
        port = _TLS_PORTS.get(str(failure.protocol or ""))
        where = (
            f"port {port}"
            if port
            else "the implicit-TLS port (993 for IMAP, 995 for POP3, 465 for SMTP)"
        )
        return f"use {where} with security = tls (encrypted from the start). No password was sent."
    if reason == "untrusted":  # self-signed, untrusted root, unknown issuer
        return (
            "the certificate is not from a trusted authority: set ca_file to the "
            "provider's CA, or pin this certificate only if you trust the server"
        )
    return PORT_FIX


def _submit_fix(cause: str, email: str) -> str:
    """What to do about a refused test message, by the cause core decided."""
    if cause in ("security", "unreachable", "lost"):  # the server checks say what to do
        return "see the outgoing server checks above; once they pass, run the doctor again"
    if cause == "login":
        return WRONG_PASSWORD_FIX
    if cause == "relay":
        return (
            "the server did not accept you as one of its users (relay denied): log in "
            "on the submission port (587 or 465) with the account's user name"
        )
    if cause == "login-required":
        return (
            "the server requires a login before sending: use the submission port "
            "(587 or 465), where tuimail logs in"
        )
    if cause == "sender":
        return (
            "sender address rejected: the From must be your own address; set the "
            f"account's email ({email}) to the address this login may send as"
        )
    if cause == "own-address":
        return (
            f"the server refused the account's own address {email} as a "
            "recipient: check the email address in the account settings"
        )
    if cause == "temporary":
        return "the server refused for now (4xx): try again in a few minutes"
    return "the server's reason above says what it refused; check the account settings"


_LONGEST = 400

_REFUSAL_FIX = {
    Refusal.WRONG_PASSWORD.value: WRONG_PASSWORD_FIX,
    Refusal.APP_PASSWORD.value: (
        "create an app password in the provider's account security settings (two-step "
        "verification must be on) and use it as this account's password; the normal "
        "password is not accepted by mail programs"
    ),
    Refusal.MECHANISM.value: (
        "the server does not offer a login method tuimail can use on this port"
    ),
    Refusal.PLAINTEXT.value: "use the TLS port (993/995/465) or security = starttls",
}


def as_dict(result: CheckResult) -> dict:
    """One check as docs/json.md lists it (`tuimail doctor --json`): its words, and the
    data they were made from (`finding`, `data`, and the typed `error` when there is one)."""
    data = {k: v for k, v in result.data.items() if k != "finding"}
    error = error_record(result.failure) if isinstance(result.failure, MailError) else None
    return {
        "name": result.name,
        "group": result.group,
        "status": result.status,
        "seen": seen(result),
        "fix": fix(result),
        "seconds": result.seconds,
        "finding": _plain(result.data.get("finding")),
        "data": _plain(data),
        "error": _plain(error),
    }


def _plain(value: object) -> object:
    """JSON data with every string sanitised (records and names come from servers)."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict):
        return {sanitize(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return sanitize(str(value))


def render_json(results: list[CheckResult]) -> str:
    alerts = [r.data.get("text") for r in results if r.data.get("finding") == "server-alert"]
    checks = [as_dict(r) for r in results]
    return json.dumps({"ok": not failed(results), "alerts": alerts, "checks": checks}, indent=2)


def render_text(results: list[CheckResult], colour: bool = False) -> str:
    lines: list[str] = []
    group = None
    for r in results:
        if r.group != group:
            group = r.group
            lines.append("" if not lines else "")
            lines.append(group)
        mark = r.status.upper()
        if colour:
            mark = f"{_COLOURS[r.status]}{mark}\x1b[0m"
        lines.append(f"  [{mark}] {r.name}: {seen(r)} ({r.seconds:.2f}s)")
        if fix(r) and r.status != "ok":
            lines.append(f"      fix: {fix(r)}")
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "warning", "failure")}
    lines.append("")
    lines.append(
        f"{counts['ok']} ok, {counts['warning']} warning(s), {counts['failure']} failure(s)"
    )
    return "\n".join(lines).lstrip("\n") + "\n"
