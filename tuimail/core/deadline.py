"""An absolute deadline for a blocking exchange on sockets (HTTP with http.client).

A socket timeout bounds one wait: a server that sends a byte every few seconds never
trips it, and an exchange read that way lasts as long as the server likes. Under
`with Deadline(seconds):` every socket handed to `watch` (or made by `create_connection`
/ `secure`) is shut down when the time is up, so the blocked read returns at once; the
caller then sees `expired` and reports TimedOut, whatever the library raised.
"""

from __future__ import annotations

import socket
import ssl
import threading


class Deadline:
    """Shuts down every socket opened under it once `seconds` have passed since the block
    began (a blocked read then returns); `expired` says whether it did. Sockets are held
    as objects: a closed one has no descriptor left to shut down by mistake."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Deadline:
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            try:  # the plain socket's shutdown: an SSLSocket's own would drop its state
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def watch(self, sock: socket.socket) -> socket.socket:
        """`sock` shut down at the deadline (at once if it has passed)."""
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            sock.close()
            raise TimeoutError("the exchange's deadline passed")
        return sock

    def create_connection(self, *args, **kwargs) -> socket.socket:
        """socket.create_connection, the socket watched (as http.client calls it)."""
        return self.watch(socket.create_connection(*args, **kwargs))

    def secure(self, context: ssl.SSLContext, sock: socket.socket, host: str) -> ssl.SSLSocket:
        """TLS on `sock`, watched from before the handshake (a trickled handshake ends too)."""
        tls = self.watch(
            context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        )
        tls.do_handshake()
        return tls
