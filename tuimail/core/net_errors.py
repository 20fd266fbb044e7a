"""The transport classifier: socket, DNS and TLS failures as typed errors.

Every protocol classifier (IMAP, POP3, SMTP) asks this one first for what is not the
protocol's own business: a refused or reset connection, a timeout, a name that does not
resolve, a certificate that does not verify, a STARTTLS that could not be completed.
Decisions come from exception types; a TLS failure's reason comes from the TLS
classifier (`tls.tls_reason`, which reads the library's verify code) and travels on the
SecurityFailure as data; the sentence is made at the edge (tuimail.words.security.security).
"""

from __future__ import annotations

import socket
import ssl

from tuimail.core.errors import (
    ConnectionLost,
    MailError,
    SecurityFailure,
    TimedOut,
    Unreachable,
)


def classify_transport(
    exc: BaseException, protocol: str | None = None, host: str | None = None
) -> MailError | None:
    """The typed error for a transport failure, or None if `exc` is not one."""
    from tuimail.core.connect import TLSRequiredError
    from tuimail.core.tls import tls_reason

    kw = {"protocol": protocol, "host": host}
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, TLSRequiredError):  # missing/refused STARTTLS, injection, bad TLS
        failure = SecurityFailure(
            reason=exc.reason, data=exc.data, server_text=exc.server_text, **kw
        )
        return _chain(failure, exc)
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return _chain(ConnectionLost(reason="closed", **kw), exc)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        reason, data = tls_reason(exc)
        return _chain(SecurityFailure(reason=reason, data=data, **kw), exc)
    if isinstance(exc, socket.gaierror):
        return _chain(Unreachable(reason="dns", **kw), exc)
    if isinstance(exc, TimeoutError | socket.timeout):
        return _chain(TimedOut(**kw), exc)
    if isinstance(exc, ConnectionRefusedError):
        return _chain(Unreachable(reason="connection-refused", **kw), exc)
    if isinstance(exc, ConnectionError | EOFError):
        return _chain(ConnectionLost(**kw), exc)
    if isinstance(exc, OSError):  # no route, network down, host unreachable
        detail = exc.strerror or type(exc).__name__  # the system's own words, as data
        return _chain(Unreachable(reason="no-route", data={"detail": detail}, **kw), exc)
    return None


def _chain(error: MailError, cause: BaseException) -> MailError:
    error.__cause__ = cause
    return error


def local_store_data(exc: BaseException) -> dict | None:
    """For a failure of the local store (SQLite) met during a protocol step, the data of
    its "local-store" reason: `detail` (SQLite's words), `full` (the disk or the database
    is full: SQLITE_FULL, or an I/O error, which a full disk also gives); None for any
    other exception. Told by the exception's type and SQLite's error code."""
    import sys

    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", None) or ""
    full = name.startswith(("SQLITE_FULL", "SQLITE_IOERR"))
    return {"detail": str(exc) or type(exc).__name__, "full": full}
