"""Full garbage-collector passes while the user is idle, not in the middle of a key.

Textual makes cyclic garbage with every restyle and layout (component style nodes, the
compositor's maps), so CPython's full (oldest-generation) collection ran every few
events, and at 100,000 messages each pass walked enough objects to stall the loop 10-30
ms on top of the frame it fell into (issue 19). While the app runs, the oldest
generation is collected ten times less often by itself (threshold 10 -> 100) and
otherwise by a timer once the user has not typed or clicked, and no worker has started or
ended, for IDLE seconds. Nothing
is left uncollected for long: a busy user still gets the automatic pass, only rarer.
"""

from __future__ import annotations

import gc
import time

from tuimail.core import start_gc

IDLE = 1.0  # seconds without a key or click before a full pass may run
EVERY = 1.0  # how often the timer looks
OLDEST_THRESHOLD = 100  # CPython's default is 10

_active = 0  # apps running with the raised threshold (tests run many in one process)
_saved: tuple[int, int, int] | None = None


class IdleCollector:
    def __init__(self) -> None:
        self._last_input = time.monotonic()
        self._seen = self._young_passes()
        self._started = False

    @staticmethod
    def _young_passes() -> int:
        """How many middle-generation collections ran (each one moves survivors into
        the oldest generation: a full pass has something to find only after one)."""
        return gc.get_stats()[1]["collections"]

    def start(self) -> None:
        global _active, _saved
        if self._started:
            return
        self._started = True
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], max(_saved[2], OLDEST_THRESHOLD))
        _active += 1

    def stop(self) -> None:
        global _active
        if not self._started:
            return
        self._started = False
        _active -= 1
        if _active == 0 and _saved is not None:
            gc.set_threshold(*_saved)

    def input_seen(self) -> None:
        """The user acted (or a worker the user may wait for started or ended)."""
        self._last_input = time.monotonic()

    def user_idle(self) -> bool:
        """No key or click (nor a worker the user may wait for) for IDLE seconds."""
        return time.monotonic() - self._last_input >= IDLE

    def tick(self) -> bool:
        """Collect fully if the user is idle and something may have been promoted;
        True when it did."""
        if not self._started or time.monotonic() - self._last_input < IDLE:
            return False
        if start_gc.collect_owed():  # start-up's garbage (tuimail.core.start_gc), once
            self._seen = self._young_passes()
            return True
        passes = self._young_passes()
        if passes == self._seen:
            return False
        gc.collect()
        self._seen = self._young_passes()
        return True
