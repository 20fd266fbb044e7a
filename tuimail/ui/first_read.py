"""The folders and the inbox's first rows, read from the store while the app starts.

The first painted list needs them; read in a worker once the main screen was mounted,
they waited for the interpreter while the screen's first frame was rendered (the read is
a few milliseconds of SQLite, but its Python parts queued for the GIL: ~30 ms at 10,000
messages), and the list came in a second frame (issue 19). Started with the app instead,
the read is done by the time the main screen mounts, which shows the rows in its first
frame. Nothing else changes: the same reads as the worker's (folders, then the inbox's
first rows for the app's sort); if it is not done, or failed, the app reads in its worker
as before.

Invariant: one thread, started at most once, reading only (the store gives each thread
its own connection); its result is taken at most once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class FirstRead:
    """`read()` run in a thread from construction; `take()` its result once, if done."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self._result: tuple[Any] | None = None
        self._taken = False
        self._thread = threading.Thread(
            target=self._run, args=(read,), name="first-read", daemon=True
        )
        self._thread.start()

    def _run(self, read: Callable[[], Any]) -> None:
        try:
            self._result = (read(),)
        except Exception:  # the app's own read (in its worker) says what went wrong
            self._result = None

    def take(self, wait: float = 0.0) -> tuple[Any] | None:
        """(result,) if the read is done (waiting `wait` seconds at most) and succeeded
        and nothing took it yet, else None."""
        if self._taken:
            return None
        self._thread.join(wait)
        if self._thread.is_alive():
            return None
        self._taken = True
        return self._result

    def wait_or(self, read: Callable[[], Any]) -> Any:
        """The result once the read is done (in a worker: waiting blocks), or `read()`
        if it failed or was taken."""
        self._thread.join()
        done = self.take()
        return done[0] if done is not None else read()
