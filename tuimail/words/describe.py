"""One sentence for any failure that reaches the edge (typed, a library's, a facade
step's, a queued send), never a traceback; terminal-safe.
"""

from __future__ import annotations

import sys

from tuimail.core.errors import (
    MailError,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.config import config_words
from tuimail.words.failures import failure_words
from tuimail.words.outbox import outbox_reason, state_label, submit_error
from tuimail.words.password import password_words
from tuimail.words.service import service_words
from tuimail.words.sign_in import needs_sign_in, sign_in_advice, sign_in_needed
from tuimail.words.store import needs_room_words, unreadable_words


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


def _is_service(exc: BaseException) -> bool:
    cls = getattr(sys.modules.get("tuimail.core.facade.views"), "ServiceError", None)
    return cls is not None and isinstance(exc, cls)


def _is_password(exc: BaseException) -> bool:
    """A password that could not be obtained (core.secrets.PasswordError, typed)."""
    cls = getattr(sys.modules.get("tuimail.core.secrets"), "PasswordError", None)
    return cls is not None and isinstance(exc, cls)


def _is_config(exc: BaseException) -> bool:
    """A configuration file that cannot be used (core.config.ConfigError, typed)."""
    cls = getattr(sys.modules.get("tuimail.core.config"), "ConfigError", None)
    return cls is not None and isinstance(exc, cls)


def _is_sentence(exc: BaseException) -> bool:
    """Errors whose text is already written for people: core's own, not a server's.
    Looked up only if loaded."""
    for module, name in (
        ("tuimail.core.service", "ServiceError"),
        ("tuimail.cli.account_check", "AccountConfigError"),
    ):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return True
    return False


def _store_needs_room(exc: BaseException) -> bool:
    """A store upgrade rolled back for want of disk space (typed). Looked up only if loaded."""
    cls = getattr(sys.modules.get("tuimail.core.store.schema"), "StoreNeedsRoom", None)
    return cls is not None and isinstance(exc, cls)


def _store_unwritable(exc: BaseException) -> bool:
    """SQLite could not write (SQLITE_FULL, SQLITE_IOERR_*: a full disk shows as either,
    told by the error's code). Looked up only if loaded."""
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return False
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.startswith(("SQLITE_FULL", "SQLITE_IOERR"))


def _store_unreadable(exc: BaseException) -> bool:
    """The store file is damaged or not a database (SQLITE_NOTADB, SQLITE_CORRUPT*), told
    by the error's code. Looked up only if loaded."""
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return False
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))


def describe(exc: BaseException) -> str:
    """One sentence (no traceback, terminal-safe) for any failure."""
    queued = getattr(sys.modules.get("tuimail.core.facade.views"), "QueuedError", None)
    if queued is not None and isinstance(exc, queued):
        why = outbox_reason(exc.entry) or state_label(exc.entry)
        if getattr(exc.entry, "state", "") in ("failed", "maybe_sent"):
            # never sent again by itself: "waits" read as if it would be
            return f"The message was not sent ({why}); it is kept in the outbox, not sent again."
        return f"The message was not sent ({why}); it waits in the outbox."
    submit = getattr(sys.modules.get("tuimail.core.smtp"), "SubmitError", None)
    if submit is not None and isinstance(exc, submit):
        return submit_error(exc)
    if needs_sign_in(exc):
        return f"{sign_in_needed(exc)}; {sign_in_advice(exc)}"
    if getattr(exc, "reason", "") and _is_service(exc):
        return service_words(exc)
    if _is_password(exc):
        return password_words(exc)
    if _is_config(exc):
        return config_words(exc)
    if _is_sentence(exc):
        return sanitize(str(exc))
    if _store_needs_room(exc):
        return needs_room_words(exc)
    if _store_unwritable(exc):
        return f"the local store could not be written (is the disk full?): {sanitize(str(exc))}"
    if _store_unreadable(exc):
        return unreadable_words(exc)
    error = typed(exc)
    if error is None:
        text = sanitize(str(exc).strip()) or type(exc).__name__
        return f"Something went wrong: {text}"
    return sanitize(failure_words(error))


def sentence(exc: BaseException) -> str:
    """describe(exc) closed with a full stop, to go before another sentence."""
    words = describe(exc)
    return words if words.endswith((".", "!", "?")) else f"{words}."
