"""Work-arounds for Textual (pinned at 8.2.8), applied once when the app is imported.

`Strip.divide` caches its answer on the strip; cut whole (the usual case when the screen
is composed), the answer is a list holding the strip itself, so every such strip became
a reference cycle (strip -> cache -> list -> strip). Every line painted was then garbage
only the cyclic collector could free: tens of thousands of strips with their caches and
segments a minute of use, and the collector's full passes over them stalled the loop
10-80 ms (issue 19). A strip cut whole is answered without caching (the answer is itself,
as before); other cuts are cached as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.strip import Strip

_divide = Strip.divide


def _divide_without_cycle(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cell_length = self.cell_length
    cuts = [cut for cut in cuts if cut <= cell_length]
    if cuts == [cell_length]:
        return [self]
    return _divide(self, cuts)


def apply() -> None:
    """Idempotent."""
    if Strip.divide is not _divide_without_cycle:
        Strip.divide = _divide_without_cycle  # type: ignore[method-assign]
