"""Reads for the screen that run off the UI thread, the latest request winning.

At 100,000 messages a folder's count, a page of rows or the folders' unread counts are
milliseconds of SQLite each; on the event loop they add up to stalls the user sees (issue
19). `Latest` runs such a read in a thread worker and applies its result on the loop,
one read of a kind at a time: a request made while one runs waits (replacing any request
already waiting), and a result is applied only if nothing newer was asked for meanwhile.
So a quick second folder switch lands on the second folder, and a burst of store-change
events costs at most two reads, not one per event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_Job = tuple[int, Callable[[], Any], Callable[[Any], None]]


class Latest:
    """One kind of read (`name`: the workers' name and group) for one app, whose `hop(fn,
    *args)` runs fn on the loop and `show_error(text)` tells the user."""

    def __init__(self, app: Any, name: str) -> None:
        self.app = app
        self.name = name
        self._asked = 0  # the number of the newest request
        self._running = False
        self._waiting: _Job | None = None

    @property
    def busy(self) -> bool:
        """A read runs or waits (its result is not shown yet)."""
        return self._running or self._waiting is not None

    def run(self, read: Callable[[], Any], apply: Callable[[Any], None]) -> None:
        """`read()` in a worker thread, then `apply(result)` on the loop unless a newer
        request came meanwhile."""
        self._asked += 1
        job = (self._asked, read, apply)
        if self._running:
            self._waiting = job
            return
        self._start(job)

    def cancel(self) -> None:
        """Whatever runs or waits is not applied (something else is shown now)."""
        self._asked += 1
        self._waiting = None

    def _start(self, job: _Job) -> None:
        number, read, apply = job
        self._running = True

        def finished(result: Any, error: BaseException | None) -> None:
            self._running = False
            waiting, self._waiting = self._waiting, None
            try:
                if number == self._asked:
                    if error is not None:
                        from tuimail.words.describe import describe

                        self.app.show_error(describe(error))
                    else:
                        apply(result)
            finally:
                if waiting is not None:
                    self._start(waiting)

        def runner() -> None:
            try:
                result = read()
            except Exception as exc:  # shown on the loop (never a traceback)
                self.app.hop(finished, None, exc)
            else:
                self.app.hop(finished, result, None)

        self.app.run_worker(runner, thread=True, exit_on_error=False, name=self.name)
