"""The store's schema, as numbered migrations.

The core schema is versioned with ``PRAGMA user_version``: migration N brings a store
from version N-1 to N, each in one transaction, so a crash leaves the old or the new
version, never half of one. Other modules (POP3, outbox, ...) add their own tables with
`apply_component_migrations(conn, "pop3", [...])`; their versions are kept per component
in the ``component_versions`` table, so they never collide with the core numbering.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Bodies moved per step of migration 9: at most this many bytes (but at least one body)
# and this many rows.
_MOVE_BYTES = 8 << 20
_MOVE_ROWS = 1000


def _bodies_raw_last(conn: sqlite3.Connection) -> None:
    """Migration 9: `bodies.raw` goes last. A row is one record; SQLite keeps a zeroblob()
    virtual (never allocated) only at the record's end, so with fetched_at after raw every
    INSERT of a body held it twice in memory (the bound value, the record: +116 MB for a
    56 MB message). Last, a body is stored as zeroblob(n) and then written through
    incremental blob I/O a chunk at a time (Store.save_body).

    The table is rebuilt a few MB at a time: each step copies the lowest ids' bodies and
    deletes them from the old table, whose freed pages the next step's copy reuses, so
    the file grows by about one step (copied whole and then dropped, it grew by every body:
    a store of 67 MB became 129 MB, half of it free pages kept for good). All steps are in
    the migration's transaction: a crash leaves schema 8 and the old table whole. Run again
    on the new table, it leaves the same result."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bodies_v9 ("
        " message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,"
        " fetched_at REAL NOT NULL,"
        " raw BLOB NOT NULL)"
    )
    while rows := conn.execute(  # (length() of a blob reads no overflow page)
        "SELECT message_id, length(raw) FROM bodies ORDER BY message_id LIMIT ?", (_MOVE_ROWS,)
    ).fetchall():
        last, size = rows[0][0], rows[0][1] or 0
        for message_id, length in rows[1:]:
            size += length or 0
            if size > _MOVE_BYTES:
                break
            last = message_id
        conn.execute(
            "INSERT OR IGNORE INTO bodies_v9(message_id, fetched_at, raw) "
            "SELECT message_id, fetched_at, raw FROM bodies WHERE message_id <= ?",
            (last,),
        )
        conn.execute("DELETE FROM bodies WHERE message_id <= ?", (last,))
    conn.execute("DROP TABLE bodies")
    conn.execute("ALTER TABLE bodies_v9 RENAME TO bodies")


# One migration: a script of statements, or a function run in the migration's transaction.
Migration = str | Callable[[sqlite3.Connection], None]

# Each entry is one migration. Never edit a released entry: append a new one.
MIGRATIONS: list[Migration] = [
    # 1: the first schema
    """
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL DEFAULT '',
        protocol TEXT NOT NULL DEFAULT 'imap',
        capabilities TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        delimiter TEXT,
        role TEXT,                       -- inbox|sent|drafts|trash|junk|archive|all|flagged
        subscribed INTEGER NOT NULL DEFAULT 1,
        selectable INTEGER NOT NULL DEFAULT 1,
        local INTEGER NOT NULL DEFAULT 0, -- 1: no server counterpart (POP3, local folders)
        uidvalidity INTEGER,
        uidnext INTEGER,
        highestmodseq INTEGER,
        server_total INTEGER,
        server_unread INTEGER,
        synced_at REAL,
        UNIQUE (account_id, name)
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,          -- the local id: stable, what the UI keeps
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uid INTEGER,                     -- NULL in local folders
        flags TEXT NOT NULL DEFAULT '',  -- space separated, as the server spells them
        seen INTEGER NOT NULL DEFAULT 0,
        flagged INTEGER NOT NULL DEFAULT 0,
        answered INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0,
        modseq INTEGER,
        internaldate REAL,
        date REAL,                       -- Date: header (UTC seconds), else internaldate
        size INTEGER NOT NULL DEFAULT 0,
        from_name TEXT NOT NULL DEFAULT '',
        from_addr TEXT NOT NULL DEFAULT '',
        to_addrs TEXT NOT NULL DEFAULT '',
        cc_addrs TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL DEFAULT '',
        in_reply_to TEXT NOT NULL DEFAULT '',
        refs TEXT NOT NULL DEFAULT '',
        thread_id TEXT NOT NULL DEFAULT '',
        has_attachments INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX messages_folder_uid ON messages(folder_id, uid);
    CREATE INDEX messages_folder_date ON messages(folder_id, date, id);
    CREATE INDEX messages_folder_state ON messages(folder_id, seen, flagged);
    CREATE INDEX messages_message_id ON messages(message_id);
    CREATE INDEX messages_thread ON messages(thread_id);
    CREATE TABLE bodies (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        raw BLOB NOT NULL,
        fetched_at REAL NOT NULL
    );
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,           -- JSON
        state TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX actions_pending ON actions(account_id, state, id);
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        subject, people, body, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
    END;
    CREATE TABLE component_versions (
        component TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    );
    """,
    # 2: the unified inbox (several folders, newest first) walks one date index
    """
    CREATE INDEX messages_date ON messages(date, id);
    """,
    # 3: a message whose header could not be read in full is kept with a note saying so
    # and its raw header (NULL for every message that was read whole)
    """
    ALTER TABLE messages ADD COLUMN note TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN raw_header BLOB;
    """,
    # 4: a folder whose listed name is not valid modified UTF-7 is named back to the server
    # exactly as listed (tuimail.core.imap.names), in every process, not only the one that
    # listed it
    """
    ALTER TABLE folders ADD COLUMN raw_name INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: the session flag \Recent is not kept (store.flag_columns); a store written before
    # kept it on every message synced from Dovecot, for ever
    r"""
    UPDATE messages SET flags = TRIM(REPLACE(' ' || flags || ' ', ' \Recent ', ' '))
        WHERE ' ' || flags || ' ' LIKE '% \Recent %';
    """,
    # 6: a sync's bulk insert leaves its rows out of the header search index; their ids
    # wait here, as ranges, for tuimail.core.store.header_index (which the app runs after
    # a pass, and a search runs first)
    """
    CREATE TABLE IF NOT EXISTS fts_pending (low INTEGER NOT NULL, high INTEGER NOT NULL);
    """,
    # 7: messages_date (2) was never chosen by the query planner (the unified inbox walks
    # messages_folder_date per folder); it only cost every insert
    """
    DROP INDEX IF EXISTS messages_date;
    """,
    # 8: before 51261cd an empty BODY[] answer (a server failing to send a message its
    # RFC822.SIZE says has bytes) was cached as the message, for good: such a body (no
    # non-blank byte, as imap.sync._sent_empty) is forgotten, so the message is fetched
    # again. Server folders only (a local folder's body is the only copy); a message the
    # server sized 0 keeps its body.
    """
    DELETE FROM bodies
        WHERE length(raw) < 1024
        AND rtrim(CAST(raw AS TEXT), ' ' || char(9, 10, 11, 12, 13)) = ''
        AND message_id IN (
            SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id
            WHERE m.size > 0 AND f.local = 0
        );
    """,
    # 9: `bodies.raw` goes last (_bodies_raw_last).
    _bodies_raw_last,
]

# Indexes only lookups made after a sync need (unread counts and filters, a Message-ID, a
# conversation), as migration 1 made them. A first sync into an empty store drops them and
# builds each once at its end (Store.bulk_first_fill); ensure_indexes puts back any that
# a crash in between left out.
DEFERRABLE_INDEXES = {
    "messages_folder_state": "CREATE INDEX IF NOT EXISTS messages_folder_state "
    "ON messages(folder_id, seen, flagged)",
    "messages_message_id": "CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id)",
    "messages_thread": "CREATE INDEX IF NOT EXISTS messages_thread ON messages(thread_id)",
}


def missing_indexes(conn: sqlite3.Connection) -> list[str]:
    """The DEFERRABLE_INDEXES not in the file."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [name for name in DEFERRABLE_INDEXES if name not in present]


def ensure_indexes(conn: sqlite3.Connection) -> int:
    """Build the DEFERRABLE_INDEXES that are missing (one transaction); how many."""
    if not missing_indexes(conn):  # the usual case: a read, no write lock
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        missing = missing_indexes(conn)
        for name in missing:
            conn.execute(DEFERRABLE_INDEXES[name])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(missing)


@dataclass(eq=False)
class StoreNeedsRoom(Exception):
    """Upgrading the store's schema ran out of disk space and was rolled back (the store
    is as it was, nothing lost); it needs about `needed` bytes free on the file
    system holding `directory` (`free` were free after the rollback)."""

    directory: str
    needed: int
    free: int

    def __str__(self) -> str:
        return f"upgrading the store needs {self.needed} bytes free in {self.directory}"


def _room_needed(conn: sqlite3.Connection) -> int:
    """The disk space migration 9 needs (measured): its transaction's WAL holds every body
    it copies and, where SQLite zeroes freed pages (secure_delete, Debian's default), about
    a step more; the file grows by about a step. A tenth and a MB more for the tables."""
    bodies = conn.execute("SELECT coalesce(sum(length(raw)), 0) FROM bodies").fetchone()[0]
    return int(bodies) + int(bodies) // 10 + 2 * min(int(bodies), _MOVE_BYTES) + (1 << 20)


def _disk_full(exc: BaseException) -> bool:
    """SQLite could not write for want of room (SQLITE_FULL), told by the error's code."""
    return (
        isinstance(exc, sqlite3.Error)
        and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    )


def _database_dir(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return os.path.dirname(row[2]) if row and row[2] else "."


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the core schema up to date; returns the version now in the file.

    The version is read inside the write transaction, so two processes opening a new
    store at once do not both run a migration. A disk too full for an upgrade leaves the
    store as it was and raises StoreNeedsRoom (how much room, where)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"the mail store was written by a newer tuimail (schema {version}); "
                "update tuimail or move the store aside"
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            run_migration(conn, MIGRATIONS[number - 1])
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if _disk_full(exc):
            raise _needs_room(conn) from exc
        raise
    return len(MIGRATIONS)


def _needs_room(conn: sqlite3.Connection) -> StoreNeedsRoom:
    """The StoreNeedsRoom for a rolled-back upgrade: the space it needs, where."""
    directory = _database_dir(conn)
    try:  # the rolled-back WAL holds the space it took until emptied
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass
    try:
        needed = _room_needed(conn)
    except sqlite3.Error:
        needed = 2 * _MOVE_BYTES
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        free = 0
    return StoreNeedsRoom(directory=directory, needed=needed, free=free)


def run_migration(conn: sqlite3.Connection, migration: Migration) -> None:
    """Run one migration's statements (or function) in the caller's transaction."""
    if callable(migration):
        migration(conn)
        return
    for statement in _statements(migration):
        conn.execute(statement)


def apply_component_migrations(
    conn: sqlite3.Connection, component: str, migrations: Sequence[str]
) -> int:
    """Apply a module's own migrations (its tables); each runs once, in order, in one
    transaction with the version bump."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT version FROM component_versions WHERE component = ?", (component,)
        ).fetchone()
        version = row[0] if row else 0
        for number in range(version + 1, len(migrations) + 1):
            for statement in _statements(migrations[number - 1]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO component_versions(component, version) VALUES (?, ?) "
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, number),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations)


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers contain semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
