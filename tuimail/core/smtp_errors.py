"""The SMTP classifier: replies (basic and RFC 3463 enhanced status codes) and aiosmtplib
exceptions as typed errors.

    4xx, or an enhanced 4.x.x                      -> ServerBusy (retry later)
    535, 534, or 5.7.8 / 5.7.9 at AUTH              -> AuthenticationFailed (ask the user)
    504 / 5.5.4 / 5.7.11 at AUTH (mechanism)        -> Refused
    a refused STARTTLS, or no STARTTLS offered      -> SecurityFailure
    any other 5xx                                   -> Refused
    lost, reset, timed out                          -> the transport classifier

aiosmtplib's words are read only here, only for what it reports in text alone (a missing
STARTTLS extension). The reply code, the enhanced code and the server's words travel on
the error (`code` is the reply code; `enhanced` the x.y.z, when given).
"""

from __future__ import annotations

import re

from aiosmtplib import errors as smtp_errors

from tuimail.core.errors import (
    AuthenticationFailed,
    ConnectionLost,
    MailError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    ServerBusy,
)
from tuimail.core.net_errors import classify_transport
from tuimail.core.sanitize import sanitize

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
AUTH_ENHANCED = frozenset({"5.7.8", "5.7.9"})  # credentials invalid; app password needed
MECHANISM_ENHANCED = frozenset({"5.5.4", "5.7.11", "5.7.0"})


def enhanced_code(message: str) -> str | None:
    """The RFC 3463 enhanced status code ("5.7.8") at the start of a reply's text."""
    match = _ENHANCED.match(message or "")
    return ".".join(match.groups()) if match else None


def classify_reply(code: int, message: str, stage: str, *, host: str | None = None) -> MailError:
    """A reply `code` + `message` at `stage` ("greeting", "EHLO", "STARTTLS", "AUTH",
    "MAIL FROM", "RCPT", "DATA", "end of data") as a typed error."""
    text = sanitize(str(message or "").strip())
    enhanced = enhanced_code(text)
    kw = {"protocol": "smtp", "host": host, "code": code, "server_text": text}
    if not 200 <= code <= 599:  # aiosmtplib's -1: its own words, no reply of the server's
        return _not_a_reply(text, stage, host)
    if code < 400:  # a positive reply where another was due: never a refusal
        # AUTH answered 235 before the mechanism's exchange (a CRAM-MD5 challenge) took
        # place: RFC 4954 section 4 has the server challenge first, and RFC 4422 section
        # 3.6 has the client not count an early success as a login.
        reason = "early-success" if stage == "AUTH" and code < 300 else "unexpected-reply"
        error: MailError = ProtocolViolation(reason=reason, data={"stage": stage}, **kw)
    elif 400 <= code < 500 or (enhanced or "").startswith("4."):
        error = ServerBusy(reason="reply", data={"stage": stage}, **kw)
    elif stage == "STARTTLS":
        error = SecurityFailure(reason="starttls-refused", **kw)
    elif stage == "AUTH" and (code == 504 or enhanced in MECHANISM_ENHANCED):
        error = Refused(reason="mechanism", **kw)
    elif code in (534, 535) or enhanced in AUTH_ENHANCED or stage == "AUTH":
        error = AuthenticationFailed(**kw)
    else:
        error = Refused(reason="reply", data={"stage": stage}, **kw)
    error.enhanced = enhanced  # type: ignore[attr-defined]
    return error


_MALFORMED = "Malformed SMTP response line:"  # aiosmtplib's words before the line it got
_TOO_LONG = "Response too long"  # aiosmtplib's, for an answer over its limit


def _not_a_reply(text: str, stage: str, host: str | None) -> MailError:
    """aiosmtplib's -1 "reply": a line that is not SMTP (the line kept as data) or an
    answer too long to hold; no code and no server words, since the server gave none."""
    if text == _TOO_LONG:
        error = ProtocolViolation(reason="too-much-data", protocol="smtp", host=host)
    else:
        line = text.removeprefix(_MALFORMED).strip()
        data = {"stage": stage, "line": line}
        error = ProtocolViolation(reason="not-protocol", data=data, protocol="smtp", host=host)
    error.enhanced = None  # type: ignore[attr-defined]
    return error


def classify_smtp(exc: BaseException, stage: str, *, host: str | None = None) -> MailError:
    """The typed error for anything an SMTP step raised."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtp_errors.SMTPResponseException):
        return _caused(classify_reply(exc.code, exc.message, stage, host=host), exc)
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, smtp_errors.SMTPException) and cause is not None:
        transport = classify_transport(cause, "smtp", host)
        if isinstance(transport, SecurityFailure) or not isinstance(
            exc, smtp_errors.SMTPServerDisconnected | smtp_errors.SMTPTimeoutError
        ):
            if transport is not None:
                return transport
    transport = classify_transport(exc, "smtp", host)
    if transport is not None:
        return transport
    if isinstance(exc, smtp_errors.SMTPException):
        text = sanitize(str(exc))
        if "STARTTLS" in text.upper():
            return _caused(
                SecurityFailure(  # aiosmtplib's words are not the server's: the reason says it
                    protocol="smtp", host=host, reason="starttls-missing"
                ),
                exc,
            )
        detail = {"detail": text or type(exc).__name__}  # aiosmtplib's words, as data
        return _caused(ConnectionLost(protocol="smtp", host=host, data=detail), exc)
    detail = {"detail": sanitize(str(exc)) or type(exc).__name__}
    return _caused(Refused(reason="other", protocol="smtp", host=host, data=detail), exc)


def _caused(error: MailError, cause: BaseException) -> MailError:
    error.__cause__ = cause
    return error
