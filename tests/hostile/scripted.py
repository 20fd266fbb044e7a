"""A tiny scripted TLS server on loopback that plays a hostile IMAP, POP3 or SMTP peer.

    with ScriptedServer(test_ca, script) as server:   # script(conn) per connection
        ... server.port ...

A script talks to one client over `Conn` (send, readline, a stop event to wait on instead of
sleeping). `ImapScript` / `Pop3Script` / `SmtpScript` answer like a small well-behaved
server, and each command can be overridden to misbehave.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from testserver.certs import TestCA
from tuimail.core.account import Account, ServerSettings

MAX_LINE = 65536
# How long a script waits (hang, trickle) for its client to give up. Far above every
# timeout a client under test has (1 s in tests/hostile), far below tuimail's default
# (30 s): a client that did not apply its account's timeout outwaits the guard, and
# ScriptedServer.outwaited says so; the test's assertion is that it did not (no elapsed
# time is measured, so a slow machine cannot make it flaky).
HANG_GUARD = 20.0


class Conn:
    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.file = sock.makefile("rb")
        self.sent = 0  # bytes sent, to show how much a client accepted before giving up
        self.outwaited = False  # a hang or trickle ran into HANG_GUARD: the client never left
        self.received = bytearray()  # every line readline() gave the script, as sent

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += len(data)

    def readline(self) -> bytes:
        """One line without CRLF; b"" when the client closed."""
        line = self.file.readline(MAX_LINE)
        self.received += line
        return line.rstrip(b"\r\n") if line else b""

    def flood(self, chunk: bytes, limit: int = 64 << 20) -> None:
        """Send `chunk` again and again until the client closes (or `limit` bytes)."""
        try:
            while self.sent < limit and not self.stop.is_set():
                self.send(chunk)
        except OSError:
            pass

    def close(self) -> None:
        """Really close (the makefile() reader would keep the socket open)."""
        for step in (
            lambda: self.sock.shutdown(socket.SHUT_RDWR),
            self.file.close,
            self.sock.close,
        ):
            try:
                step()
            except OSError:
                pass

    def hang(self) -> None:
        """Say nothing more until the client closes the connection or the test ends, or
        for HANG_GUARD seconds (then mark the connection `outwaited`: the client should
        have given up long before). What the client sends meanwhile is read and ignored."""
        deadline = time.monotonic() + HANG_GUARD
        while not self.stop.wait(0.05):
            if time.monotonic() > deadline:
                self.outwaited = True
                return
            if select.select([self.sock], [], [], 0)[0]:
                try:
                    if not self.sock.recv(4096):
                        return  # the client closed the connection
                except (OSError, ValueError):
                    return


Script = Callable[[Conn], None]


class ScriptedServer:
    def __init__(self, ca: TestCA, script: Script, tls: bool = True) -> None:
        self.script = script
        self.tls = tls  # False: a plain socket (a STARTTLS port before the upgrade)
        self.host = "127.0.0.1"
        self.ca_file = ca.ca_file
        self.context = ca.issue("good").server_context()
        self.stop = threading.Event()
        self.connections: list[Conn] = []
        self.errors: list[BaseException] = []
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> ScriptedServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        try:  # wakes the accept() under way now (close alone waits for its timeout)
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for thread in list(self._threads):
            thread.join(10)

    @property
    def outwaited(self) -> bool:
        """Whether a script waited HANG_GUARD seconds for its client to give up in vain."""
        return any(c.outwaited for c in self.connections)

    def client_left(self, timeout: float = 5.0) -> bool:
        """Whether every connection has ended (the client closed its socket, or the script
        finished) within `timeout`, before the test's end stops the scripts. A client that
        gave up but left its socket open keeps a script reading until then."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads[1:]):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads[1:])

    @property
    def received(self) -> bytes:
        """Every line the scripts read from their clients, all connections."""
        return b"".join(bytes(c.received) for c in self.connections)

    @property
    def sent(self) -> int:
        """The most bytes one connection sent before its client gave up."""
        return max((c.sent for c in self.connections), default=0)

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(30)
        # as the bundled servers (asyncio) send: a reply written in pieces would wait for
        # the client's delayed ACK (~40 ms) at every piece after the first
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock = self.context.wrap_socket(raw, server_side=True) if self.tls else raw
        except (OSError, ssl.SSLError):
            raw.close()
            return
        conn = Conn(sock, self.stop)
        self.connections.append(conn)
        try:
            self.script(conn)
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client went away: expected for most scripts
        except BaseException as exc:  # a bug in the script: the test reports it
            self.errors.append(exc)
        finally:
            conn.close()


def account_on(server: ScriptedServer) -> Account:
    """An account `work` (bob@example.test, login bob) whose incoming server is `server`
    (TLS, its CA trusted); its outgoing server is a closed port. Not saved."""
    return Account(
        name="work",
        email="bob@example.test",
        username="bob",
        incoming=ServerSettings(host=server.host, port=server.port, security="tls"),
        outgoing=ServerSettings(host=server.host, port=9, security="tls"),
        ca_file=server.ca_file,
    )


# -- a small IMAP server whose commands can be overridden ---------------------------------

Handler = Callable[[Conn, bytes, bytes], None]  # conn, tag, arguments

MESSAGE = (
    b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: hello\r\n"
    b"Message-ID: <m1@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
    b"Body of the message.\r\n"
)


def imap_fetch_line(seq: int, uid: int, subject: bytes = b"hello") -> bytes:
    header = MESSAGE.replace(b"Subject: hello", b"Subject: " + subject).split(b"\r\n\r\n")[0]
    header += b"\r\n\r\n"
    return (
        (
            f'* {seq} FETCH (UID {uid} FLAGS () INTERNALDATE "01-Jan-2024 10:00:00 +0000" '
            f"RFC822.SIZE {len(MESSAGE)} BODY[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID "
            f"IN-REPLY-TO REFERENCES CONTENT-TYPE)] {{{len(header)}}}\r\n"
        ).encode()
        + header
        + b")\r\n"
    )


class ImapScript:
    """Greeting, CAPABILITY, LOGIN, LIST/LSUB (INBOX), EXAMINE (one message, UID 1), UID
    SEARCH/FETCH, LOGOUT. `overrides[COMMAND]` replaces one command's answer; `greeting`
    replaces the greeting (None: send nothing and hang)."""

    def __init__(
        self,
        overrides: dict[str, Handler] | None = None,
        greeting: bytes | None = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        subject: bytes = b"hello",
        folder: bytes = b"INBOX",
    ) -> None:
        self.overrides = overrides or {}
        self.greeting = greeting
        self.subject = subject
        self.folder = folder
        self.commands: list[bytes] = []

    def __call__(self, conn: Conn) -> None:
        if self.greeting is None:
            conn.hang()
            return
        conn.send(self.greeting)
        while True:
            line = conn.readline()
            if not line:
                return
            self.commands.append(line)
            tag, _, rest = line.partition(b" ")
            command, _, args = rest.partition(b" ")
            if command.upper() == b"UID":
                sub, _, args = args.partition(b" ")
                command = b"UID " + sub
            name = command.upper().decode("ascii", "replace")
            handler = self.overrides.get(name) or getattr(
                self, "cmd_" + name.replace(" ", "_").lower(), None
            )
            if handler is None:
                conn.send(tag + b" OK done\r\n")
            else:
                handler(conn, tag, args)
            if name == "LOGOUT":
                return

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" OK logged in\r\n")

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b'* LIST () "/" ' + self.folder + b"\r\n" + tag + b" OK done\r\n")

    cmd_lsub = cmd_list

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n"
            b"* FLAGS (\\Seen)\r\n" + tag + b" OK [READ-ONLY] done\r\n"
        )

    cmd_select = cmd_examine

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        name = args.split(b" ")[0]
        conn.send(
            b"* STATUS "
            + name
            + b" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 7)\r\n"
            + tag
            + b" OK done\r\n"
        )

    def cmd_uid_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* SEARCH 1\r\n" + tag + b" OK done\r\n")

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[]" in args:
            conn.send(
                f"* 1 FETCH (UID 1 BODY[] {{{len(MESSAGE)}}}\r\n".encode()
                + MESSAGE
                + b")\r\n"
                + tag
                + b" OK done\r\n"
            )
        elif b"BODY.PEEK[HEADER" in args:
            conn.send(imap_fetch_line(1, 1, self.subject) + tag + b" OK done\r\n")
        else:
            conn.send(b"* 1 FETCH (UID 1 FLAGS ())\r\n" + tag + b" OK done\r\n")

    def cmd_noop(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" OK done\r\n")

    def cmd_logout(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* BYE bye\r\n" + tag + b" OK done\r\n")


# -- small POP3 and SMTP servers whose commands can be overridden -------------------------

LineHandler = Callable[[Conn, bytes], None]  # conn, arguments


class LineScript:
    """A line protocol: a greeting, then one handler per command word."""

    greeting: bytes = b""
    answers: dict[str, bytes] = {}
    unknown: bytes = b""

    def __init__(
        self, overrides: dict[str, LineHandler] | None = None, greeting: bytes | None = None
    ) -> None:
        self.overrides = overrides or {}
        if greeting is not None:
            self.greeting = greeting
        self.commands: list[bytes] = []

    def __call__(self, conn: Conn) -> None:
        conn.send(self.greeting)
        while True:
            line = conn.readline()
            if not line:
                return
            self.commands.append(line)
            word, _, args = line.partition(b" ")
            name = word.upper().decode("ascii", "replace")
            handler = self.overrides.get(name) or getattr(self, "cmd_" + name.lower(), None)
            if handler is not None:
                handler(conn, args)
            else:
                conn.send(self.answers.get(name, self.unknown))
            if name == "QUIT":
                return


class Pop3Script(LineScript):
    greeting = b"+OK POP3 ready\r\n"
    unknown = b"-ERR unknown command\r\n"
    answers = {
        "CAPA": b"+OK\r\nUSER\r\nUIDL\r\n.\r\n",
        "USER": b"+OK\r\n",
        "PASS": b"+OK logged in\r\n",
        "STAT": b"+OK 1 %d\r\n" % len(MESSAGE),
        "LIST": b"+OK\r\n1 %d\r\n.\r\n" % len(MESSAGE),
        "UIDL": b"+OK\r\n1 msg-1\r\n.\r\n",
        "RETR": b"+OK\r\n" + MESSAGE + b".\r\n",
        "TOP": b"+OK\r\n" + MESSAGE.split(b"\r\n\r\n")[0] + b"\r\n\r\n.\r\n",
        "NOOP": b"+OK\r\n",
        "QUIT": b"+OK bye\r\n",
    }


class SmtpScript(LineScript):
    greeting = b"220 smtp.example.test ESMTP ready\r\n"
    unknown = b"502 not implemented\r\n"
    answers = {
        "EHLO": b"250-smtp.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
        "HELO": b"250 smtp.example.test\r\n",
        "AUTH": b"235 2.7.0 accepted\r\n",
        "MAIL": b"250 2.1.0 ok\r\n",
        "RCPT": b"250 2.1.5 ok\r\n",
        "RSET": b"250 ok\r\n",
        "NOOP": b"250 ok\r\n",
        "QUIT": b"221 bye\r\n",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: list[bytes] = []

    def cmd_data(self, conn: Conn, args: bytes) -> None:
        conn.send(b"354 go ahead\r\n")
        lines = []
        while True:
            raw = conn.file.readline(MAX_LINE)  # not conn.readline(): a blank line is
            line = raw.rstrip(b"\r\n")  # the header/body separator, not the end
            if not raw or line == b".":
                break
            lines.append(line)
        after = self.overrides.get("END-OF-DATA")
        if after is not None:
            after(conn, b"")
            return
        self.delivered.append(b"\r\n".join(lines))
        conn.send(b"250 2.0.0 queued\r\n")


class Switch:
    """A script that can be swapped between connections (one server, one saved account)."""

    def __init__(self, script: Script) -> None:
        self.current = script

    def __call__(self, conn: Conn) -> None:
        self.current(conn)


def trickle(conn: Conn, data: bytes, every: float = 0.2) -> None:
    """Send `data` one byte at a time, then keep sending a byte now and then, never CRLF:
    a server that is alive but never finishes a line (for HANG_GUARD seconds at most: then
    the connection is `outwaited`)."""
    try:
        for i in range(int(HANG_GUARD / every)):
            conn.send(data[i : i + 1] if i < len(data) else b"x")
            if conn.stop.wait(every):
                return
        conn.outwaited = True
    except OSError:
        pass
