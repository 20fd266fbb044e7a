"""Run one step per item at once, each in its own thread (accounts' passes: a silent or
slow server never holds back another). Invariant: every thread is joined before the call
returns; a lone item runs in the caller's thread; the first exception is raised after all
have ended."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def side_by_side(
    items: Sequence[T],
    step: Callable[[T], object],
    name: Callable[[T], str],
    started: list[threading.Thread] | None = None,
) -> None:
    """`step(item)` for every item at once; `started` (if given) gets the threads."""
    if len(items) <= 1:
        for item in items:
            step(item)
        return
    errors: list[BaseException] = []

    def run(item: T) -> None:
        try:
            step(item)
        except BaseException as exc:  # raised to the caller below
            errors.append(exc)

    # Daemon: Ctrl+C ends the caller (each pass writes in transactions).
    threads = [threading.Thread(target=run, args=(i,), name=name(i), daemon=True) for i in items]
    if started is not None:
        started.extend(threads)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
