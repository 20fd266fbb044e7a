"""Sentences for people, made from typed errors (tuimail.core.errors): the edge's words.

The CLI and the UI (through the service facade, which hands these over as event texts
and status details) say what failed with these. Nothing here decides anything: the
decisions were made from the error's type where it was raised.
"""

from __future__ import annotations

from tuimail.core.errors import (
    AuthenticationFailed,
    MailError,
    ProtocolViolation,
    SecurityFailure,
    ServerBusy,
)
from tuimail.core.sanitize import sanitize


def typed(exc: BaseException) -> MailError | None:
    """The typed error for `exc`, if any (a MailError, or one in its cause chain, or a
    transport failure)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, MailError):
            return current
        current = current.__cause__
        seen += 1
    from tuimail.core.net_errors import classify_transport

    return classify_transport(exc)


def describe(exc: BaseException) -> str:
    """One sentence (no traceback, terminal-safe) for any failure."""
    error = typed(exc)
    if error is None:
        text = sanitize(str(exc).strip()) or type(exc).__name__
        return f"Something went wrong: {text}"
    return sanitize(failure_words(error))


def failure_words(error: MailError) -> str:
    """What happened, in the error's own words plus the server's (code and text)."""
    words = error.message or _KIND_WORDS.get(error.kind, "the request failed")
    said = (error.server_text or "").strip()
    if said and said not in words:
        words = f"{words}: {said}"
    return words


def _oauth(error: MailError) -> bool:
    return error.protocol == "oauth2" or hasattr(error, "challenge")


def advice(error: MailError) -> str:
    """What happens next, as the runtime's policy decided it from the type."""
    if isinstance(error, AuthenticationFailed) and _oauth(error):
        return "sign in again (tuimail account login ACCOUNT); queued work waits"
    if isinstance(error, AuthenticationFailed):
        return "not trying again until the password is checked"
    if isinstance(error, SecurityFailure):
        return "not connecting until this is resolved"
    if isinstance(error, ServerBusy):
        return "trying again later"
    if isinstance(error, ProtocolViolation):
        return "the connection was closed"
    if error.retry:
        return "trying again later"
    return ""


_KIND_WORDS = {
    "connection-lost": "the connection to the mail server was lost",
    "unreachable": "the mail server cannot be reached",
    "timeout": "the mail server did not answer in time",
    "busy": "the mail server is busy; it asked to try again later",
    "authentication": "the mail server refused the login",
    "security": "the connection could not be secured",
    "protocol": "the mail server broke the protocol",
    "refused": "the mail server refused",
}
