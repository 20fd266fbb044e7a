"""The bundled POP3 server (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH PLAIN RFC 5034).

Two ports: implicit TLS, and plaintext with STLS where USER/PASS/AUTH are refused until
TLS is up. A session sees the user's INBOX of the shared store as it was at login:
message numbers are stable for the session, deletions are applied only at QUIT (the
UPDATE state) and a dropped connection deletes nothing. One session per maildrop.
UIDL is "<uidvalidity>-<uid>", stable across sessions.

Under the `no_starttls` / `strip_starttls` faults the STLS port acts like a server
without TLS: USER/PASS are offered and accepted in plaintext, so a test can see in
`auth_log` whether a client sent its password in clear.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import re
import ssl
from dataclasses import dataclass

from testserver import sasl_oauth
from testserver.faults import Fault, FaultPlan, find, stay_silent
from testserver.mailstore import MailStore, StoredMessage

MAX_LINE = 8192
_LINE_END = re.compile(rb"\r?\n")


class _Closed(Exception):
    """The session is over (client gone, fault, or QUIT)."""


def wire_form(raw: bytes) -> bytes:
    """The message as POP3 sends it (before dot-stuffing): CRLF line ends, final CRLF."""
    if raw.count(b"\n") != raw.count(b"\r\n"):
        raw = _LINE_END.sub(b"\r\n", raw)
    if raw and not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    return raw


def wire_size(message: StoredMessage) -> int:
    size = message.cache.get("pop3_size")
    if size is None:
        raw = message.raw
        if raw.count(b"\n") == raw.count(b"\r\n") and (not raw or raw.endswith(b"\r\n")):
            size = len(raw)
        else:
            size = len(wire_form(raw))
        message.cache["pop3_size"] = size
    return size


def dot_stuff(data: bytes) -> bytes:
    """Multi-line body with every line starting with "." doubled, and the terminator."""
    stuffed = (b"\r\n" + data).replace(b"\r\n.", b"\r\n..")[2:]
    return stuffed + b".\r\n"


def write_status(store: MailStore, login: str, uid: int, added: bytes = b"") -> int | None:
    """What UW imapd, qpopper and Dovecot on mbox do to a message once it was read (by
    any client): status fields written at the end of its header (`added`, or Status,
    X-Status, X-Keywords and X-UID), once, kept for later sessions; the message grows
    by them. Returns its new POP3 size (None: no such message)."""
    fields = added or (b"Status: RO\r\nX-Status: \r\nX-Keywords: \r\nX-UID: %d\r\n" % uid)
    with store.lock:
        message = store.folder(login, "INBOX").messages.get(uid)
        if message is None:
            return None
        data = wire_form(message.raw)
        end = data.find(b"\r\n\r\n")
        at = len(data) if end < 0 else end + 2
        if not (data[:at].startswith(b"Status:") or b"\r\nStatus:" in data[:at]):
            message.raw = data[:at] + fields + data[at:]
            message.cache.clear()
        return wire_size(message)


@dataclass(frozen=True)
class AuthAttempt:
    """One USER/PASS or AUTH the server saw (never the password)."""

    login: str
    success: bool
    tls: bool
    port: str  # "tls" | "starttls"


@dataclass
class _Entry:
    uid: int
    size: int
    deleted: bool = False
    retrieved: bool = False


class POP3Server:
    """POP3 on an implicit-TLS port and an STLS port, on the caller's asyncio loop."""

    def __init__(
        self,
        store: MailStore,
        ssl_context: ssl.SSLContext,
        faults: FaultPlan | None = None,
        *,
        idle_timeout: float = 600.0,
        greeting: str = "tuimail test POP3 server ready",
        set_seen: bool = True,
    ) -> None:
        self.store = store
        self.ssl_context = ssl_context
        self.faults = faults or FaultPlan()
        self.idle_timeout = idle_timeout
        self.greeting = greeting
        self.set_seen = set_seen
        self._servers: list[asyncio.base_events.Server] = []
        self._sessions: set[_Session] = set()
        self.auth_log: list[AuthAttempt] = []

    async def start(self, host: str, port_tls: int = 0, port_starttls: int = 0) -> tuple[int, int]:
        tls = await asyncio.start_server(
            lambda r, w: self._accept(r, w, "tls"),
            host,
            port_tls,
            ssl=self.ssl_context,
            limit=MAX_LINE,
        )
        plain = await asyncio.start_server(
            lambda r, w: self._accept(r, w, "starttls"), host, port_starttls, limit=MAX_LINE
        )
        self._servers = [tls, plain]
        return tls.sockets[0].getsockname()[1], plain.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self._sessions):
            session.abort()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        self._servers = []

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: str
    ) -> None:
        session = _Session(self, reader, writer, port, self.faults.for_connection("pop3", port))
        self._sessions.add(session)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)


class _Session:
    def __init__(
        self,
        server: POP3Server,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        port: str,
        faults: list[Fault],
    ) -> None:
        self.server = server
        self.store = server.store
        self.reader = reader
        self.writer = writer
        self.port = port
        self.faults = faults
        self.tls = port == "tls"
        self.user: str | None = None  # name given by USER
        self.login: str | None = None  # authenticated, maildrop locked
        self.uidvalidity = 0
        self.entries: list[_Entry] = []
        self.sent = 0

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    # -- output, with the faults that shape it ---------------------------------------

    async def send(self, data: bytes) -> None:
        delay = find(self.faults, "delay")
        if delay:
            await asyncio.sleep(delay.delay)
        drop = find(self.faults, "drop")
        if drop and drop.after_bytes is not None and self.sent + len(data) >= drop.after_bytes:
            self.writer.write(data[: max(0, drop.after_bytes - self.sent)])
            with contextlib.suppress(Exception):
                await self.writer.drain()
            raise _Closed
        self.sent += len(data)
        drip = find(self.faults, "drip")
        if drip:
            step = max(1, drip.chunk)
            for i in range(0, len(data), step):
                self.writer.write(data[i : i + step])
                await self.writer.drain()
                await asyncio.sleep(drip.delay)
            return
        self.writer.write(data)
        await self.writer.drain()

    async def ok(self, text: str = "") -> None:
        await self.send(("+OK " + text).rstrip().encode() + b"\r\n")

    async def err(self, text: str) -> None:
        await self.send(b"-ERR " + text.encode() + b"\r\n")

    async def multiline(self, first: str, body: bytes) -> None:
        await self.send(("+OK " + first).rstrip().encode() + b"\r\n" + dot_stuff(body))

    # -- input -----------------------------------------------------------------------

    async def readline(self) -> bytes | None:
        """One command line without its end; None for a too-long line (discarded)."""
        try:
            line = await asyncio.wait_for(self.reader.readuntil(b"\n"), self.server.idle_timeout)
        except asyncio.LimitOverrunError:
            while True:  # throw away the rest of the long line
                try:
                    await self.reader.readuntil(b"\n")
                    break
                except asyncio.LimitOverrunError as exc:
                    await self.reader.readexactly(exc.consumed)
            return None
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError, ssl.SSLError):
            raise _Closed from None
        return line.rstrip(b"\r\n")

    # -- the session -----------------------------------------------------------------

    async def run(self) -> None:
        try:
            silent = find(self.faults, "silent")
            if silent:
                await stay_silent(self.reader, silent)
                return
            bye = next((f for f in self.faults if f.kind == "bye" and not f.command), None)
            if bye:
                await self.err(bye.message or "[SYS/TEMP] server shutting down")
                return
            await self.ok(self.server.greeting)
            while True:
                line = await self.readline()
                if line is None:
                    await self.err("command line too long")
                    continue
                if not await self.dispatch(line):
                    return
        except (_Closed, ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        except Exception:  # never a traceback to the client
            with contextlib.suppress(Exception):
                await self.err("[SYS/TEMP] internal server error")
        finally:
            if self.login is not None:
                self.store.unlock_maildrop(self.login)
                self.login = None
            with contextlib.suppress(Exception):
                self.writer.close()

    async def dispatch(self, line: bytes) -> bool:
        """Handle one command; False ends the session."""
        text = line.decode("latin-1")
        name, _, arg = text.partition(" ")
        name = name.upper()
        if find(self.faults, "drop", name):
            raise _Closed
        bye = find(self.faults, "bye", name)
        if bye:
            await self.err(bye.message or "[SYS/TEMP] server shutting down")
            return False
        if not name:
            await self.err("empty command")
            return True
        if name == "QUIT":
            return await self.quit()
        handler = getattr(self, "cmd_" + name.lower(), None)
        if handler is None:
            await self.err(f"unknown command {name[:20]!r}")
            return True
        if name in ("USER", "PASS", "AUTH", "APOP", "STLS"):
            if self.login is not None:
                await self.err("already authenticated")
                return True
        elif name != "CAPA" and self.login is None:
            await self.err("not authenticated: send USER and PASS first")
            return True
        await handler(arg.strip())
        return True

    # -- AUTHORIZATION -------------------------------------------------------------------

    def _starttls_offered(self) -> bool:
        return not self.tls and not any(
            find(self.faults, kind) for kind in ("no_starttls", "strip_starttls")
        )

    async def cmd_capa(self, arg: str) -> None:
        caps = ["TOP", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        if not find(self.faults, "no_uidl"):
            caps.append("UIDL")
        if find(self.faults, "oauth_only"):
            if self.store.tokens is not None and self.tls:
                caps.append("SASL OAUTHBEARER XOAUTH2")
        elif not self._plaintext_refused():
            oauth = " OAUTHBEARER XOAUTH2" if self.store.tokens is not None and self.tls else ""
            caps += ["USER", "SASL PLAIN" + oauth]
        if self._starttls_offered():
            caps.append("STLS")
        caps.append("IMPLEMENTATION tuimail-testserver")
        await self.multiline("Capability list follows", "".join(c + "\r\n" for c in caps).encode())

    async def cmd_stls(self, arg: str) -> None:
        if self.tls:
            await self.err("already using TLS")
            return
        if find(self.faults, "no_starttls"):
            await self.err("STLS not supported")
            return
        inject = find(self.faults, "inject_before_starttls")
        if inject:
            await self.send(inject.data)
        await self.ok("Begin TLS negotiation")
        if find(self.faults, "starttls_fail"):
            raise _Closed
        inject = find(self.faults, "inject_after_starttls")
        if inject:
            await self.send(inject.data)
        # Anything the client sent after STLS, before the handshake, is plaintext that
        # an attacker could have injected: discard it (RFC 2595 section 4).
        self.reader._buffer.clear()  # StreamReader has no public way
        try:
            await self.writer.start_tls(self.server.ssl_context, ssl_handshake_timeout=30)
        except Exception:
            raise _Closed from None
        self.tls = True
        self.user = None

    def _plaintext_refused(self) -> bool:
        """Before TLS, unless TLS is missing or stripped (then act as a naive server)."""
        return not self.tls and not any(
            find(self.faults, kind) for kind in ("no_starttls", "strip_starttls")
        )

    async def _password_refused(self) -> bool:
        """The oauth_only fault: every password login is refused (the answer sent)."""
        if find(self.faults, "oauth_only"):
            await self.err("[AUTH] Password logins are disabled here: use OAUTHBEARER or XOAUTH2.")
            return True
        return False

    async def cmd_user(self, arg: str) -> None:
        if await self._password_refused():
            return
        if self._plaintext_refused():
            await self.err("[AUTH] Plaintext authentication disallowed before STLS.")
            return
        if not arg:
            await self.err("USER needs a name")
            return
        self.user = arg
        await self.ok("send PASS")

    async def cmd_pass(self, arg: str) -> None:
        if await self._password_refused():
            return
        if self._plaintext_refused():
            await self.err("[AUTH] Plaintext authentication disallowed before STLS.")
            return
        if self.user is None:
            await self.err("send USER first")
            return
        user, self.user = self.user, None
        await self._login(user, arg)

    async def cmd_apop(self, arg: str) -> None:
        await self.err("APOP not supported")

    async def cmd_auth(self, arg: str) -> None:
        if self._plaintext_refused():
            await self.err("[AUTH] Authentication disallowed before STLS.")
            return
        mechanism, _, initial = arg.partition(" ")
        if not mechanism:
            await self.multiline("SASL mechanisms", b"PLAIN\r\n")
            return
        if mechanism.upper() in sasl_oauth.MECHANISMS and self.store.tokens is not None:
            await self._auth_oauth(mechanism.upper(), initial)
            return
        if mechanism.upper() != "PLAIN":
            await self.err("unsupported SASL mechanism")
            return
        if await self._password_refused():
            return
        if not initial:
            await self.send(b"+ \r\n")
            line = await self.readline()
            initial = (line or b"").decode("latin-1").strip()
        if initial == "*":
            await self.err("authentication cancelled")
            return
        try:
            decoded = base64.b64decode(initial, validate=True).decode("utf-8")
            _authzid, authcid, password = decoded.split("\0")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            await self.err("[AUTH] malformed SASL PLAIN response")
            return
        await self._login(authcid, password)

    async def _auth_oauth(self, mechanism: str, initial: str) -> None:
        """OAUTHBEARER / XOAUTH2 (RFC 5034 AUTH): a bad token gets the error challenge,
        the client's dummy answer, then -ERR [AUTH]."""
        if not self.tls:
            await self.err("[AUTH] Authentication needs TLS.")
            return
        if not initial:
            await self.send(b"+ \r\n")
            initial = ((await self.readline()) or b"").decode("latin-1").strip()
        if initial == "*":
            await self.err("authentication cancelled")
            return
        try:
            decoded = base64.b64decode("" if initial == "=" else initial, validate=True)
        except (binascii.Error, ValueError):
            await self.err("[AUTH] malformed SASL response")
            return
        login, _why = sasl_oauth.check(self.store.tokens, mechanism, decoded)
        if login is None:
            self.server.auth_log.append(AuthAttempt("", False, self.tls, self.port))
            challenge = sasl_oauth.error_challenge(mechanism, self.store.oauth_issuer)
            await self.send(b"+ " + base64.b64encode(challenge) + b"\r\n")
            await self.readline()
            await self.err("[AUTH] Authentication failed.")
            return
        await self._login(login, None)

    async def _login(self, name: str, password: str | None) -> None:
        """Log `name` in: with a password, checked here; None: already authenticated by a
        token."""
        refuse = find(self.faults, "login_reply")
        if refuse:  # whatever the password (a provider's "[LOGIN-DELAY]", "[SYS/TEMP]"...)
            await self.err(refuse.message or "[AUTH] Authentication failed.")
            return
        user = self.store.authenticate(name, password) if password is not None else None
        if password is None:
            user = self.store.user(name)
        self.server.auth_log.append(AuthAttempt(name, user is not None, self.tls, self.port))
        if user is None:
            await self.err("[AUTH] Authentication failed.")
            return
        if not self.store.lock_maildrop(user.login):
            await self.err("[IN-USE] Mailbox is locked by another POP3 session.")
            return
        self.login = user.login
        with self.store.lock:
            folder = self.store.folder(user.login, "INBOX")
            self.uidvalidity = folder.uidvalidity
            self.entries = [_Entry(m.uid, wire_size(m)) for m in folder.messages.values()]
        await self.ok(f"Logged in, {len(self.entries)} messages.")

    # -- TRANSACTION -----------------------------------------------------------------

    async def _entry(self, arg: str) -> _Entry | None:
        """The live entry a message-number argument names, or None after an -ERR."""
        if not arg.isdigit():
            await self.err("invalid message number")
            return None
        number = int(arg)
        if not 1 <= number <= len(self.entries):
            await self.err("no such message")
            return None
        entry = self.entries[number - 1]
        if entry.deleted:
            await self.err(f"message {number} already deleted")
            return None
        return entry

    def _raw(self, entry: _Entry) -> bytes | None:
        with self.store.lock:
            folder = self.store.folder(self.login, "INBOX")
            if folder.uidvalidity != self.uidvalidity:
                return None
            message = folder.messages.get(entry.uid)
            return None if message is None else message.raw

    async def cmd_noop(self, arg: str) -> None:
        await self.ok()

    async def cmd_stat(self, arg: str) -> None:
        live = [e for e in self.entries if not e.deleted]
        await self.ok(f"{len(live)} {sum(e.size for e in live)}")

    async def cmd_list(self, arg: str) -> None:
        if arg:
            entry = await self._entry(arg)
            if entry:
                await self.ok(f"{arg} {entry.size}")
            return
        lines = [f"{n} {e.size}\r\n" for n, e in enumerate(self.entries, 1) if not e.deleted]
        live = [e for e in self.entries if not e.deleted]
        await self.multiline(
            f"{len(live)} messages ({sum(e.size for e in live)} octets)", "".join(lines).encode()
        )

    async def cmd_uidl(self, arg: str) -> None:
        if find(self.faults, "no_uidl"):
            await self.err("UIDL not supported")
            return
        if arg:
            entry = await self._entry(arg)
            if entry:
                number = int(arg)
                await self.send(b"+OK " + self._uidl_line(number, entry))
            return
        lines = [self._uidl_line(n, e) for n, e in enumerate(self.entries, 1) if not e.deleted]
        await self.multiline("", b"".join(lines))

    def _uidl_line(self, number: int, entry: _Entry) -> bytes:
        """ "n unique-id" CRLF; under `number_uidl` the unique-id is the message number,
        under `odd_uidl` it comes from the fault."""
        uidl = f"{self.uidvalidity}-{entry.uid}".encode()
        if find(self.faults, "number_uidl"):
            uidl = str(number).encode()  # reused once an earlier message is deleted
        odd = find(self.faults, "odd_uidl")
        if odd:
            items = odd.data.split(b"\n")
            if number <= len(items):
                uidl = items[number - 1]
        return str(number).encode() + b" " + uidl + b"\r\n"

    async def cmd_retr(self, arg: str) -> None:
        entry = await self._entry(arg)
        if entry is None:
            return
        refuse = find(self.faults, "retr_err")
        if refuse and arg.encode() in refuse.data.split():
            await self.err(refuse.message or "message unavailable")
            return
        raw = self._raw(entry)
        if raw is None:
            await self.err("[SYS/TEMP] message was removed by another session")
            return
        entry.retrieved = True
        await self.multiline(f"{entry.size} octets", wire_form(raw))
        mbox = find(self.faults, "mbox_status")
        if mbox:
            self._write_status(entry, mbox.data)

    def _write_status(self, entry: _Entry, added: bytes) -> None:
        """The `mbox_status` fault: the message, once read, gets mbox status headers (see
        `write_status`); the session's LIST gives the new size."""
        with self.store.lock:
            if self.store.folder(self.login, "INBOX").uidvalidity != self.uidvalidity:
                return
            size = write_status(self.store, self.login, entry.uid, added)
            if size is not None:
                entry.size = size

    async def cmd_top(self, arg: str) -> None:
        parts = arg.split()
        if len(parts) != 2 or not parts[1].isdigit():
            await self.err("usage: TOP msg n")
            return
        entry = await self._entry(parts[0])
        if entry is None:
            return
        raw = self._raw(entry)
        if raw is None:
            await self.err("[SYS/TEMP] message was removed by another session")
            return
        data = wire_form(raw)
        end = data.find(b"\r\n\r\n")
        if end < 0:
            header, body = data, b""
        else:
            header, body = data[: end + 4], data[end + 4 :]
        wanted = int(parts[1])
        lines = body.split(b"\r\n")[:-1]  # the body ends with CRLF
        body = b"".join(line + b"\r\n" for line in lines[:wanted])
        await self.multiline("", header + body)

    async def cmd_dele(self, arg: str) -> None:
        entry = await self._entry(arg)
        if entry:
            entry.deleted = True
            await self.ok(f"message {arg} deleted")

    async def cmd_rset(self, arg: str) -> None:
        for entry in self.entries:
            entry.deleted = False
        await self.ok(f"{len(self.entries)} messages")

    # -- UPDATE ----------------------------------------------------------------------

    async def quit(self) -> bool:
        if self.login is None:
            await self.ok("bye")
            return False
        deleted = [e.uid for e in self.entries if e.deleted]
        seen = [e.uid for e in self.entries if e.retrieved and not e.deleted]
        with self.store.lock:
            # A folder whose UIDVALIDITY changed meanwhile has other UIDs: touch nothing.
            if self.store.folder(self.login, "INBOX").uidvalidity == self.uidvalidity:
                if seen and self.server.set_seen:
                    self.store.store_flags(self.login, "INBOX", seen, "+", ["\\Seen"])
                self.store.remove(self.login, "INBOX", deleted)
        self.store.unlock_maildrop(self.login)
        self.login = None
        await self.ok(f"bye ({len(deleted)} messages deleted)")
        return False
