"""A logged-in IMAP connection, and the errors sync code treats as "connection lost".

imapclient is not thread-safe: every thread (sync, IDLE, user actions) makes its own
connection with `connect()` or a `Connector`. Connections always have timeouts and
TCP_NODELAY and go through `tuimail.core.connect.open_imap` (TLS policy, pins).
"""

from __future__ import annotations

import ast
import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from tuimail.core.account import Account
from tuimail.core.connect import TLSRequiredError, open_imap
from tuimail.core.errors import MailError, Refused, TimedOut
from tuimail.core.sanitize import sanitize
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
    # through logging: slow on big folders). Off, unless `tuimail --debug` asked for the
    # conversation (tuimail/core/logs.py keeps credentials and message content out).
    conversation = logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG)
    client._imap.debug = 4 if conversation else 0  # 4: lines only, never literals
    try:
        client.login(account.login, reveal(password))
    except LoginError as exc:
        close_quietly(client)
        misbehaved = protocol_violation(_text(exc))
        if misbehaved:
            raise ImapError(misbehaved) from None
        raise AuthenticationError(
            f"{account.incoming.host} refused the login for {account.login}: "
            f"{_text(exc) or 'wrong user name or password'}"
        ) from None
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
    return isinstance(exc, imaplib.IMAP4.error) and not isinstance(exc, imaplib.IMAP4.abort)


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
    if isinstance(exc, TimedOut):
        return "the mail server did not answer in time"
    if isinstance(exc, MailError) and exc.message:
        return sanitize(exc.message)
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
    if isinstance(exc, UnicodeError):
        return "the mail server sent bytes that are not valid in an IMAP answer"
    if isinstance(exc, MemoryError):
        return "the mail server sent more data than tuimail can hold; the connection was closed"
    misbehaved = protocol_violation(_text(exc))
    if misbehaved:
        return misbehaved
    if isinstance(exc, TLSRequiredError):  # not lost: refused as not safe (a key changed...)
        return sanitize(str(exc))
    if is_connection_error(exc):
        return f"the connection to the mail server was lost ({_text(exc) or type(exc).__name__})"
    return _text(exc) or type(exc).__name__


_COMMAND_PREFIX = re.compile(r"^(?:command: \S+ => )+")
_VIOLATIONS = (
    (
        re.compile(r"got more than (\d+) bytes"),
        "the mail server sent a line longer than {0} bytes (not IMAP); the connection was closed",
    ),
    (
        re.compile(r"unexpected tagged response: (.*)", re.S),
        "the mail server answered a command that was not sent ({0}); the connection was closed",
    ),
    (
        re.compile(r"unexpected response: (.*)", re.S),
        'the mail server does not speak IMAP (it sent "{0}"); the connection was closed',
    ),
    (
        re.compile(r"socket error: unterminated line: (.*)", re.S),
        "the mail server closed the connection in the middle of a line ({0})",
    ),
    (
        re.compile(r"socket error: EOF"),
        "the mail server closed the connection",
    ),
)


def is_protocol_violation(exc: BaseException) -> bool:
    """The server broke the protocol (garbage, a wrong tag, over a limit): it would do
    it again, so retrying on a new connection is pointless. A closed connection is not
    one of these."""
    sentence = protocol_violation(_text(exc))
    return sentence is not None and "closed the connection" not in sentence.split(";")[0]


def protocol_violation(text: str) -> str | None:
    """A sentence for imaplib's texts about a server that broke the protocol, else None."""
    text = _COMMAND_PREFIX.sub("", text)
    if text.startswith("the mail server "):
        return text  # our own limits (tuimail.core.connect)
    for pattern, sentence in _VIOLATIONS:
        match = pattern.search(text)
        if match:
            detail = match.group(1) if pattern.groups else ""
            if detail.isdigit():
                detail = f"{int(detail):,}"
            elif len(detail) > 60:
                detail = detail[:60] + "..."
            return sentence.format(detail)
    return None


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
