"""The search index of headers, filled after a sync rather than during it (issue 19).

A sync's bulk insert (Store._insert_many) of DEFER_FROM rows or more leaves the new rows
out of `messages_fts` and records their ids as one range in `fts_pending` (a few rows for
a whole first sync); a smaller one (new mail, a small folder) is indexed at once.
`index_headers` puts the pending rows into the index later: the app does it in the
background after a pass (tuimail.core.runtime), and `Store.search` does it first for
whatever is still pending, so a search finds exactly what it would have found had every
row been indexed at insert (tests/store/test_header_index.py compares both).

Invariants:
- every row of `messages` is in `messages_fts`, or its id lies in a range of
  `fts_pending` (or both: a row of a range may have been indexed early, see below);
- an id of a range that is not in `messages` any more (deleted) is simply skipped;
- nothing is ever inserted into `messages_fts` twice: each insert here checks that the
  rowid is absent (a pending row indexed early, because its body was saved or it was
  copied, or an id reused by SQLite after the newest row was deleted);
- each call runs in the caller's write transaction, so a crash leaves the ranges and the
  index as they were before or after, never a row indexed with its range still claiming
  it unindexed and missing (the only harm of a crash is work to redo).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

# What the FTS row of a message holds (as Store._insert writes it).
_PEOPLE = "from_name || ' ' || from_addr || ' ' || to_addrs || ' ' || cc_addrs"
_INDEX_RANGE = (
    f"INSERT INTO messages_fts(rowid, subject, people, body) SELECT id, subject, {_PEOPLE}, '' "
    "FROM messages m WHERE id BETWEEN ? AND ? "
    "AND NOT EXISTS (SELECT 1 FROM messages_fts WHERE rowid = m.id)"
)
_INDEX_ONE = (
    f"INSERT INTO messages_fts(rowid, subject, people, body) SELECT id, subject, {_PEOPLE}, '' "
    "FROM messages m WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages_fts WHERE rowid = ?)"
)
BATCH = 5000  # rows per transaction of the background indexer
DEFER_FROM = 500  # rows of one insert from which they wait for the indexer


def added(conn: sqlite3.Connection, low: int, high: int) -> None:
    """Rows low..high were just inserted (in the caller's transaction): indexed now when
    they are few, else left waiting for the indexer as one range."""
    if low > high:
        return
    if high - low + 1 < DEFER_FROM:
        conn.execute(_INDEX_RANGE, (low, high))
    else:
        conn.execute("INSERT INTO fts_pending(low, high) VALUES (?, ?)", (low, high))


def pending(conn: sqlite3.Connection) -> bool:
    """Whether some rows still wait for the header index."""
    return conn.execute("SELECT 1 FROM fts_pending LIMIT 1").fetchone() is not None


def index_step(conn: sqlite3.Connection, batch: int = BATCH) -> int:
    """Index up to `batch` ids of the newest pending range (in the caller's write
    transaction); returns how many ids were taken off the ranges (0: nothing pending)."""
    row = conn.execute(
        "SELECT rowid, low, high FROM fts_pending ORDER BY high DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return 0
    key, low, high = row
    start = max(low, high - batch + 1)
    conn.execute(_INDEX_RANGE, (start, high))
    if start > low:
        conn.execute("UPDATE fts_pending SET high = ? WHERE rowid = ?", (start - 1, key))
    else:
        conn.execute("DELETE FROM fts_pending WHERE rowid = ?", (key,))
    return high - start + 1


def ensure(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Index these rows now if they are still pending (before their FTS row is updated
    or copied: an UPDATE of a row not in the index would change nothing)."""
    if not pending(conn):
        return
    ranges = conn.execute("SELECT low, high FROM fts_pending").fetchall()
    wanted = [(i, i) for i in ids if any(low <= i <= high for low, high in ranges)]
    if wanted:
        conn.executemany(_INDEX_ONE, wanted)


def index_all(store, budget: float | None = None, batch: int = BATCH) -> int:
    """Index pending header rows, newest first, `batch` per transaction, until none is
    left or `budget` seconds of this thread's CPU are spent (at least one batch).
    Returns how many ids were taken off the ranges. Safe to stop at any point."""
    spent = time.thread_time()
    done = 0
    while True:
        if not pending(store.conn):  # a read: no write lock taken for nothing
            return done
        with store.transaction() as c:
            step = index_step(c, batch)
        done += step
        if not step or (budget is not None and time.thread_time() - spent >= budget):
            return done
