"""The POP3 classifier: poplib's exceptions and -ERR replies as typed errors.

Decisions come from types and RFC 2449/3206 response codes in the -ERR text:

    [IN-USE] [SYS/TEMP] [LOGIN-DELAY]      -> ServerBusy (retry later)
    [AUTH], or a bare -ERR to USER/PASS     -> AuthenticationFailed (ask the user)
    [SYS/PERM], any other -ERR              -> Refused
    "-ERR EOF" (poplib: the peer closed)    -> ConnectionLost
    a line too long, not "+OK"/"-ERR"       -> ProtocolViolation

poplib's own words are read here only (it reports EOF and garbage as text). Every typed
error raised for POP3 is also a `Pop3Error`, so `except Pop3Error` catches them all.
"""

from __future__ import annotations

import poplib
import re

from tuimail.core.errors import (
    AuthenticationFailed,
    ConnectionLost,
    MailError,
    PermanentError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    ServerBusy,
    TimedOut,
    TransientError,
    Unreachable,
)
from tuimail.core.net_errors import classify_transport, local_store_data
from tuimail.core.sanitize import sanitize

TRANSIENT_CODES = frozenset({"IN-USE", "SYS/TEMP", "LOGIN-DELAY"})
AUTH_CODES = frozenset({"AUTH"})


class Pop3Error(MailError):
    """Any POP3 failure (each typed error below is one)."""

    def __init__(self, message: str = "", **kw) -> None:
        kw.setdefault("protocol", "pop3")
        super().__init__(message, **kw)


class Pop3Busy(Pop3Error, ServerBusy):
    """[IN-USE], [SYS/TEMP], [LOGIN-DELAY]: not the password's fault; try again later."""


class Pop3AuthenticationFailed(Pop3Error, AuthenticationFailed):
    pass


class Pop3Refused(Pop3Error, Refused):
    pass


class Pop3ConnectionLost(Pop3Error, ConnectionLost):
    pass


class Pop3TimedOut(Pop3Error, TimedOut):
    pass


class Pop3Unreachable(Pop3Error, Unreachable):
    pass


class Pop3SecurityFailure(Pop3Error, SecurityFailure):
    pass


class Pop3ProtocolViolation(Pop3Error, ProtocolViolation):
    pass


class Pop3Failure(Pop3Error, PermanentError):
    pass


_POP3_TYPES: tuple[tuple[type[MailError], type[Pop3Error]], ...] = (
    (ServerBusy, Pop3Busy),
    (AuthenticationFailed, Pop3AuthenticationFailed),
    (Refused, Pop3Refused),
    (ConnectionLost, Pop3ConnectionLost),
    (TimedOut, Pop3TimedOut),
    (Unreachable, Pop3Unreachable),
    (SecurityFailure, Pop3SecurityFailure),
    (ProtocolViolation, Pop3ProtocolViolation),
    (TransientError, Pop3ConnectionLost),
    (MailError, Pop3Failure),
)

_CODE = re.compile(r"^\s*\[([A-Za-z][A-Za-z0-9/-]*)\]")


def response_code(text: str) -> str | None:
    """The RFC 2449 response code at the start of an -ERR text ("IN-USE"), upper case."""
    match = _CODE.match(text)
    return match.group(1).upper() if match else None


def classify_pop3(exc: BaseException, *, host: str | None = None, login: bool = False) -> Pop3Error:
    """The typed error for anything a POP3 step raised. `login`: the step was USER/PASS
    (an -ERR there without a code means the credentials)."""
    if isinstance(exc, Pop3Error):
        return exc
    kw = {"protocol": "pop3", "host": host}
    if isinstance(exc, MailError):
        return _as_pop3(exc)
    if isinstance(exc, poplib.error_proto):
        return _proto(exc, host, login)
    transport = classify_transport(exc, "pop3", host)
    if transport is not None:
        return _as_pop3(transport)
    if isinstance(exc, UnicodeError):
        error: Pop3Error = Pop3ProtocolViolation(reason="bad-bytes", **kw)
    elif isinstance(exc, MemoryError):
        error = Pop3ProtocolViolation(reason="too-much-data", **kw)
    elif (local := local_store_data(exc)) is not None:  # this computer's store
        error = Pop3Failure(reason="local-store", data=local, **kw)
    else:  # not a protocol failure: its own words, kept as data
        detail = {"detail": sanitize(str(exc)) or type(exc).__name__}
        error = Pop3Failure(reason="other", data=detail, **kw)
    error.__cause__ = exc
    return error


def reply_error(text: str, *, host: str | None = None, login: bool = False) -> Pop3Error:
    """An -ERR reply (its text after "-ERR") as a typed error."""
    code = response_code(text)
    kw = {"protocol": "pop3", "host": host, "code": code, "server_text": text}
    if code == "IN-USE":
        return Pop3Busy(reason="in-use", **kw)
    if code == "LOGIN-DELAY":
        return Pop3Busy(reason="login-delay", **kw)
    if code in TRANSIENT_CODES:
        return Pop3Busy(reason="temporary", **kw)
    if code in AUTH_CODES or (login and code is None):
        return Pop3AuthenticationFailed(**kw)
    return Pop3Refused(**kw)


def _proto(exc: poplib.error_proto, host: str | None, login: bool) -> Pop3Error:
    arg = exc.args[0] if exc.args else b""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    kw = {"protocol": "pop3", "host": host}
    if text == "-ERR EOF":
        error: Pop3Error = Pop3ConnectionLost(reason="closed", **kw)
    elif text.startswith("-ERR"):
        error = reply_error(sanitize(text[4:].strip()), host=host, login=login)
    elif text.startswith("line too long"):
        limit = {"limit": poplib._MAXLINE}
        error = Pop3ProtocolViolation(reason="line-too-long", data=limit, server_text=text, **kw)
    else:
        said = sanitize(text)
        error = Pop3ProtocolViolation(
            reason="not-protocol", data={"line": said[:200]}, server_text=said, **kw
        )
    error.__cause__ = exc
    return error


def greeting_words(exc: poplib.error_proto) -> tuple[bool, str]:
    """A failed POP3 greeting as (refused, the server's words): "-ERR ..." is the server
    refusing the connection; anything else is not POP3 at all."""
    arg = exc.args[0] if exc.args else b""
    words = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return words.startswith("-ERR"), words


def _as_pop3(error: MailError) -> Pop3Error:
    if isinstance(error, Pop3Error):
        return error
    for base, pop3_type in _POP3_TYPES:
        if isinstance(error, base):
            new = pop3_type(
                error.message,
                protocol="pop3",
                code=error.code,
                server_text=error.server_text,
                host=error.host,
                reason=error.reason,  # the transport's or the TLS classifier's
                data=error.data,
            )
            new.__cause__ = error.__cause__ or error
            return new
    raise AssertionError("unreachable")
