"""Open IMAP, POP3 and SMTP connections under the TLS policy.

Every protocol layer connects through here, so the rules hold everywhere:

- `security="tls"`: implicit TLS from the first byte.
- `security="starttls"`: STARTTLS/STLS must be advertised and must complete, or
  `TLSRequiredError`; nothing the server sent before TLS is kept (imaplib's untagged
  responses are cleared), and if any byte arrived after the STARTTLS reply and before
  the handshake (a plaintext injection), the connection is refused.
- `security="plain"`: only because the user wrote it.
- A pinned certificate (ServerSettings.pinned_sha256) is checked right after the
  handshake, before anything is sent.
- Hostile servers are bounded: IMAP literals (MAX_LITERAL), lines (imaplib._MAXLINE) and
  everything read for one IMAP or POP3 command (MAX_RESPONSE), each raised as
  ProtocolViolation (the caller drops the connection, nothing more is sent on it); every
  answer has an absolute deadline from the moment its command was sent (_DeadlineIO,
  ReadTimedOut), however slowly the bytes trickle in; `bulk(client, n)` extends it for an
  answer known to carry n bytes (capped). `account_timeout(account)` is the account's
  `timeout = N` setting.

`address` (optional everywhere) is the IP to connect to, when the caller resolved the
host itself (discovery with `--nameserver`); the host name is still used for SNI and
certificate verification.
"""

from __future__ import annotations

import imaplib
import io
import poplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from imapclient import IMAPClient
from imapclient.imapclient import SocketTimeout

from tuimail.core.account import ServerSettings
from tuimail.core.errors import (
    ConnectionLost,
    MailError,
    ProtocolViolation,
    ServerBusy,
    TimedOut,
    Unreachable,
)
from tuimail.core.imap import depth as _imap_depth
from tuimail.core.imap.untagged import trim as trim_untagged
from tuimail.core.server_alerts import may_be_alert
from tuimail.core.tls import shared_mail_context

# poplib refuses lines longer than 2048 bytes; real HTML mail has far longer ones.
poplib._MAXLINE = max(poplib._MAXLINE, 64 << 20)


DEFAULT_TIMEOUT = 30.0


def account_timeout(account: Any) -> float:
    """The account's network timeout in seconds: `timeout = N` in its config table
    (kept in Account.extra), else DEFAULT_TIMEOUT. Each connect, read or write that waits
    longer fails with "did not answer in time"."""
    value = getattr(account, "extra", {}).get("timeout")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    return seconds if 0 < seconds <= 3600 else DEFAULT_TIMEOUT


# An account runtime's sync and command engines' timeout unless the account sets its own
# (`tuimail sync` opens the sync engine's connection early with the same).
ENGINE_TIMEOUT = 20.0


def engine_timeout(account: Any, default: float = ENGINE_TIMEOUT) -> float:
    """An account runtime's engine timeout: the account's `timeout = N` when it sets
    one, else `default` (a connection opened early for the engine uses the same)."""
    extra = getattr(account, "extra", {}) or {}
    return account_timeout(account) if "timeout" in extra else default


def is_local_host(host: str) -> bool:
    """localhost and *.localhost: this computer, never asked of DNS (RFC 6761)."""
    host = host.rstrip(".").lower()
    return host == "localhost" or host.endswith(".localhost")


def shut(sock) -> None:
    """Shut `sock` down both ways (a read blocked on it in another thread returns)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def account_address(account: Any, settings: ServerSettings) -> str | None:
    """The address to connect to for `settings.host` when the account names its own DNS
    server (`nameserver = "HOST[:PORT]"`: setup found its servers through it, and the
    system's resolver may not know them); None when the system resolves it as usual.
    Raises a typed error (Unreachable, TimedOut) when that server cannot tell."""
    nameserver = getattr(account, "extra", {}).get("nameserver")
    if not nameserver or not isinstance(nameserver, str):
        return None
    from tuimail.core.discovery.resolver import (
        DNSError,
        NameserverError,
        Resolver,
        dns_failure,
    )

    host = settings.host
    if is_local_host(host):
        return None  # this computer (RFC 6761): never asked of DNS
    try:
        found = Resolver(nameserver, account_timeout(account)).addresses(host, settings.port)
    except DNSError as exc:
        raise dns_failure(exc) from None
    except NameserverError as exc:
        data = {"name": nameserver, "rtype": "", "detail": f"nameserver: {exc.problem}"}
        raise Unreachable(protocol="dns", host=host, reason="dns-query", data=data) from None
    if not found:
        data = {"name": host, "nameserver": nameserver}
        raise Unreachable(protocol="dns", host=host, reason="no-such-host", data=data)
    return found[0]


class TLSRequiredError(ConnectionError):
    """The connection could not be secured as the account requires; nothing was sent.

    `reason` is one of tuimail.core.errors.SECURITY_REASONS ("starttls-missing",
    "starttls-refused", "starttls-closed", "injection", or the TLS classifier's reason
    for a failed handshake, `data` its data); `server_text` the server's refusal."""

    reason = "handshake"

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        data: dict | None = None,
        server_text: str | None = None,
    ) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason
        self.data = dict(data or {})
        self.server_text = server_text


class PlaintextInjectionError(TLSRequiredError):
    """Bytes arrived after the STARTTLS reply and before TLS: refused (an attacker)."""

    reason = "injection"


_opening = threading.local()  # .sink: who is told of each socket this thread opens


@contextmanager
def watch_opening(sink: Callable[[socket.socket], None]) -> Iterator[None]:
    """While this thread opens connections inside the block, each new TCP socket is handed
    to `sink` as soon as it exists: another thread can then shut down a connection still
    being opened (TLS, greeting, login) instead of waiting for its timeout."""
    previous = getattr(_opening, "sink", None)
    _opening.sink = sink
    try:
        yield
    finally:
        _opening.sink = previous


def opening_sink() -> Callable[[socket.socket], None] | None:
    """This thread's watch_opening sink, if any (to pass on to another opening thread)."""
    return getattr(_opening, "sink", None)


def _tell(sock: socket.socket) -> socket.socket:
    """Hand `sock` to the thread's watch_opening sink, if any; returns it."""
    sink = getattr(_opening, "sink", None)
    if sink is not None:
        sink(sock)
    return sock


def _tcp(host: str, port: int, timeout: float, address: str | None) -> socket.socket:
    sock = _tell(socket.create_connection((address or host, port), timeout=timeout))
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    return sock


# An IMAP connection's receive buffer (issue 19): room for a whole batch of header answers
# asked for ahead (tuimail.core.imap.ahead), so the server writes the next batch while
# tuimail stores the one before, rather than stopping at the kernel's window (~200 KB on
# loopback, a fifth of a batch of 2,000 headers).
RECEIVE_BUFFER = 4 << 20
_RMEM_MAX = "/proc/sys/net/core/rmem_max"
_granted: list[bool] = []  # whether the kernel grants RECEIVE_BUFFER whole (read once)


def roomy_receive_buffer(sock: socket.socket) -> None:
    """Ask for RECEIVE_BUFFER, only where the kernel grants it whole (Linux, rmem_max):
    a smaller fixed size would switch off the kernel's own tuning of the buffer, which
    grows it further on a long-distance link. Memory is the kernel's, used only while
    answers wait in it."""
    if not _granted:
        try:
            with open(_RMEM_MAX, "rb") as limit:
                _granted.append(int(limit.read().strip() or 0) >= RECEIVE_BUFFER)
        except (OSError, ValueError):
            _granted.append(False)
    if _granted[0]:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        except OSError:
            pass


def _wrap(sock: socket.socket, host: str, context: ssl.SSLContext, pin: str | None):
    """TLS on `sock`; the context (tls.client_context) checks the pin and ALPN itself."""
    return _tell(context.wrap_socket(sock, server_hostname=host))


INJECTION_MESSAGE = (
    "the server sent data between its STARTTLS reply and the start of encryption; "
    "someone may be tampering with the connection, so it was closed"
)


def starttls_handshake(
    sock: socket.socket, host: str, context: ssl.SSLContext, pin: str | None
) -> ssl.SSLSocket:
    """The TLS handshake after a STARTTLS reply; plaintext where TLS should start is
    reported as an injection (the bytes may arrive just after `ensure_nothing_pending`)."""
    try:
        return _wrap(sock, host, context, pin)
    except ssl.SSLCertVerificationError:
        raise
    except (ssl.SSLEOFError, ConnectionError) as exc:
        raise TLSRequiredError(
            "the server accepted STARTTLS but then closed the connection instead of "
            f"starting encryption ({exc.__class__.__name__})",
            reason="starttls-closed",
            data={"library": exc.__class__.__name__},
        ) from exc
    except ssl.SSLError as exc:
        if str(exc.reason).upper() in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"):
            raise PlaintextInjectionError(INJECTION_MESSAGE) from exc
        raise


def ensure_nothing_pending(reader: io.BufferedReader | None, sock: socket.socket) -> None:
    """Refuse if any byte is waiting after the STARTTLS reply (buffered or on the socket)."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        pending = b""
        if reader is not None:
            try:
                pending = reader.peek(1) or b""
            except (BlockingIOError, ValueError):
                pending = b""
        if not pending:
            try:
                pending = sock.recv(1, socket.MSG_PEEK)
            except (BlockingIOError, InterruptedError):
                pending = b""
            except OSError:
                pending = b""
    finally:
        sock.settimeout(timeout)
    if pending:
        raise PlaintextInjectionError(INJECTION_MESSAGE)


# -- IMAP ------------------------------------------------------------------------------


# A hostile or broken server must not make us buffer without end. imaplib already refuses
# lines over 1,000,000 bytes; these bound one literal ({n} announced by the server) and
# everything read for one command (a flood of untagged responses).
MAX_LITERAL = 256 << 20
MAX_RESPONSE = 1 << 30


# Bulk answers (a whole message body) may take longer than one timeout: the caller says how
# many bytes it expects (from the store, never from the answer) and gets this rate, capped.
BULK_RATE = 32 << 10  # bytes per second
BULK_CAP = 10  # at most this many timeouts more


def _no_greeting(error: TimedOut, sock: object) -> None:
    """Mark a time-out waiting for the greeting as such ("no-greeting"; data: encrypted),
    so the words can say the likely cause: STARTTLS or plain on a port that expects TLS
    from its first byte (993, 995) waits for a greeting that never comes."""
    if not error.reason:
        error.reason = "no-greeting"
        error.data["encrypted"] = isinstance(sock, ssl.SSLSocket)


class ReadTimedOut(TimedOut, TimeoutError):
    """No complete answer before the response's absolute deadline (a TimeoutError too, so
    code that handles socket timeouts handles it)."""


class _DeadlineIO(socket.SocketIO):
    """A socket reader with an absolute deadline per response (`arm`, at each command
    sent): however slowly the bytes trickle in, the answer ends by then. A server that
    sends a byte every few seconds never trips a plain socket timeout."""

    deadline: float | None = None

    def arm(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def readinto(self, b: Any) -> int | None:
        sock = self._sock
        timeout = sock.gettimeout()
        if self.deadline is None or not timeout:  # blocking forever, or non-blocking (IDLE)
            return super().readinto(b)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimedOut()
        sock.settimeout(min(timeout, remaining))
        try:
            return super().readinto(b)
        except TimeoutError as exc:
            raise ReadTimedOut() from exc
        finally:
            sock.settimeout(timeout)


def deadline_reader(sock: socket.socket) -> io.BufferedReader:
    """What `sock.makefile("rb")` returns, with a response deadline (see _DeadlineIO)."""
    raw = _DeadlineIO(sock, "rb")
    sock._io_refs += 1  # type: ignore[attr-defined]  # as makefile() does
    return io.BufferedReader(raw, io.DEFAULT_BUFFER_SIZE)


def arm_deadline(file: Any, sock: socket.socket | None, expected_bytes: int = 0) -> None:
    """Start the deadline of the next response: the socket timeout from now, plus time
    for `expected_bytes` at BULK_RATE (at most BULK_CAP timeouts more)."""
    raw = getattr(file, "raw", None)
    if not isinstance(raw, _DeadlineIO) or sock is None:
        return
    try:
        timeout = sock.gettimeout()
    except OSError:
        return
    if not timeout:
        raw.arm(None)
        return
    raw.arm(timeout + min(max(expected_bytes, 0) / BULK_RATE, BULK_CAP * timeout))


class ImapProtocolViolation(ProtocolViolation, imaplib.IMAP4.abort):
    """An IMAP server broke the protocol. Also an imaplib abort, so code written for
    imaplib's errors still catches it; typed code sees ProtocolViolation."""


class ImapGreetingRefused(ServerBusy, imaplib.IMAP4.error):
    """The server's greeting was BYE (or NO): it does not take this connection now."""


class _Closed(ConnectionLost, imaplib.IMAP4.abort):
    """The server closed the connection (at a line's end or in its middle: `reason`
    "closed" or "mid-line"). Its args keep "EOF": imapclient's idle_check looks for it."""

    def __init__(self, message: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.args = (f"EOF ({self.reason})" if self.reason else "EOF",)


def note_alert(imap: Any, line: bytes) -> None:
    """A response line with [ALERT] (every line imaplib, IDLE and fetchscan read comes
    here): its text goes to tuimail.core.server_alerts for the connection's account, or is
    held (at most server_alerts.MAX_EARLY) until session.connect names the account."""
    from tuimail.core import server_alerts

    text = server_alerts.alert_text(line)
    if text is None:
        return
    account = getattr(imap, "alert_account", None)
    if account is not None:
        server_alerts.heard(account, text)
        return
    early = imap.__dict__.setdefault("early_alerts", [])
    if text not in early and len(early) < server_alerts.MAX_EARLY:
        early.append(text)


class _IMAP4(imaplib.IMAP4):
    """imaplib with our socket: connect to `address`, TCP_NODELAY, optional TLS + pin,
    and bounded reads (MAX_LITERAL, MAX_RESPONSE). Lines with [ALERT] go to note_alert."""

    _received = 0
    alert_account: str | None = None  # whose alerts this connection hears (server_alerts)

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | None,
        address: str | None,
        context: ssl.SSLContext | None,
        pin: str | None,
    ) -> None:
        self._address = address
        self._context = context
        self._pin = pin
        self._connect_timeout = timeout
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = _tcp(self.host, self.port, timeout or self._connect_timeout or 30, self._address)
        roomy_receive_buffer(sock)
        if self._context is not None:
            return _wrap(sock, self.host, self._context, self._pin)
        return sock

    expected_bytes = 0  # what the next answer may carry (see arm_deadline), set by bulk()
    line_limit = 0  # a longer line allowed for one answer (see long_lines); 0: _MAXLINE
    kept_literal = 0  # of each literal only this much is kept (see kept_literals); 0: all

    def open(self, host: str = "", port: int = imaplib.IMAP4_PORT, timeout: float | None = None):
        self.host = host
        self.port = port
        self.sock = self._create_socket(timeout)
        self.file = deadline_reader(self.sock)
        arm_deadline(self.file, self.sock)  # the greeting

    def send(self, data: bytes) -> None:
        """Every command (and continuation, and IDLE's DONE) starts its answer's deadline."""
        arm_deadline(self.file, self.sock, self.expected_bytes)
        super().send(data)

    def _command(self, name: str, *args: Any) -> Any:
        self._received = 0
        trim_untagged(self.untagged_responses)  # what nobody read does not pile up
        return super()._command(name, *args)

    def _connect(self) -> None:
        """imaplib's greeting and CAPABILITY, failures typed: BYE or NO as the greeting is
        ImapGreetingRefused; a greeting or capability list that is not IMAP4rev1 is a
        ProtocolViolation."""
        try:
            super()._connect()
        except TimedOut as exc:
            if not getattr(self, "welcome", None):
                _no_greeting(exc, self.sock)
            raise
        except MailError:
            raise
        except imaplib.IMAP4.abort as exc:
            if isinstance(exc.__context__, MailError):
                raise exc.__context__ from None
            raise
        except imaplib.IMAP4.error:
            welcome = _text(getattr(self, "welcome", b"") or b"")
            if "BYE" in self.untagged_responses or "NO" in self.untagged_responses:
                raise ImapGreetingRefused(
                    reason="greeting-refused",
                    protocol="imap",
                    code="BYE" if "BYE" in self.untagged_responses else "NO",
                    server_text=welcome,
                ) from None
            raise ImapProtocolViolation(
                reason="not-greeting",
                protocol="imap",
                server_text=welcome,
            ) from None

    def _command_complete(self, name: str, tag: Any) -> Any:
        """imaplib's; a typed error raised while reading the answer stays typed (imaplib
        re-raises every abort as a plain abort with the command's name in front)."""
        try:
            return super()._command_complete(name, tag)
        except imaplib.IMAP4.error as exc:
            if isinstance(exc.__context__, MailError) and not isinstance(exc, MailError):
                raise exc.__context__ from None
            raise

    def _get_response(self) -> Any:
        """imaplib's, with a line that is not IMAP (garbage, a tag we never sent) raised as
        ProtocolViolation: the connection is not used again."""
        try:
            return super()._get_response()
        except (_Closed, ProtocolViolation):
            raise
        except imaplib.IMAP4.abort:
            raise ImapProtocolViolation(
                reason="garbage",
                protocol="imap",
                server_text=_text(self._last_line[:200]),
            ) from None

    _last_line = b""  # the last line read (what a ProtocolViolation quotes)

    def _get_line(self) -> bytes:
        line = self.readline()
        self._last_line = line.rstrip(b"\r\n")
        if not line:
            raise _Closed(reason="closed", protocol="imap")
        if not line.endswith(b"\r\n"):
            raise _Closed(reason="mid-line", protocol="imap")
        if may_be_alert(line):
            note_alert(self, line[:-2])
        return line[:-2]

    def readline(self) -> bytes:
        limit = max(imaplib._MAXLINE, self.line_limit)
        line = self.file.readline(limit + 1)
        if len(line) > limit:
            raise ImapProtocolViolation(
                reason="line-too-long", data={"limit": limit}, protocol="imap"
            )
        self._count(len(line))
        return line

    def read(self, size: int) -> bytes:
        """A literal, refused before reading if announced too big. Read into one buffer
        of the announced size (BufferedReader.read(n): the memory is only touched as the
        bytes arrive, so a literal announced but never sent costs nothing), not in
        chunks joined at the end: that held two copies of a 56 MB message at once. Every
        wait still has the answer's deadline (_DeadlineIO under the reader)."""
        if size > MAX_LITERAL:
            raise ImapProtocolViolation(
                reason="item-too-big", data={"size": size, "limit": MAX_LITERAL}, protocol="imap"
            )
        self._count(size)  # bounded before it is read (the deadline bounds the waiting)
        if 0 < self.kept_literal < size:
            return self._read_start(size, self.kept_literal)
        return self.file.read(size) if size > 0 else b""

    def _read_start(self, size: int, kept: int) -> bytes:
        """The first `kept` bytes of a literal of `size`; the rest is read and dropped a
        MB at a time (an end of stream leaves it short: imaplib's next read says closed)."""
        start = self.file.read(kept)
        left = size - len(start)
        while left > 0 and (chunk := self.file.read(min(left, 1 << 20))):
            left -= len(chunk)
        return start

    def _count(self, size: int) -> None:
        self._received += size
        if self._received > MAX_RESPONSE:
            raise ImapProtocolViolation(
                reason="response-too-big", data={"limit": MAX_RESPONSE}, protocol="imap"
            )


@contextmanager
def _within(client: Any, setting: str, value: int) -> Iterator[None]:
    """Within this block `client`'s connection (an _IMAP4: nothing for another) has
    `setting` at `value` (at least 0); 0, its default, again after it."""
    imap = getattr(client, "_imap", None)
    if not isinstance(imap, _IMAP4):
        yield
        return
    setattr(imap, setting, max(0, int(value)))
    try:
        yield
    finally:
        setattr(imap, setting, 0)


def bulk(client: Any, expected_bytes: int) -> AbstractContextManager[None]:
    """Within this block, each answer on `client` (an IMAPClient from open_imap) may take
    the time `expected_bytes` need at BULK_RATE on top of the timeout (still absolute)."""
    return _within(client, "expected_bytes", expected_bytes)


def kept_literals(client: Any, limit: int) -> AbstractContextManager[None]:
    """Within this block, of each literal on `client` only its first `limit` bytes are
    kept (the rest is read and dropped): for answers whose literals are used only so far,
    a header FETCH read by imaplib (the bulk reader, imap.fetchscan, bounds its own)."""
    return _within(client, "kept_literal", limit)


def long_lines(client: Any, limit: int) -> AbstractContextManager[None]:
    """Within this block, a line on `client` may be up to `limit` bytes (never less than
    imaplib._MAXLINE): for one answer known to be one long line (a SEARCH of a big folder),
    with a bound the caller derives from what it expects. Every other answer keeps the
    global limit, which guards against endless lines."""
    return _within(client, "line_limit", limit)


class TuimailIMAPClient(IMAPClient):
    """IMAPClient whose socket is made by `_IMAP4` (see open_imap)."""

    def __init__(
        self,
        settings: ServerSettings,
        context: ssl.SSLContext,
        timeout: SocketTimeout,
        address: str | None = None,
    ) -> None:
        self._settings = settings
        self._tuimail_context = context
        self._address = address
        super().__init__(
            settings.host,
            port=settings.port,
            ssl=settings.security == "tls",
            ssl_context=context,
            timeout=timeout,
        )

    def _normalise_folder(self, folder_name):
        """A folder whose listed name was not valid modified UTF-7 is named back to the
        server exactly as it spelled it (see tuimail.core.imap.names)."""
        from imapclient.imapclient import _quote

        from tuimail.core.imap.names import is_raw, mailbox_owner

        if is_raw(mailbox_owner(self), folder_name):
            if not folder_name.isascii():  # listed in raw UTF-8: the same bytes back
                return _quote(folder_name.encode("utf-8"))
            return _quote(folder_name)
        return super()._normalise_folder(folder_name)

    def _create_IMAP4(self):
        secure = self._settings.security == "tls"
        return _IMAP4(
            self.host,
            self.port,
            getattr(self._timeout, "connect", None),
            self._address,
            self._tuimail_context if secure else None,
            self._settings.pinned_sha256 if secure else None,
        )

    def secure_starttls(self) -> None:
        """STARTTLS, mandatory: advertised, completed, nothing from before TLS kept."""
        imap = self._imap
        if imap.state == "AUTH":
            # A PREAUTH greeting in the clear (RFC 3501 6.2.1: STARTTLS is then not
            # allowed): imaplib refused to send it in its own words ("illegal in state
            # AUTH"). Said for what it is; nothing is sent.
            raise TLSRequiredError(
                f"{self.host} port {self.port} greeted with PREAUTH before encryption; "
                "nothing was sent",
                reason="preauth-in-clear",
            )
        caps = {c.upper() for c in self.capabilities()}
        if b"STARTTLS" not in caps:
            raise TLSRequiredError(
                f"{self.host} port {self.port} does not offer STARTTLS, so the connection "
                "cannot be encrypted; nothing was sent",
                reason="starttls-missing",
            )
        try:
            typ, data = imap._simple_command("STARTTLS")
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:  # BAD: imaplib raises instead of returning it
            from tuimail.core.imap.errors import exception_text

            said = exception_text(exc)
            raise TLSRequiredError(
                f"{self.host} refused STARTTLS ({said})",
                reason="starttls-refused",
                server_text=said,
            ) from None
        if typ != "OK":
            raise TLSRequiredError(
                f"{self.host} refused STARTTLS ({_text(data)})",
                reason="starttls-refused",
                server_text=_text(data),
            )
        ensure_nothing_pending(imap.file, imap.sock)
        try:
            tls = starttls_handshake(
                imap.sock, self.host, self._tuimail_context, self._settings.pinned_sha256
            )
        except (ssl.SSLError, OSError) as exc:
            raise _as_tls_error(exc, self.host, self.port) from exc
        imap.sock = tls
        imap.file = deadline_reader(tls)
        imap.untagged_responses.clear()  # nothing received before TLS survives
        imap.__dict__.pop("early_alerts", None)  # an [ALERT] before TLS is anyone's
        imap.capabilities = ()
        self._starttls_done = True
        self._cached_capabilities = None


def imap_context(settings: ServerSettings, ca_file: str | None = None) -> ssl.SSLContext:
    """The (per-process shared) TLS context of an IMAP connection to `settings`."""
    return shared_mail_context("imap", settings.security, ca_file, settings.pinned_sha256)


def open_imap(
    settings: ServerSettings,
    ca_file: str | None = None,
    timeout: float | SocketTimeout = DEFAULT_TIMEOUT,
    *,
    address: str | None = None,
) -> TuimailIMAPClient:
    """A connected (not logged-in) IMAPClient, secured as `settings.security` says."""
    if not isinstance(timeout, SocketTimeout):
        timeout = SocketTimeout(connect=timeout, read=timeout)
    context = imap_context(settings, ca_file)
    try:
        client = TuimailIMAPClient(settings, context, timeout, address)
    except ssl.SSLError as exc:
        raise _as_tls_error(exc, settings.host, settings.port) from exc
    if settings.security == "starttls":
        try:
            client.secure_starttls()
        except BaseException:
            # The reader holds the socket open after sock.close() until it is closed too:
            # the connection would stay up until the garbage collector found it.
            reader = getattr(client._imap, "file", None)
            if reader is not None:
                try:
                    reader.close()
                except OSError:
                    pass
            _close_quietly(client._imap.sock)
            raise
    return client


# -- POP3 ------------------------------------------------------------------------------


class Pop3GreetingRefused(ServerBusy, poplib.error_proto):
    """The POP3 greeting was -ERR: the server does not take this connection now."""


class Pop3ProtocolViolation(ProtocolViolation, poplib.error_proto):
    """A POP3 server broke the protocol (a greeting that is neither +OK nor -ERR...)."""


class Pop3Closed(ConnectionLost, poplib.error_proto):
    """The POP3 server closed the connection."""


class _POP3(poplib.POP3):
    def __init__(
        self,
        host: str,
        port: int,
        timeout: float,
        address: str | None,
        context: ssl.SSLContext | None,
        pin: str | None,
    ) -> None:
        self._address = address
        self._context = context
        self._pin = pin
        try:
            super().__init__(host, port, timeout=timeout)
        except poplib.error_proto as exc:  # -ERR as the greeting: poplib leaves it open
            self._close_half_open()
            if isinstance(exc, MailError):
                raise
            from tuimail.core.pop3_errors import greeting_words

            refused, words = greeting_words(exc)
            if refused:
                raise Pop3GreetingRefused(
                    reason="greeting-refused",
                    protocol="pop3",
                    code="-ERR",
                    server_text=words,
                ) from None
            raise Pop3ProtocolViolation(
                reason="not-greeting", protocol="pop3", server_text=words
            ) from None
        except TimedOut as exc:
            if getattr(self, "sock", None) is not None and not getattr(self, "welcome", None):
                _no_greeting(exc, self.sock)  # connected: the greeting never came
            self._close_half_open()
            raise
        except BaseException:
            self._close_half_open()
            raise

    def _close_half_open(self) -> None:
        """Close what a failed __init__ opened: the greeting reader made by makefile()
        holds the socket open after sock.close() until it is closed too."""
        file = getattr(self, "file", None)
        if file is not None:
            try:
                file.close()
            except OSError:
                pass
        _close_quietly(getattr(self, "sock", None))

    def _create_socket(self, timeout: float) -> socket.socket:
        sock = _tcp(self.host, self.port, timeout, self._address)
        if self._context is not None:
            return _wrap(sock, self.host, self._context, self._pin)
        return sock

    _received = 0

    expected_bytes = 0  # what the next answer may carry (see arm_deadline)

    def _putcmd(self, line: str) -> None:
        self._received = 0
        self._reader()
        arm_deadline(self.file, self.sock, self.expected_bytes)
        super()._putcmd(line)

    def _reader(self) -> None:
        if not isinstance(getattr(self.file, "raw", None), _DeadlineIO):
            # The first read (the greeting): poplib's own reader has read nothing yet.
            self.file.close()
            self.file = deadline_reader(self.sock)
            arm_deadline(self.file, self.sock)

    def _getline(self) -> tuple[bytes, int]:
        """poplib's, with the response deadline (see _DeadlineIO), failures typed (a line
        over poplib._MAXLINE or more than MAX_RESPONSE for one command: ProtocolViolation;
        the end of the stream: ConnectionLost): a multi-line answer that never ends would
        otherwise fill the memory."""
        self._reader()
        # No line may take more than what is left of the answer's MAX_RESPONSE: a line
        # that never ends stops there, however long a line may be (POP3_MAX_LINE).
        left = MAX_RESPONSE - self._received
        line = self.file.readline(min(poplib._MAXLINE, left) + 1)
        if len(line) > left:
            raise Pop3ProtocolViolation(
                reason="response-too-big", data={"limit": MAX_RESPONSE}, protocol="pop3"
            )
        if len(line) > poplib._MAXLINE:
            raise Pop3ProtocolViolation(
                reason="line-too-long", data={"limit": poplib._MAXLINE}, protocol="pop3"
            )
        if not line:
            raise Pop3Closed(reason="closed", protocol="pop3")
        octets = len(line)
        self._received += octets
        if self._received > MAX_RESPONSE:
            raise Pop3ProtocolViolation(
                reason="response-too-big", data={"limit": MAX_RESPONSE}, protocol="pop3"
            )
        # As poplib: a line may end in CRLF, LF, or start with a stray CR.
        if line[-2:] == b"\r\n":
            return line[:-2], octets
        if line[:1] == b"\r":
            return line[1:-1], octets
        return line[:-1], octets

    def secure_stls(self, context: ssl.SSLContext, pin: str | None) -> None:
        """STLS, mandatory: advertised, completed, nothing pending before TLS."""
        try:
            caps = self.capa()
        except poplib.error_proto:
            caps = {}
        if "STLS" not in caps:
            raise TLSRequiredError(
                f"{self.host} port {self.port} does not offer STLS, so the connection "
                "cannot be encrypted; nothing was sent",
                reason="starttls-missing",
            )
        try:
            self._shortcmd("STLS")
        except poplib.error_proto as exc:
            from tuimail.core.pop3_errors import classify_pop3

            said = classify_pop3(exc).server_text
            raise TLSRequiredError(
                f"{self.host} refused STLS ({said})", reason="starttls-refused", server_text=said
            ) from exc
        ensure_nothing_pending(self.file, self.sock)
        try:
            self.sock = starttls_handshake(self.sock, self.host, context, pin)
        except (ssl.SSLError, OSError) as exc:
            raise _as_tls_error(exc, self.host, self.port) from exc
        self.file = deadline_reader(self.sock)
        self._tls_established = True


def open_pop3(
    settings: ServerSettings,
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    address: str | None = None,
) -> poplib.POP3:
    """A connected (not logged-in) POP3 session, secured as `settings.security` says."""
    context = shared_mail_context("pop3", settings.security, ca_file, settings.pinned_sha256)
    secure = settings.security == "tls"
    try:
        pop = _POP3(
            settings.host,
            settings.port,
            timeout,
            address,
            context if secure else None,
            settings.pinned_sha256 if secure else None,
        )
    except ssl.SSLError as exc:
        raise _as_tls_error(exc, settings.host, settings.port) from exc
    if settings.security == "starttls":
        try:
            pop.secure_stls(context, settings.pinned_sha256)
        except BaseException:
            pop._close_half_open()
            raise
    return pop


# -- SMTP (aiosmtplib) -----------------------------------------------------------------


def smtp_kwargs(
    settings: ServerSettings, ca_file: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Any]:
    """Keyword arguments for `aiosmtplib.SMTP(...)` that enforce the TLS policy.

    STARTTLS is never opportunistic (aiosmtplib's default would send the password in
    clear when an attacker strips it). The context compares a pin inside the handshake.
    """
    kwargs: dict[str, Any] = {
        "hostname": settings.host,
        "port": settings.port,
        "timeout": timeout,
        "tls_context": shared_mail_context(
            "smtp", settings.security, ca_file, settings.pinned_sha256
        ),
        "use_tls": settings.security == "tls",
        "start_tls": settings.security == "starttls",
    }
    return kwargs


# -- helpers ---------------------------------------------------------------------------


def _as_tls_error(exc: BaseException, host: str, port: int) -> TLSRequiredError:
    """A failed handshake as a TLSRequiredError with the TLS classifier's reason."""
    from tuimail.core.tls import tls_reason

    if isinstance(exc, TLSRequiredError):
        return exc
    reason, data = tls_reason(exc)
    return TLSRequiredError(
        f"could not secure the connection to {host} port {port} ({reason})",
        reason=reason,
        data=data,
    )


def _text(data: Any) -> str:
    if isinstance(data, list | tuple) and data:
        data = data[0]
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _close_quietly(sock: socket.socket | None) -> None:
    try:
        if sock is not None:
            sock.close()
    except OSError:
        pass


# imapclient's parsers: a nesting too deep to read is the server's protocol violation, not
# a RecursionError (tuimail.core.imap.depth). Every IMAP connection is made here.
_imap_depth.install()
