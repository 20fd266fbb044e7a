"""Message lists read page by page (`count()`, `rows(offset, limit)`): a folder from the
store, a snapshot, search results."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tuimail.core.date_notes import ARRIVAL_NOTES
from tuimail.core.facade.views import MessageRow

# -- list sources ---------------------------------------------------------------------


class ListSource:
    """A snapshot list of rows (one folder, the unified inbox, or search results)."""

    def __init__(self, rows: Sequence[MessageRow]) -> None:
        self._rows = list(rows)

    def count(self) -> int:
        return len(self._rows)

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]:
        return self._rows[offset : offset + limit]


class SearchResults(ListSource):
    """Search hits (a virtual folder). `refresh()` re-reads them from the store, so a
    result read or flagged shows it, one moved away (deleted, archived) leaves, and one
    put back where it was found (undo) is shown again: the hits as found are kept."""

    def __init__(self, store: Any, rows: Sequence[MessageRow]) -> None:
        super().__init__(rows)
        self.store = store
        self._hits = list(self._rows)

    def refresh(self) -> None:
        found = {r.id: r for r in self.store.messages_by_ids([r.id for r in self._hits])}
        self._rows = [
            replace(view_row(found[r.id]), depth=r.depth)
            for r in self._hits
            if r.id in found and found[r.id].folder == r.folder
        ]


def view_row(row: Any, depth: int = 0, **tree: Any) -> MessageRow:
    """A store row as the list shows it (`tree`: the thread tree fields of MessageRow)."""
    date = datetime.fromtimestamp(row.date, UTC) if row.date else None
    note = getattr(row, "note", "") or ""
    arrival = note in ARRIVAL_NOTES
    return MessageRow(
        id=row.id,
        account=row.account,
        folder=row.folder,
        uid=row.uid or 0,
        date=date,
        sender=row.from_name or row.from_addr,
        # A message whose header was only partly readable is marked (the note says why);
        # one listed by its arrival has its date marked instead (MessageRow.arrival).
        subject=f"(!) {row.subject}" if note and not arrival else row.subject,
        size=row.size,
        seen=row.seen,
        flagged=row.flagged,
        answered=row.answered,
        has_attachments=row.has_attachments,
        depth=depth,
        message_id=row.message_id,
        thread=row.thread_id or "",
        recipients=getattr(row, "to_addrs", "") or "",
        note=note,
        arrival=arrival,
        **tree,
    )


STORE_SORTS = {"date": "date", "sender": "from", "subject": "subject", "size": "size"}


class StoreSource:
    """A folder (or the unified inbox) read page by page from the store. `reverse` reads
    the same order from the other end (oldest, smallest, Z first).

    By date (the index's order) a page is read at its offset. The other sorts have no
    index: `count()` sorts the folder's ids once (a fraction of a second at 100,000, so
    call it off the UI thread, as the list does) and a page is then read by its ids, not
    by sorting the whole folder again for every page (0.7 s each at 100,000). The order
    is the one of the last `count()`; the list calls it again whenever the store changed."""

    def __init__(self, store: Any, folder: Any, sort: str = "date", reverse: bool = False) -> None:
        self.store = store
        self.folder = folder
        self.sort = STORE_SORTS.get(sort, "date")
        self.reverse = reverse
        self._count: int | None = None
        self._ids: Sequence[int] | None = None  # the order, for sorts without an index
        self._keep_order = False  # the next count() keeps `_ids` (see `without`)

    def without(self, ids: Sequence[int]) -> StoreSource:
        """This folder in the order last read, less `ids` (moved away just now): the
        list of a sort without index re-read at once, without sorting the folder again.
        Its next `count()` keeps that order; the one after sorts afresh."""
        source = StoreSource(self.store, self.folder, reverse=self.reverse)
        source.sort = self.sort
        if self._ids is not None:
            drop = set(ids)
            source._ids = array("q", (i for i in self._ids if i not in drop))
            source._keep_order = True
        return source

    def count(self) -> int:
        if self.sort != "date":
            if self._keep_order and self._ids is not None:
                self._keep_order = False
                self._count = len(self._ids)
                return self._count
            self._ids = self.store.message_ids(self.folder, self.sort)
            self._count = len(self._ids)
            return self._count
        self._count = self.store.count_messages(self.folder)
        return self._count

    def row_of(self, message_id: int) -> int | None:
        """The row of message `message_id` in this order, None if it is not here. A sort
        without index reads the folder's order (call it off the UI thread) and keeps it
        for the next `count()`, so the rows then read are the ones the row was found in
        (and the folder is sorted once, not twice)."""
        if self.sort == "date":  # (counted on the index: cheap enough for the UI thread)
            row = self.store.date_row(self.folder, message_id)
            if row is None or not self.reverse:
                return row
            total = self._count if self._count is not None else self.count()
            return total - 1 - row
        if self._ids is None:
            self.count()
            self._keep_order = True
        ids = self._ids or ()
        try:
            index = ids.index(message_id)
        except ValueError:
            return None
        return len(ids) - 1 - index if self.reverse else index

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]:
        if self.sort != "date":
            if self._ids is None:
                self.count()
            ids = self._ids or ()
            if self.reverse:
                end = max(0, len(ids) - offset)
                page = list(reversed(ids[max(0, end - limit) : end]))
            else:
                page = list(ids[offset : offset + limit])
            return [view_row(r) for r in self.store.messages_by_ids(page)]
        if not self.reverse:
            found = self.store.message_rows(self.folder, offset, limit, self.sort)
            return [view_row(r) for r in found]
        total = self._count if self._count is not None else self.count()
        start = max(0, total - offset - limit)
        size = max(0, total - offset - start)
        found = self.store.message_rows(self.folder, start, size, self.sort) if size else []
        return [view_row(r) for r in reversed(found)]
