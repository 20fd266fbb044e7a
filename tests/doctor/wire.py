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
    def __init__(self, port: int) -> None:
        self.target = port
        self.sent = bytearray()  # client -> server, every connection
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

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
        self._listener.close()
        for sock in self._open:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a pump blocked in recv
            except OSError:
                pass
            sock.close()
        for t in self._threads:
            t.join(5)

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
