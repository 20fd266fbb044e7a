"""Turn a failed login into a finding: the typed error and the usual cause it names
(wrong password, app password needed, plaintext refused, mechanism not offered), worded
with its fix at the edge (tuimail.doctor_words)."""

from __future__ import annotations

from tuimail.core.doctor.report import CheckResult
from tuimail.core.errors import MailError
from tuimail.core.login_errors import classify_refusal

WRONG_PASSWORD_FIX = (
    "check the user name and password; if the provider uses two-step verification, "
    "create an app password and use it instead of the normal password"
)
SUPPORTED_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")


def server_words(exc: BaseException) -> str:
    """What the server said, as words: "535 5.7.8 Authentication credentials invalid",
    not "(535, '5.7.8 ...')" or "b'[AUTHENTICATIONFAILED] ...'" (from the protocol's
    classifier, which keeps the server's code and words)."""
    import poplib

    from imapclient.exceptions import IMAPClientError

    code, message = getattr(exc, "code", None), getattr(exc, "message", None)
    if isinstance(code, int) and message is not None and not isinstance(exc, MailError):
        return f"{code} {message}".strip()  # aiosmtplib's reply
    error: MailError | None = exc if isinstance(exc, MailError) else None
    if isinstance(exc, poplib.error_proto):
        from tuimail.core.pop3_errors import classify_pop3

        error = classify_pop3(exc, login=True)
    elif isinstance(exc, IMAPClientError):
        from tuimail.core.imap.errors import classify_imap

        error = classify_imap(exc, login=True)
    if error is not None:
        words = error.server_text or (
            error.code if isinstance(error.code, str) else error.message or error.kind
        )
        code = f"{error.code} " if isinstance(error.code, int) else ""
        return f"{code}{words}".strip()
    return str(exc).strip() or type(exc).__name__


def login_failed(group: str, login: str, error: MailError, seconds: float) -> CheckResult:
    """The check line for a refused login: the typed error, and the usual cause its words
    name (decided by the login classifier, tuimail.core.login_errors). The edge words it
    and gives the cause's fix (tuimail.doctor_words)."""
    kind = classify_refusal(server_words(error))
    data = {"finding": "login-refused", "refusal": kind.value, "login": login}
    return CheckResult("login", group, "failure", "", "", seconds, failure=error, data=data)


def no_mechanism(group: str, offered: list[str], seconds: float) -> CheckResult:
    shown = ", ".join(offered) or "none"
    oauth = [m for m in offered if m in ("XOAUTH2", "OAUTHBEARER")]
    fix = (
        f"tuimail logs in with {', '.join(SUPPORTED_MECHANISMS)}; ask the provider which "
        "port and method to use"
    )
    if oauth:
        fix = (
            f"this server offers only OAuth sign-in ({', '.join(oauth)}): set "
            'auth = "oauth2" and an oauth2 table for this account (docs/config.md), then '
            "sign in with `tuimail account login NAME`"
        )
    return CheckResult(
        "login",
        group,
        "failure",
        f"no login method tuimail supports is offered (offered: {shown}); no password was sent",
        fix,
        seconds,
    )


def plain_login(group: str, refused_by_server: str | None) -> CheckResult:
    """security = plain: the doctor never sends the password in clear. If the server
    refuses plain-text logins anyway (`refused_by_server` says how it shows it), the
    account cannot log in at all: that is the cause, and a failure."""
    if refused_by_server:
        return CheckResult(
            "login",
            group,
            "failure",
            f"the server refuses a plain-text login on this connection ({refused_by_server}), "
            "and security = plain never encrypts it; no password was sent",
            "set security = starttls for this port (or use the TLS port 993/995/465 with "
            "security = tls)",
        )
    return CheckResult(
        "login",
        group,
        "warning",
        "not tried: the connection is not encrypted (security = plain), and tuimail "
        "doctor never sends a password in clear",
        "use security = tls or starttls; until then the password travels unencrypted "
        "each time tuimail logs in",
    )
