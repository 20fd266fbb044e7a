"""An IMAP connection opened early, in a thread of its own, while the caller goes on
(`tuimail sync` imports the store and the sync engine and opens the store meanwhile:
connecting, the TLS handshake and the login wait on the network, issue 19).

    early = OpenedEarly(account, password, timeout)   # starts connecting at once
    runtime = AccountRuntime(..., opened_early=early)  # its sync engine's first connect
                                                       # takes this connection
    early.close()                                      # not taken: logged out

Invariants:
- The connection is made by `tuimail.core.imap.session.connect`, the one path every IMAP
  connection takes (TLS policy, certificate verification and pins, the login): nothing
  about what is sent, or when in the conversation, differs. The caller has the password
  before it starts (asked in turn, as before anything connected).
- Taken once: the first call of `connector(fallback)`'s function waits for the thread and
  returns its connection, or raises the very exception `connect` raised (the same typed
  error, met at the point the engine met it before); every later call is `fallback()`.
- A connection still being opened when the taker is aborted is shut down (the sockets
  are handed to the taker's `watch_opening` sink as they are opened).
- Never left behind: `close()` logs out a connection nobody took, or shuts down one
  still being opened (without waiting for it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tuimail.core.account import Account
from tuimail.core.connect import imap_context, opening_sink, shut, watch_opening
from tuimail.core.imap.session import Connector, close_quietly, connect
from tuimail.core.secrets import Secret


class OpenedEarly:
    """One connection opened (and logged in) in a thread started at construction."""

    def __init__(self, account: Account, password: Secret | str, timeout: float) -> None:
        self.account = account
        self._lock = threading.Lock()
        self._sockets: list[Any] = []  # the sockets opened so far
        self._sink: Callable[[Any], None] | None = None  # the taker's watch_opening sink
        self._client: Any = None
        self._error: BaseException | None = None
        self._taken = False  # by take() or close(): nobody else gets the connection
        self._closed = False
        self._ready_context()
        self._thread = threading.Thread(
            target=self._open,
            args=(password, timeout),
            name=f"connect-{account.name}",
            daemon=True,
        )
        self._thread.start()

    def _ready_context(self) -> None:
        """Build the connection's TLS context (kept per process: `connect` finds it) in
        the caller's thread. Reading the system's trust store in the new thread instead
        makes it wait for the GIL after each of its ~300 files while the caller imports
        (measured: 16 ms instead of 1.5 ms before the first packet). A failure is left
        for `connect` to meet and raise, as before."""
        try:
            imap_context(self.account.incoming, self.account.ca_file)
        except Exception:
            pass

    def _open(self, password: Secret | str, timeout: float) -> None:
        client = error = None
        try:
            with watch_opening(self._opened):
                client = connect(self.account, password, timeout=timeout)
        except BaseException as exc:  # raised again by the first connect (take)
            error = exc
        with self._lock:
            closed = self._closed
            if not closed:
                self._client, self._error = client, error
        if closed:
            close_quietly(client)  # closed while it was being opened: nobody takes it

    def _opened(self, sock: Any) -> None:
        with self._lock:
            self._sockets.append(sock)
            sink, closed = self._sink, self._closed
        if closed:
            shut(sock)
        elif sink is not None:
            sink(sock)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the connection is open (or failed to open)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _claim(self) -> bool:
        with self._lock:
            first, self._taken = not self._taken, True
            return first

    def _taken_now(self) -> Any:
        """The connection, or the exception opening it raised. The sockets it opens are
        told to this thread's watch_opening sink, so the taker can abort a connection
        still being opened."""
        sink = opening_sink()
        with self._lock:
            self._sink = sink
            opened = list(self._sockets)
        if sink is not None:
            for sock in opened:
                sink(sock)
        self._thread.join()
        with self._lock:
            client, self._client = self._client, None
            error, self._error = self._error, None
        if error is not None:
            raise error
        return client

    @property
    def taken(self) -> bool:
        return self._taken

    def connector(self, fallback: Connector) -> Connector:
        """A connector whose first call takes this connection, every later one
        `fallback()` (a fresh connection: after a lost one, a retry)."""

        def make() -> Any:
            return self._taken_now() if self._claim() else fallback()

        return make

    def close(self) -> None:
        """Not taken: log out the connection, or shut down one still being opened
        (its thread drops it when it ends); never waits for the opening."""
        if not self._claim():
            return
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
            self._error = None
            opened = list(self._sockets)
        if client is not None:
            close_quietly(client)
            return
        for sock in opened:
            shut(sock)
