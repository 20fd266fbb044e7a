"""The SASL exchange that sends a bearer token, on each protocol's open connection:
IMAP AUTHENTICATE (RFC 3501, with SASL-IR, RFC 4959, when offered), POP3 AUTH (RFC 5034)
and SMTP AUTH (RFC 4954); OAUTHBEARER (RFC 7628) preferred, else XOAUTH2.

One AUTH command per call; `mechanism` narrows the choice to one (tests, interop). A rejected token comes back as TokenRejected (an
AuthenticationFailed) carrying the server's error challenge, decoded (status, scope); the
one renewal and one retry is tuimail.core.oauth2.tokens.with_bearer's job, the sentence
the edge's (cli/, ui/). The bytes that carry the token are sent, never logged or kept.
"""

from __future__ import annotations

import base64
import binascii
import imaplib
import re
from typing import Any

from tuimail.core import errors
from tuimail.core.logs import remember_secret
from tuimail.core.oauth2.sasl import (
    Challenge,
    after_error_challenge,
    initial_response,
    pick,
    read_challenge,
)
from tuimail.core.secrets import Secret

POP3_MAX_COMMAND = 255  # RFC 5034 4: with an initial response the command fits 255 octets


class TokenRejected(errors.AuthenticationFailed):
    """The server refused the token; `challenge` is its error challenge (RFC 7628 3.2.2:
    status such as invalid_token, the scope it needs), empty when it sent none. Its
    reason is "token-rejected" and `data` holds the login tried and the challenge's
    status and scope; tuimail.words says it (challenge_words)."""

    def __init__(self, *, challenge: Challenge | None = None, login: str = "", **kw: Any) -> None:
        self.challenge = challenge or Challenge()
        data = {"login": login, "status": self.challenge.status, "scope": self.challenge.scope}
        super().__init__(reason="token-rejected", data=data, **kw)
        self.mechanism = ""


def _lost(exc: BaseException, protocol: str, host: str | None) -> errors.MailError:
    """A connection that broke during the OAuth login, typed by the transport classifier
    (a timeout, a reset); the library's words kept as data only."""
    from tuimail.core.net_errors import classify_transport

    typed = classify_transport(exc, protocol, host) if isinstance(exc, OSError) else None
    return typed or errors.ConnectionLost(reason="closed", protocol=protocol, host=host)


class NoOAuthMechanism(errors.Refused):
    """The server offers neither OAUTHBEARER nor XOAUTH2."""


def _encoded(mechanism: str, user: str, token: Secret, host: str, port: int) -> str:
    data = base64.b64encode(initial_response(mechanism, user, token.reveal(), host, port))
    text = data.decode("ascii")
    remember_secret(text)  # the base64 form is redacted from logs too
    return text


def _no_mechanism(protocol: str, offered: Any, host: str | None) -> NoOAuthMechanism:
    return NoOAuthMechanism(
        reason="no-oauth",
        data={"offered": sorted(str(m) for m in offered)},
        protocol=protocol,
        code="no-oauth-mechanism",
        host=host,
    )


# -- IMAP ------------------------------------------------------------------------------------


def imap_authenticate(
    client: Any,
    user: str,
    token: Secret,
    *,
    host: str = "",
    port: int = 0,
    mechanism: str | None = None,
) -> str:
    """AUTHENTICATE on an imapclient.IMAPClient (not yet logged in); the mechanism used.
    Raises TokenRejected (NO), NoOAuthMechanism, ConnectionLost, ProtocolViolation (BAD)."""
    caps = {c.decode("ascii", "replace").upper() for c in client.capabilities()}
    offered = {c[5:] for c in caps if c.startswith("AUTH=")}
    mechanism = pick(offered & {mechanism} if mechanism else offered)
    if mechanism is None:
        raise _no_mechanism("imap", offered, host)
    encoded = _encoded(mechanism, user, token, host, port)
    imap = client._imap
    challenges: list[bytes] = []
    sent_initial = "SASL-IR" in caps

    def answer(challenge: bytes) -> bytes:
        nonlocal sent_initial
        if not sent_initial:  # the server's empty "+": the initial response now
            sent_initial = True
            return base64.b64decode(encoded)
        if challenges:  # RFC 7628 3.2.3: one error challenge, then the server's NO
            raise errors.ProtocolViolation(
                reason="other",
                data={"detail": "a second OAuth error challenge after the client's answer"},
                protocol="imap",
                host=host,
            )
        challenges.append(challenge)
        return after_error_challenge(mechanism)

    imap.literal = imaplib._Authenticator(answer).process
    args = (mechanism, encoded) if "SASL-IR" in caps else (mechanism,)
    try:
        typ, data = imap._simple_command("AUTHENTICATE", *args)
    except imaplib.IMAP4.abort as exc:
        raise _lost(exc, "imap", host) from None
    except imaplib.IMAP4.error as exc:  # BAD
        from tuimail.core.imap.errors import exception_text

        raise errors.ProtocolViolation(
            reason="auth-command-refused",
            protocol="imap",
            server_text=exception_text(exc),
            host=host,
        ) from None
    except OSError as exc:
        raise _lost(exc, "imap", host) from None
    finally:
        imap.literal = None
    text = _imap_text(data[-1] if data else "")
    if typ == "OK":
        imap.state = "AUTH"
        client._cached_capabilities = None  # capabilities may change after login
        return mechanism
    code = _response_code(text)
    if code in ("UNAVAILABLE", "INUSE", "LIMIT"):
        raise errors.ServerBusy(
            reason="login-busy", protocol="imap", code=code, server_text=text, host=host
        )
    raise _rejected("imap", host, user, mechanism, challenges, code or "NO", text)


def _imap_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _response_code(text: str) -> str | None:
    found = re.match(r"\s*\[([A-Za-z-]+)", text)
    return found.group(1).upper() if found else None


# -- POP3 ------------------------------------------------------------------------------------


def pop3_authenticate(
    conn: Any,
    user: str,
    token: Secret,
    mechanisms: list[str],
    *,
    host: str = "",
    port: int = 0,
    mechanism: str | None = None,
) -> str:
    """AUTH on a poplib.POP3 (authorization state); `mechanisms` from CAPA's SASL line.
    Raises TokenRejected (-ERR), ServerBusy ([IN-USE], [SYS/TEMP], [LOGIN-DELAY]),
    NoOAuthMechanism, ConnectionLost, ProtocolViolation."""
    offered = [m.upper() for m in mechanisms]
    mechanism = pick([m for m in offered if m == mechanism] if mechanism else offered)
    if mechanism is None:
        raise _no_mechanism("pop3", mechanisms, host)
    encoded = _encoded(mechanism, user, token, host, port)
    challenges: list[bytes] = []
    try:
        command = f"AUTH {mechanism} {encoded}"
        if len(command) + 2 <= POP3_MAX_COMMAND:
            conn._putcmd(command)
        else:  # too long for one line: the initial response after the server's "+"
            conn._putcmd(f"AUTH {mechanism}")
            line = conn._getline()[0]
            if not line.startswith(b"+") or line.startswith(b"+OK"):
                raise _pop3_refusal(line, user, host, mechanism, challenges)
            conn._putcmd(encoded)
        line = conn._getline()[0]
        if line.startswith(b"+") and not line.startswith(b"+OK"):  # the error challenge
            challenges.append(_b64(line[1:].strip()))
            conn._putcmd(base64.b64encode(after_error_challenge(mechanism)).decode("ascii"))
            line = conn._getline()[0]
    except (OSError, EOFError) as exc:
        raise _lost(exc, "pop3", host) from None
    except Exception as exc:  # poplib.error_proto: a line over the limit, or no line
        if isinstance(exc, errors.MailError):
            raise
        detail = {"detail": str(exc)}  # poplib's own words, as data
        raise errors.ProtocolViolation(
            reason="other", data=detail, protocol="pop3", host=host
        ) from None
    if line.startswith(b"+OK"):
        return mechanism
    raise _pop3_refusal(line, user, host, mechanism, challenges)


def _pop3_refusal(
    line: bytes, user: str, host: str, mechanism: str, challenges: list[bytes]
) -> errors.MailError:
    text = line.decode("utf-8", "replace")
    if not text.startswith("-ERR"):
        return errors.ProtocolViolation(  # neither +OK nor -ERR to AUTH
            reason="garbage",
            protocol="pop3",
            server_text=text[:200],
            host=host,
        )
    words = text[4:].strip()
    code = _response_code(words)
    if code in ("IN-USE", "SYS/TEMP", "LOGIN-DELAY") or (words.upper().startswith("[SYS/TEMP]")):
        return errors.ServerBusy(
            reason="login-busy", protocol="pop3", code=code, server_text=words, host=host
        )
    return _rejected("pop3", host, user, mechanism, challenges, code or "-ERR", words)


def _rejected(protocol, host, user, mechanism, challenges, code, text) -> TokenRejected:
    """The server refused the token: its decoded error challenge (if it sent one) kept."""
    error = TokenRejected(
        login=user,
        challenge=read_challenge(challenges[-1]) if challenges else None,
        protocol=protocol,
        code=code,
        server_text=text,
        host=host,
    )
    error.mechanism = mechanism
    return error


def _b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return data


# -- SMTP ------------------------------------------------------------------------------------


async def smtp_authenticate(
    smtp: Any,
    user: str,
    token: Secret,
    *,
    host: str = "",
    port: int = 0,
    mechanism: str | None = None,
) -> str:
    """AUTH on an aiosmtplib.SMTP after EHLO (over TLS); the mechanism used. Raises
    TokenRejected (5xx), ServerBusy (4xx), NoOAuthMechanism, ConnectionLost."""
    from aiosmtplib import errors as smtp_errors

    offered = [m.upper() for m in getattr(smtp, "server_auth_methods", [])]
    if not offered:
        offered = [m.upper() for m in str(smtp.esmtp_extensions.get("auth", "")).split()]
    mechanism = pick([m for m in offered if m == mechanism] if mechanism else offered)
    if mechanism is None:
        raise _no_mechanism("smtp", offered, host)
    encoded = _encoded(mechanism, user, token, host, port)
    challenges: list[bytes] = []
    try:
        response = await smtp.execute_command(b"AUTH", mechanism.encode(), encoded.encode())
        if response.code == 334:  # the error challenge; answer it, the server then fails
            challenges.append(_b64(response.message.strip().encode("ascii", "replace")))
            dummy = base64.b64encode(after_error_challenge(mechanism))
            response = await smtp.execute_command(dummy)
    except (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError, OSError) as exc:
        raise _lost(exc, "smtp", host) from None
    if response.code == 235:
        return mechanism
    if 400 <= response.code < 500:
        raise errors.ServerBusy(
            reason="login-busy",
            protocol="smtp",
            code=response.code,
            server_text=response.message,
            host=host,
        )
    raise _rejected("smtp", host, user, mechanism, challenges, response.code, response.message)
