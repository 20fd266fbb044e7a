"""Work-arounds for Textual (pinned at 8.2.8), applied once when the app is imported.

`Strip.divide` caches its answer on the strip; cut whole (the usual case when the screen
is composed), the answer is a list holding the strip itself, so every such strip became
a reference cycle (strip -> cache -> list -> strip). Every line painted was then garbage
only the cyclic collector could free: tens of thousands of strips with their caches and
segments a minute of use, and the collector's full passes over them stalled the loop
10-80 ms (issue 19). A strip cut whole is answered without caching (the answer is itself,
as before); other cuts are cached as before.

`Strip.__init__` made seven empty caches (`FIFOCache`) for every strip, used or not: at
160x50 a frame that moves the focus (q back from the reader) repaints ~230 lines and made
~1,000 strips and ~7,000 caches, a quarter of its loop time, and every cache kept is an
object more for the collector's full passes to walk (issue 19). Each cache is now made
the first time it is asked for (a property over the slot); what it holds, and so what a
strip answers, is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.segment import Segment
from textual.cache import FIFOCache
from textual.strip import Strip

_divide = Strip.divide
_init = Strip.__init__

# The strip's caches and their sizes, as Textual 8.2.8's Strip.__init__ makes them.
_CACHES = {
    "_divide_cache": 4,
    "_crop_cache": 16,
    "_style_cache": 16,
    "_filter_cache": 4,
    "_line_length_cache": 4,
    "_crop_extend_cache": 4,
    "_offsets_cache": 4,
}


def _divide_without_cycle(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cell_length = self.cell_length
    cuts = [cut for cut in cuts if cut <= cell_length]
    if cuts == [cell_length]:
        return [self]
    return _divide(self, cuts)


def _init_without_caches(
    self: Strip, segments: Iterable[Segment], cell_length: int | None = None
) -> None:
    """Strip.__init__ less its seven caches (made on first use by `_lazy_cache`)."""
    self._segments = list(segments)
    self._cell_length = cell_length
    self._render_cache = None
    self._link_ids = None
    self._cell_count = None


def _lazy_cache(name: str, size: int, slot: Any) -> property:
    """The strip's cache `name` (a slot), made empty the first time it is read."""

    def get(self: Strip) -> FIFOCache:
        try:
            return slot.__get__(self, Strip)
        except AttributeError:
            cache: FIFOCache = FIFOCache(size)
            slot.__set__(self, cache)
            return cache

    def set_(self: Strip, value: FIFOCache) -> None:
        slot.__set__(self, value)

    return property(get, set_, doc=f"Strip.{name}, made on first use")


def apply() -> None:
    """Idempotent."""
    if Strip.divide is not _divide_without_cycle:
        Strip.divide = _divide_without_cycle  # type: ignore[method-assign]
    if Strip.__init__ is _init:
        for name, size in _CACHES.items():
            setattr(Strip, name, _lazy_cache(name, size, Strip.__dict__[name]))
        Strip.__init__ = _init_without_caches  # type: ignore[method-assign]
