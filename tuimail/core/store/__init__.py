"""The local mail store: SQLite (WAL) under the XDG data dir. The UI shows only this.

    from tuimail.core.store import Store, UNIFIED_INBOX
    store = Store()                      # $XDG_DATA_HOME/tuimail/store.sqlite3; Store(path)
    store.folders("work")                # [FolderInfo] with .total / .unread, INBOX first
    fid = store.folder_id("work", "INBOX")
    store.count_messages(fid, "unread")  # filter: None|all|unread|read|flagged|unflagged
    store.message_rows(fid, offset=0, limit=100, sort="date")   # [MessageRow], newest first
    store.message_rows(UNIFIED_INBOX, 0, 100)   # every account's inbox (role 'inbox')
    store.message(local_id) / store.body(local_id) -> bytes | None (cached raw message)
    store.search("invoice from:alice", account="work")   # FTS5 over headers + cached bodies
    store.index_headers(budget=0.05)     # headers a sync left out of the index (header_index)

Threads: a `Store` may be shared; each thread gets its own sqlite3 connection. Every write
is one transaction (`with store.transaction():` groups several), so a crash leaves the
file as before or after, never between (WAL, synchronous=NORMAL).

No faster PRAGMAs for a first sync (issue 19, measured): in WAL mode synchronous=NORMAL
already syncs only at checkpoints, never per commit, so synchronous=OFF would save fsync
waits, not CPU, and would let a power cut corrupt the file, taking the flags and the queue
of the user's changes (which no server can give back) with the headers; a bigger page
cache, mmap and a rarer WAL checkpoint changed nothing measurable. What a first sync saves
instead: the header search index is filled after it (`header_index`), and into an empty
store the indexes only later lookups need are built once at its end
(`Store.bulk_first_fill`).

Ids: `MessageRow.id` is the local id, stable across syncs (and across a local move: the
row keeps its id, its UID becomes None until the server did the move). `uid` is the IMAP
UID, None in local folders. `FolderInfo.local` marks folders with no server counterpart
(POP3 mail, local archives): `create_local_folder(account, name, role)` and
`add_local_message(folder_id, raw, flags)`.

Writers (sync, POP3): `account_id`, `upsert_folder`, `set_folder_state`, `reset_folder`,
`add_messages(folder_id, [NewMessage])` (idempotent per UID), `set_flags`, `remove_uids`,
`save_body`, and the queue: `enqueue_action`, `actions(account)`, `finish_action`.
Other modules add their own tables with
`store.apply_component_migrations("pop3", [sql_v1, sql_v2, ...])` (each runs once);
the core schema lives in `schema.py` (PRAGMA user_version).

Counting is what makes folder lists cost something on 100k-message folders: background
code that only needs names and sync state passes `counts=False` to `folders()` /
`folder()` (total and unread are then -1).

Sorts: date (indexed, the default), date_asc, uid, from, subject, size. Dates are UTC
epoch seconds (Date: header; INTERNALDATE without one, or for one over a day later:
tuimail.core.date_notes). Flags are tuples of IMAP flag names.
Header strings are decoded and sanitized before they are stored.
"""

from tuimail.core.store.store import (
    FILTERS,
    UNIFIED_INBOX,
    FolderInfo,
    FolderRef,
    MessageRow,
    NewMessage,
    PendingAction,
    Store,
    default_path,
)

__all__ = [
    "FolderRef",
    "FILTERS",
    "UNIFIED_INBOX",
    "FolderInfo",
    "MessageRow",
    "NewMessage",
    "PendingAction",
    "Store",
    "default_path",
]
