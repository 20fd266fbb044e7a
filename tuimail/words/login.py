"""One sentence for a login the server rejected and for a sign-in that failed
(`tuimail account login`, the wizard, detection).
"""

from __future__ import annotations

from tuimail.core.errors import (
    MailError,
    Refused,
    SecurityFailure,
    TransientError,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.failures import failure_words
from tuimail.words.plain import plain, server_said, tidy
from tuimail.words.sign_in import SIGN_IN_CODES


def login_rejected(error: MailError, login: str, server: str = "") -> str:
    """One sentence for a login the server rejected: which server (`server`, e.g. "IMAP
    server imap.example.org"; else from the error's protocol and host), which login, and
    the server's code and words once ("The IMAP server localhost rejected the login for
    ana ([AUTHENTICATIONFAILED] Authentication failed)"). The error's own message is not
    repeated: it says the same as this sentence. The fix is the caller's."""
    if not server:
        proto = (error.protocol or "").upper()
        host = error.host or ""
        server = " ".join(p for p in (proto, "server", host) if p) if proto else host
    where = f"The {server}" if server else "The mail server"
    words = f"{where} rejected the login for {login}" if login else f"{where} rejected the login"
    said = server_said(error)
    return sanitize(f"{words} ({said})" if said else words)


def sign_in_failure(error: MailError) -> str:
    """One sentence for a sign-in that failed (`tuimail account login`, the wizard), from
    the error's type, reason and the authorization server's code and words."""
    said = sanitize(tidy(error.server_text or ""))[:200]
    said = f" (the server said: {said})" if said else ""
    if error.reason == "sign-in":
        words = SIGN_IN_CODES.get(plain(error.code), "")
        if error.code == "expired_token":
            words += "; run the command again"
        return (words or f"the sign-in failed ({plain(error.code)})") + said + "."
    if isinstance(error, Refused) and error.reason in ("oauth", ""):
        return (
            "the authorization server refused this application "
            f"({plain(error.code)}): check client_id and client_secret{said}."
        )
    if isinstance(error, SecurityFailure):
        return f"the authorization server could not be trusted: {failure_words(error)}."
    if isinstance(error, TransientError):
        return (
            f"the authorization server could not be reached or is busy ({error.kind}): "
            f"{failure_words(error)}; try again later."
        )
    return f"the sign-in failed: {failure_words(error)}."
