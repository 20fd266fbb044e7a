"""`MailServer`: the whole bundled mail system, started in one line.

    with MailServer() as server:            # or: async with MailServer() as server
        alice = server.new_user()
        server.deliver(alice, raw)
        ... connect to server.host, server.ports.imap_tls, trust server.ca_file ...

All protocol servers run on one asyncio event loop in a background thread and share one
`MailStore`. Ports are chosen by the OS unless given. The server binds loopback only
unless told otherwise, and never relays mail anywhere.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from testserver.certs import TestCA, shared_ca
from testserver.faults import FaultPlan
from testserver.mailstore import MailStore
from testserver.peer import PeerPorts, PeerUser

# Protocol servers: constructor (store, ssl_context, faults, **options) and
# `async start(host, port_tls=0, port_starttls=0) -> (tls_port, starttls_port)`,
# `async stop()`.
PROTOCOLS = ("imap", "pop3", "smtp")


class MailServer:
    kind = "bundled"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        domain: str = "example.test",
        cert: str = "good",
        ca: TestCA | None = None,
        ports: dict[str, int] | None = None,
        options: dict[str, dict[str, Any]] | None = None,
        protocols: tuple[str, ...] = PROTOCOLS,
    ) -> None:
        self.host = host
        self.domain = domain
        self.store = MailStore()
        self.faults = FaultPlan()
        self.ca = ca or shared_ca()
        self.ca_file = self.ca.ca_file
        self.certificate = self.ca.issue(cert)
        self._wanted_ports = dict(ports or {})
        self._options = options or {}
        self.protocols = protocols
        self._servers: dict[str, Any] = {}
        self._bound: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._user_counter = itertools.count(1)

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> MailServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.call_soon(ready.set)
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="testserver", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self.call(self._start_servers()).result(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    async def _start_servers(self) -> None:
        context = self.certificate.server_context()
        for protocol in self.protocols:
            cls = _server_class(protocol)
            server = cls(self.store, context, self.faults, **self._options.get(protocol, {}))
            tls_port, starttls_port = await server.start(
                self.host,
                self._wanted_ports.get(f"{protocol}_tls", 0),
                self._wanted_ports.get(f"{protocol}_starttls", 0),
            )
            self._servers[protocol] = server
            self._bound[f"{protocol}_tls"] = tls_port
            self._bound[f"{protocol}_starttls"] = starttls_port

    async def _stop_servers(self) -> None:
        for server in reversed(list(self._servers.values())):
            try:
                await server.stop()
            except Exception:
                pass
        self._servers.clear()

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._loop.is_running():
            try:
                self.call(self._stop_servers()).result(timeout=10)
            except Exception:
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None

    def call(self, coro) -> Future:
        """Run a coroutine on the server's loop from any thread."""
        assert self._loop is not None, "server not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> MailServer:
        await asyncio.get_running_loop().run_in_executor(None, self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    # -- what clients need ------------------------------------------------------------

    @property
    def ports(self) -> PeerPorts:
        b = dict.fromkeys(_PORT_NAMES, 0) | self._bound
        return PeerPorts(
            imap_tls=b["imap_tls"],
            imap_starttls=b["imap_starttls"],
            pop3_tls=b["pop3_tls"],
            pop3_starttls=b["pop3_starttls"],
            smtp_tls=b["smtp_tls"],
            smtp_starttls=b["smtp_starttls"],
        )

    @property
    def bound_ports(self) -> dict[str, int]:
        return dict(self._bound)

    def add_user(self, local: str, password: str | None = None) -> PeerUser:
        email = local if "@" in local else f"{local}@{self.domain}"
        password = password or secrets.token_urlsafe(12)
        self.store.add_user(email, password, email)
        return PeerUser(login=email, password=password, email=email)

    def new_user(self) -> PeerUser:
        return self.add_user(f"user{next(self._user_counter)}")

    def deliver(self, user: PeerUser | str, raw: bytes, folder: str = "INBOX") -> None:
        self.store.deliver(_login(user), raw, folder)

    def messages(self, user: PeerUser | str, folder: str = "INBOX") -> list[bytes]:
        return [m.raw for m in self.store.messages(_login(user), folder)]

    def wait_for_message(
        self,
        user: PeerUser | str,
        predicate: Callable[[bytes], bool],
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> bytes:
        message = self.store.wait_for_message(
            _login(user), lambda m: predicate(m.raw), timeout, folder
        )
        return message.raw


_PORT_NAMES = [f"{p}_{s}" for p in PROTOCOLS for s in ("tls", "starttls")]


def _login(user: PeerUser | str) -> str:
    return user.login if isinstance(user, PeerUser) else user


def _server_class(protocol: str):
    if protocol == "imap":
        from testserver.imap.server import IMAPServer

        return IMAPServer
    if protocol == "pop3":
        from testserver.pop3 import POP3Server

        return POP3Server
    from testserver.smtp import SMTPServer

    return SMTPServer
