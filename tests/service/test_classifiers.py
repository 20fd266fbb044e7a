"""The per-protocol classifiers: library exceptions and server replies to typed errors
from response codes (RFC 5530, RFC 2449/3206, RFC 3463), the server's words kept."""

from __future__ import annotations

import imaplib
import poplib
import socket
import ssl

import pytest
from aiosmtplib import errors as smtp_errors
from imapclient.exceptions import IMAPClientError, LoginError

from tuimail.core.connect import TLSRequiredError
from tuimail.core.errors import (
    AuthenticationFailed,
    ConnectionLost,
    PermanentError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    ServerBusy,
    TimedOut,
    Unreachable,
)
from tuimail.core.imap.errors import classify_imap
from tuimail.core.pop3_errors import Pop3Error, classify_pop3
from tuimail.core.smtp_errors import classify_reply, classify_smtp


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (LoginError("b'[UNAVAILABLE] Try later'"), ServerBusy, "UNAVAILABLE"),
        (LoginError("b'[INUSE] Mailbox locked'"), ServerBusy, "INUSE"),
        (LoginError("b'[AUTHENTICATIONFAILED] Bad'"), AuthenticationFailed, "AUTHENTICATIONFAILED"),
        (LoginError("b'[AUTHORIZATIONFAILED] No'"), AuthenticationFailed, "AUTHORIZATIONFAILED"),
        (LoginError("b'[EXPIRED] Password expired'"), AuthenticationFailed, "EXPIRED"),
        (LoginError("b'Login failed'"), AuthenticationFailed, None),
        (LoginError("b'[PRIVACYREQUIRED] Use TLS'"), SecurityFailure, "PRIVACYREQUIRED"),
        (IMAPClientError("select failed: [NONEXISTENT] No such folder"), Refused, "NONEXISTENT"),
        (IMAPClientError("select failed: [UNAVAILABLE] Later"), ServerBusy, "UNAVAILABLE"),
        (imaplib.IMAP4.abort("socket error: EOF"), ConnectionLost, None),
        (imaplib.IMAP4.error(b"* BYE [UNAVAILABLE] Shutting down"), ServerBusy, "UNAVAILABLE"),
        (imaplib.IMAP4.abort("got more than 1000000 bytes"), ProtocolViolation, None),
        (imaplib.IMAP4.abort("unexpected response: 'HTTP/1.1 400'"), ProtocolViolation, None),
        (TimeoutError("timed out"), TimedOut, None),
        (ConnectionRefusedError(111, "refused"), Unreachable, None),
        (socket.gaierror(-2, "Name or service not known"), Unreachable, None),
        (ConnectionResetError(104, "reset"), ConnectionLost, None),
        (TLSRequiredError("x does not offer STARTTLS"), SecurityFailure, None),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), SecurityFailure, None),
        (KeyError("a bug of ours"), PermanentError, None),
    ],
)
def test_imap(exc, kind, code) -> None:
    error = classify_imap(exc, host="mail.example.test")
    assert type(error) is kind or isinstance(error, kind)
    assert error.code == code and error.protocol == "imap"
    assert error.__cause__ is exc or error.__cause__ is not None


def test_imap_keeps_the_servers_words() -> None:
    error = classify_imap(LoginError("b'[UNAVAILABLE] Back in 5 minutes'"))
    assert error.server_text == "[UNAVAILABLE] Back in 5 minutes"


@pytest.mark.parametrize(
    ("text", "login", "kind", "code"),
    [
        (b"-ERR [IN-USE] Mailbox locked", True, ServerBusy, "IN-USE"),
        (b"-ERR [SYS/TEMP] Try again", True, ServerBusy, "SYS/TEMP"),
        (b"-ERR [LOGIN-DELAY] Wait 5 minutes", True, ServerBusy, "LOGIN-DELAY"),
        (b"-ERR [AUTH] Authentication failed", True, AuthenticationFailed, "AUTH"),
        (b"-ERR Authentication failed", True, AuthenticationFailed, None),
        (b"-ERR [SYS/PERM] Account closed", True, Refused, "SYS/PERM"),
        (b"-ERR no such message", False, Refused, None),
        (b"-ERR EOF", False, ConnectionLost, None),
        (b"HTTP/1.1 400 Bad Request", False, ProtocolViolation, None),
        (b"line too long", False, ProtocolViolation, None),
    ],
)
def test_pop3(text, login, kind, code) -> None:
    error = classify_pop3(poplib.error_proto(text), login=login)
    assert isinstance(error, kind) and isinstance(error, Pop3Error)
    assert error.code == code and error.protocol == "pop3"


@pytest.mark.parametrize(
    ("code", "message", "stage", "kind"),
    [
        (421, "4.3.2 Shutting down", "MAIL FROM", ServerBusy),
        (451, "4.4.1 Try later", "end of data", ServerBusy),
        (535, "5.7.8 Authentication credentials invalid", "AUTH", AuthenticationFailed),
        (534, "5.7.9 Application-specific password required", "AUTH", AuthenticationFailed),
        (504, "5.5.4 Unrecognized authentication type", "AUTH", Refused),
        (454, "4.7.0 TLS not available", "STARTTLS", ServerBusy),
        (501, "5.5.4 Syntax error", "STARTTLS", SecurityFailure),
        (550, "5.1.1 No such user", "RCPT", Refused),
        (554, "5.7.1 Relay denied", "MAIL FROM", Refused),
    ],
)
def test_smtp_replies(code, message, stage, kind) -> None:
    error = classify_reply(code, message, stage)
    assert isinstance(error, kind)
    assert error.code == code and error.server_text == message
    assert error.enhanced == message.split()[0]


def test_smtp_exceptions() -> None:
    reply = smtp_errors.SMTPAuthenticationError(535, "5.7.8 Bad credentials")
    assert isinstance(classify_smtp(reply, "AUTH"), AuthenticationFailed)
    lost = smtp_errors.SMTPServerDisconnected("Connection lost")
    assert isinstance(classify_smtp(lost, "MAIL FROM"), ConnectionLost)
    slow = smtp_errors.SMTPTimeoutError("Timed out waiting for server response")
    assert isinstance(classify_smtp(slow, "DATA"), TimedOut)


def test_tuimails_own_imap_bound_stays_typed_when_imaplib_re_raises_it() -> None:
    """imaplib re-raises an abort as "command: X => ..." text: the classifier takes
    tuimail's own typed error back by type (its reason and data intact), and never an
    unrelated error that happened to be handled when the abort came."""
    from tuimail.core.connect import ImapProtocolViolation
    from tuimail.core.errors import AuthenticationFailed

    ours = ImapProtocolViolation(reason="line-too-long", data={"limit": 100}, protocol="imap")
    try:
        try:
            raise ours
        except imaplib.IMAP4.abort as val:
            raise imaplib.IMAP4.abort(f"command: FETCH => {val}") from None
    except imaplib.IMAP4.abort as wrapped:
        wrapped.__context__ = ours
        assert classify_imap(wrapped) is ours
    unrelated = imaplib.IMAP4.abort("socket error: EOF")
    unrelated.__context__ = AuthenticationFailed(protocol="imap")
    error = classify_imap(unrelated)
    assert isinstance(error, ConnectionLost) and error.reason == "closed"
