"""Sentences for people, made from what core hands out: the edge's words.

Core (tuimail.core) never makes a sentence about a failure: it raises typed errors
(tuimail.core.errors), returns them with where they happened (`Failure`: account, folder,
action) and describes an account's state as data (`AccountState`). The CLI (tuimail.cli)
and the UI (tuimail.ui) both say it with this module, so a failure reads the same in
both. Nothing here decides anything: the decisions were made from the error's type
where it was raised.

Every sentence returned is sanitised (no control characters): the server's words are
shown as plain text; the UI hands them to Textual as Text/Content, never as markup.
Core never imports this module (tests/test_layers.py).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from tuimail.core.errors import (
    FLUSH,
    LIST,
    OUTBOX,
    RETR,
    SEARCH,
    SYNC,
    AuthenticationFailed,
    Failure,
    MailError,
    ProtocolViolation,
    SecurityFailure,
    ServerBusy,
)
from tuimail.core.sanitize import sanitize


def typed(exc: BaseException) -> MailError | None:
    """The typed error for `exc`, if any: a MailError, or one in its cause chain, an
    IMAP or POP3 library error through that protocol's classifier (chosen by type; the
    classifier is the one place that reads its words), or a transport failure."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, MailError):
            return current
        current = current.__cause__
        seen += 1
    imaplib = sys.modules.get("imaplib")  # loaded if an IMAP error can exist at all
    if imaplib is not None and isinstance(exc, imaplib.IMAP4.error):
        from tuimail.core.imap.errors import classify_imap

        return classify_imap(exc)
    poplib = sys.modules.get("poplib")
    if poplib is not None and isinstance(exc, poplib.error_proto):
        from tuimail.core.pop3_errors import classify_pop3

        return classify_pop3(exc)
    from tuimail.core.net_errors import classify_transport

    return classify_transport(exc)


def _is_sentence(exc: BaseException) -> bool:
    """Errors whose text is already written for people (a wrong account name, a password
    command that failed): core's own, not a server's. Looked up only if loaded."""
    for module, name in (
        ("tuimail.core.service", "ServiceError"),
        ("tuimail.core.secrets", "PasswordError"),
        ("tuimail.core.config", "ConfigError"),
    ):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return True
    return False


def describe(exc: BaseException) -> str:
    """One sentence (no traceback, terminal-safe) for any failure."""
    if _is_sentence(exc):
        return sanitize(str(exc))
    error = typed(exc)
    if error is None:
        text = sanitize(str(exc).strip()) or type(exc).__name__
        return f"Something went wrong: {text}"
    return sanitize(failure_words(error))


def failure_words(error: MailError) -> str:
    """What happened, in the error's own words plus the server's (code and text)."""
    words = error.message or _KIND_WORDS.get(error.kind, "the request failed")
    said = _tidy(error.server_text or "").strip()
    code = error.code
    if code is not None and str(code) not in said and str(code) not in words:
        tag = str(code) if isinstance(code, int) else f"[{code}]"  # 535, [UNAVAILABLE]
        said = f"{tag} {said}".strip()
    if said and said not in words:
        words = f"{words}: {said}"
    return sanitize(words)


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


def failure(item: Failure) -> str:
    """One sentence for a failure and where it happened."""
    error = item.error
    if item.action == LIST:
        said = sanitize(_tidy(getattr(error, "server_text", None) or ""))
        return f"the server listed a folder tuimail cannot read: {said}"
    words = describe(error)
    if item.action == RETR:
        return (
            f"message {sanitize(item.item)} on the server was not downloaded: the server "
            f"refused to send it ({words}); the next check asks for it again"
        )
    if item.action == FLUSH:
        return f"Saved here; the server will be updated when it is reachable ({words})"
    if item.action == OUTBOX:
        return f"Outbox: {words}"
    if item.action == SEARCH:
        return f"Searched this computer only ({words})"
    if item.folder and item.action == SYNC:
        return f"{sanitize(item.folder)}: {words}"
    return words


def skipped(count: int) -> str:
    """The folders a pass did not try after the server stopped answering."""
    noun = "folder" if count == 1 else "folders"
    return f"{count} other {noun} not synced this time (the mail server did not answer in time)"


def sync_errors(result: Any) -> list[str]:
    """A SyncResult's failures, one sentence each (the others were synced)."""
    out = [failure(f) for f in result.failures]
    if result.skipped:
        out.append(skipped(len(result.skipped)))
    return out


def warning(key: str) -> str:
    """What a pass had to work around (tuimail.core.pop3 NO_UIDL, ODD_UIDL)."""
    return _WARNINGS.get(key, sanitize(key))


def sent(count: int) -> str:
    noun = "message" if count == 1 else "messages"
    return f"{count} waiting {noun} sent from the outbox."


def event(item: Any) -> str:
    """The sentence for a service event that has one ("error", "warning", "sent"), else ""."""
    if item.kind == "error" and item.error is not None:
        return failure(item.failure)
    if item.kind == "warning":
        return warning(item.note)
    if item.kind == "sent":
        return sent(item.count)
    return ""


def state(item: Any) -> str:
    """An account's state (tuimail.core.runtime.AccountState) for the status bar and
    `tuimail watch`: its failure and what happens next, or what it is doing."""
    error = item.error
    if error is not None:
        text = describe(error)
        mail = error if isinstance(error, MailError) else None
        hint = advice(mail) if mail is not None else ""
        if hint and item.phase != "offline-retrying":
            text = f"{text} — {hint}"
    elif item.failures:
        text = "; ".join(failure(f) for f in item.failures[:2])
    elif item.activity == "syncing" and item.progress:
        folder, done, total = item.progress
        text = f"syncing {sanitize(folder)}" + (f" {done}/{total}" if total else "")
    elif item.activity == "polling":
        text = f"checking every {item.interval} s"
    else:
        text = _ACTIVITY.get(item.activity, item.state)
    if item.retry_in is not None:
        text = f"{text} — retrying in {max(1, round(item.retry_in))} s"
    return sanitize(text)


def _tidy(text: str) -> str:
    """Server texts sometimes arrive as b'...' reprs; show the words only."""
    return re.sub(r"""\bb(['"])(.*?)\1""", r"\2", str(text))


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

_ACTIVITY = {
    "syncing": "syncing",
    "up-to-date": "up to date",
    "push": "push connected",
    "disconnected": "disconnected",
}

_WARNINGS = {
    "pop3-no-uidl": (
        "this POP3 server does not support UIDL; messages are recognised by a hash of "
        "their headers, which can mistake two messages with identical headers for one. "
        "Turn off 'leave messages on server' for this account."
    ),
    "pop3-odd-uidl": (
        "the server gave some messages an empty, invalid or repeated UIDL; those are "
        "recognised by a hash of their headers instead"
    ),
}
