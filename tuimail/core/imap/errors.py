"""The IMAP classifier: imaplib/imapclient exceptions and server replies as typed errors.

Decisions come from types and RFC 5530 response codes ("NO [UNAVAILABLE] ..."); the
library's own words are read only here, and only where it gives nothing else (imaplib
reports a broken protocol as text). The server's code and words travel on the error.

    [UNAVAILABLE] [INUSE] [LIMIT] [SERVERBUG]        -> ServerBusy (retry later)
    [AUTHENTICATIONFAILED] [AUTHORIZATIONFAILED]
    [EXPIRED] [CONTACTADMIN], or a bare NO to LOGIN   -> AuthenticationFailed
    [PRIVACYREQUIRED]                                 -> SecurityFailure
    BYE, EOF, a reset                                 -> ConnectionLost
    garbage, a wrong tag, over a limit                -> ProtocolViolation
    any other NO / BAD                                -> Refused
"""

from __future__ import annotations

import ast
import imaplib
import re

from imapclient.exceptions import LoginError, ProtocolError

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
)
from tuimail.core.net_errors import classify_transport, local_store_data

TRANSIENT_CODES = frozenset({"UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"})
AUTH_CODES = frozenset({"AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "EXPIRED", "CONTACTADMIN"})
SECURITY_CODES = frozenset({"PRIVACYREQUIRED"})

_CODE = re.compile(r"^\s*\[([A-Za-z][A-Za-z0-9/.-]*)(?:[ \]])")


def response_code(text: str) -> str | None:
    """The RFC 5530 response code at the start of a tagged reply's text, upper case."""
    match = _CODE.match(text)
    return match.group(1).upper() if match else None


def classify_imap(exc: BaseException, *, host: str | None = None, login: bool = False) -> MailError:
    """The typed error for anything an IMAP step raised. `login`: it was the LOGIN or
    AUTHENTICATE command (a NO there without a code means the credentials)."""
    if isinstance(exc, MailError):
        return exc
    kw = {"protocol": "imap", "host": host}
    if isinstance(exc, LoginError):
        cause = exc.__context__
        if isinstance(cause, imaplib.IMAP4.abort):  # lost or broken during LOGIN
            return classify_imap(cause, host=host)
        return reply_error(_reply_text(_text(exc)), host=host, login=True, cause=exc)
    context = exc.__context__
    if isinstance(exc, imaplib.IMAP4.abort) and isinstance(context, MailError):
        if isinstance(context, imaplib.IMAP4.abort):
            # tuimail.core.connect's own (a bound, a closed connection), which imaplib
            # re-raised as a plain abort with the command's name in front
            return context
    if isinstance(exc, imaplib.IMAP4.abort):
        text = _COMMAND_PREFIX.sub("", _text(exc))  # the server's words, not imaplib's
        violation = protocol_violation(text)
        if violation is not None and violation[0] not in _CLOSED:
            reason, data = violation
            return _with(ProtocolViolation(reason=reason, data=data, server_text=text, **kw), exc)
        if _timed_out(text):
            return _with(TimedOut(**kw), exc)
        reason, data = violation or ("", {})
        return _with(ConnectionLost(reason=reason, data=data, **kw), exc, server_text=text)
    transport = classify_transport(exc, "imap", host)
    if transport is not None:
        return transport
    if isinstance(exc, ProtocolError):  # imapclient could not parse the answer
        return _with(ProtocolViolation(reason="unparsable", server_text=_text(exc), **kw), exc)
    if isinstance(exc, imaplib.IMAP4.error):
        text = _text(exc)
        if text.startswith("* BYE"):  # the greeting was BYE: not accepting connections now
            said = text[len("* BYE") :].strip()
            busy = ServerBusy(
                reason="greeting-refused", code=response_code(said), server_text=said, **kw
            )
            return _with(busy, exc)
        violation = protocol_violation(text)
        if violation is not None:
            reason, data = violation
            kind = ConnectionLost if reason in _CLOSED else ProtocolViolation
            return _with(kind(reason=reason, data=data, server_text=text, **kw), exc)
        if _lost(text):
            return _with(ConnectionLost(**kw), exc)
        return reply_error(_reply_text(text), host=host, login=login, cause=exc)
    if isinstance(exc, UnicodeError):
        return _with(ProtocolViolation(reason="bad-bytes", **kw), exc)
    if isinstance(exc, MemoryError):
        return _with(ProtocolViolation(reason="too-much-data", **kw), exc)
    local = local_store_data(exc)
    if local is not None:  # this computer's store, not the server: said as such
        return _with(PermanentError(reason="local-store", data=local, **kw), exc)
    # Not a protocol failure (e.g. tuimail's own refusal of a queued action): its own
    # words, kept as data.
    detail = {"detail": _text(exc) or type(exc).__name__}
    return _with(PermanentError(reason="other", data=detail, **kw), exc)


def reply_error(
    text: str, *, host: str | None = None, login: bool = False, cause: BaseException | None = None
) -> MailError:
    """A NO/BAD reply (its text after the status word) as a typed error."""
    code = response_code(text)
    kw = {"protocol": "imap", "host": host, "code": code, "server_text": text}
    if code in TRANSIENT_CODES:
        error: MailError = ServerBusy(**kw)
    elif code in SECURITY_CODES:
        error = SecurityFailure(reason="privacy-required", **kw)
    elif code in AUTH_CODES or (login and code is None) or (login and code == "ALERT"):
        error = AuthenticationFailed(**kw)
    else:
        error = Refused(**kw)
    if cause is not None:
        error.__cause__ = cause
    return error


def _with(error: MailError, cause: BaseException, *, server_text: str | None = None) -> MailError:
    if server_text is not None and error.server_text is None:
        error.server_text = server_text
    error.__cause__ = cause
    return error


# -- imaplib's words (the last resort, here only) ----------------------------------------

_COMMAND_PREFIX = re.compile(r"^(?:command: \S+ => )+")
_REPLY = re.compile(r"^\S+ command error: (?:BAD|NO) \[(?:b?(['\"]))?(.*?)\1?\]$", re.S)
_FAILED = re.compile(r"^[a-z_ ]+ failed: ", re.I)  # imapclient's _checkok
_VIOLATIONS = (  # imaplib's text -> (reason, the data key its group is)
    (re.compile(r"got more than (\d+) bytes"), "line-too-long", "limit"),
    (re.compile(r"unexpected tagged response: (.*)", re.S), "unexpected-tag", "line"),
    (re.compile(r"unexpected response: (.*)", re.S), "not-protocol", "line"),
    (re.compile(r"socket error: unterminated line: (.*)", re.S), "mid-line", "line"),
    (re.compile(r"socket error: EOF"), "closed", ""),
)
_CLOSED = frozenset({"mid-line", "closed"})  # a closed connection, not a broken protocol


def protocol_violation(text: str) -> tuple[str, dict] | None:
    """(reason, data) for imaplib's texts about a server that broke the protocol or
    closed the connection (tuimail.core.errors.REASONS), else None."""
    text = _COMMAND_PREFIX.sub("", text)
    for pattern, reason, key in _VIOLATIONS:
        match = pattern.search(text)
        if match:
            value: object = match.group(1) if pattern.groups else ""
            if key == "limit":
                value = int(str(value))
            return reason, ({key: value} if key else {})
    return None


def _timed_out(text: str) -> bool:
    return "timed out" in text.lower()


def _lost(text: str) -> bool:
    low = text.lower()
    return "socket error" in low or low.endswith("eof") or "timed out" in low


def _reply_text(text: str) -> str:
    """'SELECT command error: NO [b'[NONEXISTENT] No such folder']' -> the server's words."""
    text = _COMMAND_PREFIX.sub("", text)
    match = _REPLY.match(text)
    return match.group(2) if match else _FAILED.sub("", text)


_BYTES_REPR = re.compile(r"""\bb(['"])((?:\\.|(?!\1).)*)\1""")


def _text(exc: BaseException) -> str:
    """The exception's text, bytes reprs (b'...') decoded, made safe for a terminal."""
    from tuimail.core.sanitize import sanitize

    value = exc.args[0] if exc.args else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif isinstance(value, list | tuple):
        value = " ".join(
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in value
        )
    return sanitize(_BYTES_REPR.sub(_unrepr, str(value)))


def _unrepr(match: re.Match) -> str:
    try:
        value = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return match.group(0)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def exception_text(exc: BaseException) -> str:
    """The words of an IMAP exception (for showing, never for deciding): the server's
    own words of a NO/BAD, without imaplib's "X command error: BAD [...]" around them."""
    return _reply_text(_text(exc))
