"""What goes over the wire: a recording TCP relay and a record of every socket call.

`Relay(port)` listens on 127.0.0.1 and forwards to the bundled server's `port`, keeping
every byte the client sent: whatever of the password is readable there went out in
clear. `SocketCalls` records (with a Python audit hook) every connect, sendto and
getaddrinfo made while it is active, from any thread.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Relay:
    """Invariant: after close() no thread it started is left (the accept loop, the pumps)
    and no socket it opened stays open."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.sent = bytearray()  # client -> server, every connection
        self._lock = threading.Lock()
        self._closed = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._closed:  # accepted while closing: close() no longer sees it
                    client.close()
                    server.close()
                    return
                self._open += [client, server]
                for src, dst, record in ((client, server, True), (server, client, False)):
                    t = threading.Thread(target=self._pump, args=(src, dst, record), daemon=True)
                    t.start()
                    self._threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self._lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets, threads = list(self._open), list(self._threads)
        try:  # close() alone leaves accept() blocked for ever (Linux): shutdown wakes it
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._accepter.join(5)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a pump blocked in recv
            except OSError:
                pass
            sock.close()
        for t in threads:
            t.join(5)

    def threads_alive(self) -> list[threading.Thread]:
        """The threads this relay started that are still running."""
        return [t for t in (self._accepter, *self._threads) if t.is_alive()]

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SocketCalls:
    """Recorded: ("connect" | "sendto", (host, port)) and ("getaddrinfo", (host, port))."""

    _active: list[SocketCalls] = []
    _installed = False

    def __init__(self, ignore_local_ports: set[int]) -> None:
        # Sockets bound to these ports are the test servers' (their replies are not ours).
        self.ignore = ignore_local_ports
        self.calls: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        if not cls._active or event not in (
            "socket.connect",
            "socket.sendto",
            "socket.getaddrinfo",
        ):
            return
        for calls in list(cls._active):
            calls._record(event, args)

    def _record(self, event: str, args: tuple) -> None:
        if event == "socket.getaddrinfo":
            entry = ("getaddrinfo", (args[0], args[1]))
        else:
            sock, address = args[0], args[1]
            try:
                if sock.getsockname()[1] in self.ignore:
                    return
            except (OSError, IndexError, TypeError):
                pass
            entry = (event.split(".")[1], tuple(address)[:2])
        with self._lock:
            self.calls.append(entry)

    @contextmanager
    def active(self) -> Iterator[SocketCalls]:
        if not SocketCalls._installed:
            sys.addaudithook(SocketCalls._hook)  # cannot be removed: idle when inactive
            SocketCalls._installed = True
        SocketCalls._active.append(self)
        try:
            yield self
        finally:
            SocketCalls._active.remove(self)
