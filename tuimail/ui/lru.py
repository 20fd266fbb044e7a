"""A least-recently-used cache with no reference cycles.

Textual's `LRUCache` keeps its entries in a circular linked list of Python lists: every
entry it holds is part of a reference cycle, so whatever is cleared or dropped from it
(the message list's rendered rows and pages of rows, on every reload) is freed only by
the cyclic garbage collector, whose full passes then stalled the loop 30-80 ms at 100,000
messages (issue 19). This one keeps them in an `OrderedDict`: dropped entries are freed
at once by reference counting.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `maxsize` entries; setting one more drops the least recently used."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: V | None = None) -> V | None:
        """The entry for `key` (now the most recently used), else `default`."""
        try:
            self._data.move_to_end(key)
        except KeyError:
            return default
        return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        data = self._data
        data[key] = value
        data.move_to_end(key)
        while len(data) > self.maxsize:
            data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()
