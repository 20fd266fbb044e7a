"""A logged-in IMAP connection, and the errors sync code treats as "connection lost".

imapclient is not thread-safe: every thread (sync, IDLE, user actions) makes its own
connection with `connect()` or a `Connector`. Connections always have timeouts and
TCP_NODELAY and go through `tuimail.core.connect.open_imap` (TLS policy, pins).
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from tuimail.core.account import Account
from tuimail.core.connect import open_imap
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


class ImapError(Exception):
    """A failure with a sentence for the user (login refused, folder missing...)."""


class AuthenticationError(ImapError):
    pass


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
    client = open_imap(account.incoming, ca_file or account.ca_file, timeout)
    # imapclient turns on imaplib's line-by-line debug logging (every FETCH line goes
    # through logging: slow on big folders, and commands are logged). Off.
    client._imap.debug = 0
    try:
        client.login(account.login, reveal(password))
    except LoginError as exc:
        close_quietly(client)
        raise AuthenticationError(
            f"{account.incoming.host} refused the login for {account.login}: "
            f"{_text(exc) or 'wrong user name or password'}"
        ) from None
    except BaseException:
        close_quietly(client)
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


def is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    # imapclient wraps some socket failures; an aborted imaplib says "socket error"/EOF.
    text = str(exc).lower()
    return isinstance(exc, IMAPClientError | imaplib.IMAP4.error) and any(
        word in text for word in ("socket", "eof", "connection", "timed out", "bye")
    )


def describe(exc: BaseException) -> str:
    """A sentence for the user about an IMAP failure."""
    if isinstance(exc, ImapError):
        return str(exc)
    if isinstance(exc, ssl.SSLError):
        from tuimail.core.tls import describe_ssl_error

        return describe_ssl_error(exc)
    if isinstance(exc, socket.timeout | TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(exc, socket.gaierror):
        return (
            "the mail server's host name cannot be found (DNS): check the host name in "
            "the account settings, or the network connection"
        )
    if is_connection_error(exc):
        return f"the connection to the mail server was lost ({_text(exc) or type(exc).__name__})"
    return _text(exc) or type(exc).__name__


def _text(exc: BaseException) -> str:
    from tuimail.core.sanitize import sanitize

    value = exc.args[0] if exc.args else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return sanitize(str(value))
