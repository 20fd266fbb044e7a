"""A logged-in IMAP connection, and the errors sync code treats as "connection lost".

imapclient is not thread-safe: every thread (sync, IDLE, user actions) makes its own
connection with `connect()` or a `Connector`. Connections always have timeouts and
TCP_NODELAY and go through `tuimail.core.connect.open_imap` (TLS policy, pins).
"""

from __future__ import annotations

import imaplib
import logging
import socket
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError

from tuimail.core import server_alerts
from tuimail.core.account import Account
from tuimail.core.connect import account_address, open_imap
from tuimail.core.errors import (
    AuthenticationFailed,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    TransientError,
)
from tuimail.core.imap.errors import classify_imap, protocol_violation
from tuimail.core.imap.login import imap_login
from tuimail.core.secrets import Secret

DEFAULT_TIMEOUT = 30.0
Connector = Callable[[], IMAPClient]

# What a dead or dropped connection raises (imaplib.abort is an IMAP4.error subclass).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # socket.timeout, ConnectionResetError, ssl.SSLError, EOFError-ish
    EOFError,
    imaplib.IMAP4.abort,
    socket.timeout,
)


class ImapError(Refused):
    """The server refused something (a folder missing, a search refused...)."""

    def __init__(self, message: str = "", **kw) -> None:
        kw.setdefault("protocol", "imap")
        super().__init__(message, **kw)


AuthenticationError = AuthenticationFailed  # the old name

__all__ = ["protocol_violation", "ImapError", "AuthenticationError", "classify_imap"]


def reveal(password: Secret | str) -> str:
    return password.reveal() if isinstance(password, Secret) else password


def connect(
    account: Account,
    password: Secret | str,
    *,
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> IMAPClient:
    """Open, secure and log in; the caller closes it with `close_quietly`."""
    client = open_imap(
        account.incoming,
        ca_file or account.ca_file,
        timeout,
        address=account_address(account, account.incoming),
    )
    # imapclient turns on imaplib's line-by-line debug logging (every FETCH line goes
    # through logging: slow on big folders). Off, unless `tuimail --debug` asked for the
    # conversation (tuimail/core/logs.py keeps credentials and message content out).
    server_alerts.attach(client._imap, account.name)  # the greeting's, and all later ones
    conversation = logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG)
    client._imap.debug = 4 if conversation else 0  # 4: lines only, never literals
    try:
        imap_login(client, account.login, password, host=account.incoming.host)
    except AuthenticationFailed:
        close_quietly(client)  # a complete answer: the connection is in step, LOGOUT
        raise
    except BaseException:
        drop_quietly(client)  # nothing more is sent on a connection that failed like this
        raise
    return client


def connector(
    account: Account,
    password: Secret | str,
    *,
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Connector:
    """A function that opens a fresh logged-in connection each time it is called."""

    def make() -> IMAPClient:
        return connect(account, password, ca_file=ca_file, timeout=timeout)

    return make


def capabilities(client: IMAPClient) -> set[str]:
    return {c.decode("ascii", "replace").upper() for c in client.capabilities()}


def close_quietly(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            pass


def drop_quietly(client: IMAPClient | None) -> None:
    """Close the socket without a word (no LOGOUT): for a connection that broke."""
    if client is None:
        return
    try:
        client.shutdown()
    except Exception:
        pass


def keeps_connection(exc: BaseException) -> bool:
    """True when `exc` came with a complete answer (a NO or BAD, or our own sentence about
    one), so the connection is still in step and may be used again. Anything else (a
    protocol violation, a timeout, a lost connection, an error while parsing) leaves the
    stream in an unknown state: the connection is dropped before anything else is sent."""
    if isinstance(exc, ImapError | Refused):
        return True
    if isinstance(exc, ProtocolError):  # an answer imapclient could not parse
        return False
    return isinstance(exc, imaplib.IMAP4.error) and not isinstance(exc, imaplib.IMAP4.abort)


def is_connection_error(exc: BaseException) -> bool:
    """The connection failed (lost, timed out, broken protocol, busy, insecure), not
    merely this one command: the caller stops and leaves the rest for later."""
    return isinstance(classify_imap(exc), TransientError | ProtocolViolation | SecurityFailure)


def is_protocol_violation(exc: BaseException) -> bool:
    """The server broke the protocol (garbage, a wrong tag, over a limit): it would do
    it again, so retrying on a new connection is pointless. A closed connection is not
    one of these."""
    return isinstance(classify_imap(exc), ProtocolViolation)
