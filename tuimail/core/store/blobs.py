"""Message bodies in and out of the `bodies` table without a second copy in memory.

A plain INSERT of a value holds it twice at once (Python's bound buffer copied by SQLite,
then the record built from it); a SELECT holds it twice the other way. Here a big body is
inserted as ``zeroblob(n)``, which SQLite keeps virtual because `raw` is the record's last
column (schema migration 9), and its bytes are then written through incremental blob I/O
a chunk at a time, in the caller's transaction. Small bodies (most mail) take one plain
INSERT: cheaper than opening a blob handle, and their copies cost nothing.

Invariant: what `read` returns is byte for byte what `write` was given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

CHUNK = 1 << 20  # bytes written or copied per blob call
STREAM_ABOVE = 256 << 10  # bodies larger than this are streamed

Body = bytes | bytearray | memoryview


def write(conn: sqlite3.Connection, message_id: int, raw: Body, fetched_at: float) -> None:
    """Store (or replace) the body of `message_id`; run inside a write transaction."""
    if len(raw) <= STREAM_ABOVE:
        conn.execute(
            "INSERT OR REPLACE INTO bodies(message_id, fetched_at, raw) VALUES (?, ?, ?)",
            (message_id, fetched_at, sqlite3.Binary(raw)),
        )
        return
    write_chunks(conn, message_id, len(raw), _chunks(memoryview(raw)), fetched_at)


def write_chunks(
    conn: sqlite3.Connection,
    message_id: int,
    size: int,
    chunks: Iterable[Body],
    fetched_at: float,
) -> None:
    """Store a body of exactly `size` bytes given as `chunks` (in order); a source that
    gives more or fewer bytes raises ValueError and the caller's transaction must be
    rolled back (nothing half written survives it)."""
    conn.execute(
        "INSERT OR REPLACE INTO bodies(message_id, fetched_at, raw) VALUES (?, ?, zeroblob(?))",
        (message_id, fetched_at, size),
    )
    written = 0
    with conn.blobopen("bodies", "raw", message_id) as blob:
        for chunk in chunks:
            if written + len(chunk) > size:
                raise ValueError(f"body longer than the {size} bytes announced")
            blob.write(chunk)
            written += len(chunk)
    if written != size:
        raise ValueError(f"body of {written} bytes, {size} announced")


def copy(conn: sqlite3.Connection, source_id: int, target_id: int) -> None:
    """Give `target_id` the body of `source_id` (if it has one), a chunk at a time."""
    row = conn.execute(
        "SELECT length(raw), fetched_at FROM bodies WHERE message_id = ?", (source_id,)
    ).fetchone()
    if row is None:
        return
    size, fetched_at = row
    if size <= STREAM_ABOVE:
        conn.execute(
            "INSERT OR REPLACE INTO bodies(message_id, fetched_at, raw) "
            "SELECT ?, fetched_at, raw FROM bodies WHERE message_id = ?",
            (target_id, source_id),
        )
        return
    with conn.blobopen("bodies", "raw", source_id, readonly=True) as blob:
        write_chunks(conn, target_id, size, iter(lambda: blob.read(CHUNK), b""), fetched_at)


def read(conn: sqlite3.Connection, message_id: int) -> bytes | None:
    """The body of `message_id`, or None if it has none. Read through a blob handle: a
    SELECT would have SQLite assemble the whole value in a buffer of its own before
    Python copies it (two copies at once, not one)."""
    try:
        with conn.blobopen("bodies", "raw", message_id, readonly=True) as blob:
            return blob.read()
    except sqlite3.OperationalError:
        pass  # no such row (or not a blob): the query says which
    row = conn.execute("SELECT raw FROM bodies WHERE message_id = ?", (message_id,)).fetchone()
    return bytes(row[0]) if row else None


def _chunks(view: memoryview) -> Iterable[memoryview]:
    for start in range(0, len(view), CHUNK):
        yield view[start : start + CHUNK]
