"""`IMAPServer`: listens on an implicit-TLS port and a STARTTLS port, one Session each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from testserver.faults import FaultPlan
from testserver.imap.session import Session
from testserver.mailstore import MailStore
from testserver.pop3 import AuthAttempt

log = logging.getLogger("testserver.imap")

LINE_LIMIT = 1024 * 1024


class IMAPServer:
    """Options: disable=("IDLE", ...) hides capabilities; max_literal (bytes, default
    50 MB); idle_timeout (seconds, default 30 min); hostname (shown in the greeting)."""

    def __init__(
        self,
        store: MailStore,
        ssl_context: ssl.SSLContext,
        faults: FaultPlan,
        *,
        disable: tuple[str, ...] | list[str] = (),
        max_literal: int = 50 * 1024 * 1024,
        idle_timeout: float = 30 * 60,
        hostname: str = "localhost",
    ) -> None:
        self.store = store
        self.ssl_context = ssl_context
        self.faults = faults
        self.disabled = tuple(c.upper() for c in disable)
        self.max_literal = max_literal
        self.idle_timeout = idle_timeout
        self.hostname = hostname
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task] = set()
        self._sessions: set[Session] = set()
        self.auth_log: list[AuthAttempt] = []  # every login tried (never the password)

    async def start(self, host: str, port_tls: int = 0, port_starttls: int = 0) -> tuple[int, int]:
        tls = await asyncio.start_server(
            lambda r, w: self._accept(r, w, "tls"),
            host,
            port_tls,
            ssl=self.ssl_context,
            ssl_handshake_timeout=30,
            limit=LINE_LIMIT,
        )
        self._servers.append(tls)
        plain = await asyncio.start_server(
            lambda r, w: self._accept(r, w, "starttls"),
            host,
            port_starttls,
            limit=LINE_LIMIT,
        )
        self._servers.append(plain)
        return tls.sockets[0].getsockname()[1], plain.sockets[0].getsockname()[1]

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: str
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = Session(self, reader, writer, port, self.faults.for_connection("imap", port))
        self._sessions.add(session)
        try:
            await session.run()
        except asyncio.CancelledError:
            pass  # server stopping; asyncio would log a cancelled client task as an error
        finally:
            session.close()
            self._sessions.discard(session)
            if task is not None:
                self._tasks.discard(task)

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self._sessions):
            session.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        self._servers.clear()
