"""The doctor's report for people: each check's finding worded at the edge, and the
text and JSON reports (`tuimail doctor`, the app's Diagnose screen).

A finding core built from a typed error (CheckResult.failure, e.g. the SecurityFailure
of a TLS check) is worded here with tuimail.words, the same words the CLI and the app
use for that failure anywhere else: one table of sentences, not one per report.
"""

from __future__ import annotations

import json

from tuimail.core.doctor.login_checks import WRONG_PASSWORD_FIX
from tuimail.core.doctor.report import CheckResult, failed
from tuimail.core.doctor.server_checks import PORT_FIX
from tuimail.core.errors import SecurityFailure, ServerBusy, TimedOut
from tuimail.core.login_errors import Refusal
from tuimail.core.sanitize import sanitize
from tuimail.words import failure_words, submit_failure

_COLOURS = {"ok": "\x1b[32m", "warning": "\x1b[33m", "failure": "\x1b[31m"}


def seen(result: CheckResult) -> str:
    """What the check found, in one sanitised sentence: for a finding made from a typed
    error, the words tuimail.words has for that error (code and server's words included)."""
    finding = result.data.get("finding")
    if finding == "submit-refused":
        said = submit_failure(result.data.get("submit") or {})
        return sanitize(f"the outgoing server refused the test message: {said}")
    if result.failure is None:
        return result.seen
    words = failure_words(result.failure)
    if finding == "not-sent":
        words = f"no test message was sent; the incoming server: {words}"
    elif finding == "lost-waiting":
        words = (
            "the server accepted the test message, then the connection to the incoming "
            f"server failed while waiting for it: {words}"
        )
    elif finding == "not-deleted":
        words = f"the test message could not be deleted: {words}"
    elif finding == "token-rejected":  # its words name the login and the challenge's reason
        words = f"{words} (also after renewing the token once)"
    elif finding == "login-refused":
        words = _refused(result.data.get("refusal", ""), result.data.get("login", ""), words)
    elif result.seen:
        words = f"{words} ({result.seen})"
    if len(words) > _LONGEST:  # a hostile server's words fill no screen
        words = words[: _LONGEST - 3] + "..."
    return sanitize(words)


def fix(result: CheckResult) -> str:
    """What to do: core's fix when it gave one, else the one the error's type (or the
    login refusal's cause) calls for."""
    if result.fix or (result.failure is None and not result.data):
        return result.fix
    finding = result.data.get("finding")
    if finding == "tls" and isinstance(result.failure, SecurityFailure):
        return _tls_fix(result.failure.reason)
    if finding == "token-rejected":
        login, name = result.data.get("login", ""), result.data.get("account", "")
        return (
            "the sign-in may lack the mail permission (scope) or be another user's: sign in "
            f"again as {login} with tuimail account login {name}; check that the client "
            "registration has the mail API permissions (Microsoft: IMAP.AccessAsUser.All, "
            "POP.AccessAsUser.All, SMTP.Send) and that the mailbox allows IMAP/POP/SMTP"
        )
    if finding == "submit-refused":
        return _submit_fix(result.data.get("cause", ""), result.data.get("email", ""))
    if finding == "login-refused":
        return _REFUSAL_FIX.get(result.data.get("refusal", ""), WRONG_PASSWORD_FIX)
    if isinstance(result.failure, ServerBusy):
        return "the server is busy or closed to new connections: try again later"
    if isinstance(result.failure, TimedOut):
        return "the server is slow or does not answer: try again later, or raise --timeout"
    if finding == "lost":
        return PORT_FIX
    return ""


def _refused(refusal: str, login: str, words: str) -> str:
    """A refused login's line: the cause its words name, then the error's own words."""
    if refusal == Refusal.APP_PASSWORD.value:
        return f"the server wants an app password for {login}, not the normal password: {words}"
    if refusal == Refusal.MECHANISM.value:
        return f"no login method both sides support: {words}"
    if refusal == Refusal.PLAINTEXT.value:
        return f"the server refuses a plain-text login here: {words}"
    return f"{words} (logging in as {login})" if login else words


_STARTTLS_REASONS = ("starttls-missing", "starttls-refused", "starttls-closed", "injection")


def _tls_fix(reason: str) -> str:
    """What to do about a connection that could not be secured, by the TLS classifier's
    reason (tuimail.core.tls.tls_reason, or the STARTTLS policy's)."""
    if reason == "pin":
        return (
            "no password was sent: someone may be intercepting the connection. Ask the "
            "provider whether it changed its certificate and compare the new key's SHA-256 "
            "with theirs; only then trust the new key (in the app: Diagnose, 'Trust the "
            "new key', for the incoming and outgoing server alike)"
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
        return (
            "use the implicit-TLS port (993 for IMAP, 995 for POP3, 465 for SMTP) with "
            "security = tls; if this server normally offers STARTTLS, something on the "
            "network is stripping it. No password was sent."
        )
    if reason == "untrusted":  # self-signed, untrusted root, unknown issuer
        return (
            "the certificate is not from a trusted authority: set ca_file to the "
            "provider's CA, or pin this certificate only if you trust the server"
        )
    return PORT_FIX


def _submit_fix(cause: str, email: str) -> str:
    """What to do about a refused test message, by the cause core decided."""
    if cause == "security":
        return (
            "check the outgoing port and security settings (465 with tls, 587 with "
            "starttls); nothing was sent"
        )
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
    """One check as docs/json.md lists it (`tuimail doctor --json`)."""
    return {
        "name": result.name,
        "group": result.group,
        "status": result.status,
        "seen": seen(result),
        "fix": fix(result),
        "seconds": result.seconds,
    }


def render_json(results: list[CheckResult]) -> str:
    return json.dumps(
        {"ok": not failed(results), "checks": [as_dict(r) for r in results]}, indent=2
    )


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
