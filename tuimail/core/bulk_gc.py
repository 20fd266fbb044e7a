"""Fewer garbage collections while a bulk job allocates (issue 19).

A first header sync makes a handful of small containers per message (the FETCH's parts,
the NewMessage, its summary, the row): with CPython's default first-generation
threshold (700 allocations) that is ~100 collections per 10,000 messages, each walking
the batches still alive, about 3 % of the sync's CPU. Inside `fewer_collections()` the
first-generation threshold is at least BULK_THRESHOLD: the same garbage is collected,
in fewer and larger passes (reference counting frees almost everything anyway; only
cycles wait a little longer).

Invariants: the thresholds are raised by the first thread to enter and put back exactly
as they were (whatever they were) when the last one leaves, so overlapping bulk jobs in
several threads (one sync per account in the app) never leave them raised; nothing else
about the collector changes (it is never disabled).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLD = 20_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the first-generation threshold for the duration of a bulk job."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            first, *rest = _saved
            if first:  # 0: the collector's automatic runs are off; left as they are
                gc.set_threshold(max(first, BULK_THRESHOLD), *rest)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
