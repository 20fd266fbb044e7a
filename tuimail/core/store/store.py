"""`Store`: the SQLite mail cache (see the package docstring for the API)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import platformdirs

from tuimail.core.date_notes import FUTURE_SLACK, NOTE_FUTURE_DATE, NOTE_NO_DATE
from tuimail.core.store import blobs, header_index
from tuimail.core.store.headers import DATE_RANGE, HeaderSummary, sane_date, summarize_header
from tuimail.core.store.schema import (
    DEFERRABLE_INDEXES,
    apply_component_migrations,
    ensure_indexes,
    migrate,
)
from tuimail.core.store.search import address_words, body_index, fts_query, has_word

UNIFIED_INBOX = "unified:inbox"
# A downloaded body's parts correct the list's paperclip, guessed from the header (a
# multipart/mixed with no file, a bounce's returned message, a file in multipart/related).
_SET_FILES = "UPDATE messages SET has_attachments = ? WHERE id = ? AND has_attachments != ?"
FolderRef = int | str | Sequence[int]  # a folder id, UNIFIED_INBOX, or several ids
FILTERS = ("all", "unread", "flagged", "read", "unflagged")
_FILTER_SQL = {
    None: "",
    "all": "",
    "unread": " AND m.seen = 0",
    "read": " AND m.seen = 1",
    "flagged": " AND m.flagged = 1",
    "unflagged": " AND m.flagged = 0",
}
_SORTS = {
    "date": "m.date DESC, m.id DESC",
    "date_asc": "m.date ASC, m.id ASC",
    "uid": "m.uid DESC",
    "from": "m.from_name COLLATE NOCASE, m.from_addr, m.date DESC",
    "subject": "m.subject COLLATE NOCASE, m.date DESC",
    "size": "m.size DESC, m.date DESC",
}
_MESSAGE_COLUMNS = (
    "m.id, m.folder_id, f.account_id, a.name, f.name, m.uid, m.flags, m.seen, m.flagged, "
    "m.answered, m.deleted, m.internaldate, m.date, m.size, m.from_name, m.from_addr, "
    "m.to_addrs, m.cc_addrs, m.subject, m.message_id, m.in_reply_to, m.refs, m.thread_id, "
    "m.has_attachments, m.modseq, (SELECT 1 FROM bodies b WHERE b.message_id = m.id), m.note"
)
_MESSAGE_FROM = (
    " FROM messages m JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id"
)


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("tuimail")) / "store.sqlite3"


@dataclass(frozen=True)
class FolderInfo:
    id: int
    account_id: int
    account: str
    name: str
    delimiter: str | None
    role: str | None
    subscribed: bool
    selectable: bool
    local: bool
    uidvalidity: int | None
    uidnext: int | None
    highestmodseq: int | None
    total: int  # messages in the store
    unread: int  # unseen messages in the store

    @property
    def parent(self) -> str | None:
        if self.delimiter and self.delimiter in self.name:
            return self.name.rsplit(self.delimiter, 1)[0]
        return None

    @property
    def leaf(self) -> str:
        return self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name


@dataclass(frozen=True)
class MessageRow:
    id: int  # local id
    folder_id: int
    account_id: int
    account: str
    folder: str
    uid: int | None  # None in local folders and for moves not yet done on the server
    flags: tuple[str, ...]
    seen: bool
    flagged: bool
    answered: bool
    deleted: bool
    internaldate: float | None
    date: float | None
    size: int
    from_name: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    subject: str
    message_id: str
    in_reply_to: str
    references: str
    thread_id: str
    has_attachments: bool
    modseq: int | None
    has_body: bool
    note: str = ""  # why this message's header is partial (shown beside it); "" normally


class NewMessage(NamedTuple):
    """What sync hands the store for one message it has not seen yet (immutable; a
    NamedTuple rather than a frozen dataclass: made once per message of a first sync,
    it costs half as much to build)."""

    uid: int | None
    flags: Sequence[str]
    header: bytes
    size: int = 0
    internaldate: float | None = None
    modseq: int | None = None
    note: str = ""  # why the message is shown as it is (kept with it, as a summary's note)


@dataclass(frozen=True)
class PendingAction:
    id: int
    account_id: int
    kind: str
    payload: dict
    state: str
    error: str | None
    attempts: int
    created_at: float


def _row_to_message(r: tuple) -> MessageRow:
    return MessageRow(
        r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6].split()), bool(r[7]), bool(r[8]),
        bool(r[9]), bool(r[10]), r[11], r[12], r[13], r[14], r[15], r[16], r[17], r[18],
        r[19], r[20], r[21], r[22], bool(r[23]), r[24], bool(r[25]), r[26] or "",
    )  # fmt: skip


def flag_columns(flags: Iterable[str]) -> tuple[str, int, int, int, int]:
    """(flags text, seen, flagged, answered, deleted) of a message's flags."""
    if type(flags) is tuple and len(flags) < 16:
        return _flag_columns(flags)  # a folder has few distinct flag lists
    return _flag_columns_of(flags)


@lru_cache(maxsize=1024)
def _flag_columns(flags: tuple[str, ...]) -> tuple[str, int, int, int, int]:
    return _flag_columns_of(flags)


def _flag_columns_of(flags: Iterable[str]) -> tuple[str, int, int, int, int]:
    # \Recent is a property of one server session (RFC 3501 2.3.2; gone in IMAP4rev2):
    # Dovecot reports it to the first session that sees a message, and no later session
    # ever says it went away, so a stored \Recent would stay for ever.
    flags = sorted({f for f in flags if f.lower() != "\\recent"})
    lower = {f.lower() for f in flags}
    return (
        " ".join(flags),
        int("\\seen" in lower),
        int("\\flagged" in lower),
        int("\\answered" in lower),
        int("\\deleted" in lower),
    )


# What a server reports is bounded before it reaches SQLite (whose INTEGER is 64-bit signed:
# an RFC822.SIZE of 2**63 would make the whole batch insert fail).
MAX_SIZE = 1 << 53
MAX_MODSEQ = (1 << 63) - 1
MAX_RAW_HEADER = 1 << 20  # a partial message keeps at most this much of its raw header
NOTE_SIZE = "impossible-size"  # a note's kind, as store.headers' NOTE_* (worded at the edge)
NOTE_UNREADABLE_ANSWER = "unreadable-answer"  # the server's FETCH answer could not be read
BULK_FIRST_FILL = 5000  # a smaller first sync keeps every index (bulk_first_fill)

# The columns of one INSERT, in the order of _row_values' tuple.
_COLUMNS = (
    "folder_id", "uid", "flags", "seen", "flagged", "answered", "deleted", "modseq",
    "internaldate", "date", "size", "from_name", "from_addr", "to_addrs", "cc_addrs",
    "subject", "message_id", "in_reply_to", "refs", "thread_id", "has_attachments", "note",
    "raw_header",
)  # fmt: skip
_INSERT = f"INSERT INTO messages({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_DATE_AT, _SIZE_AT = _COLUMNS.index("date"), _COLUMNS.index("size")


def _modseq(value: object) -> int | None:
    return value if isinstance(value, int) and 0 < value <= MAX_MODSEQ else None


def _row_values(folder_id: int, msg: NewMessage, s: HeaderSummary, flags: tuple) -> tuple:
    """One INSERT's values, every number within what SQLite holds and every date sane.
    A message with a partial summary (or an impossible size) keeps a note and its raw
    header (up to MAX_RAW_HEADER bytes)."""
    uid, _flags, header, size, internaldate, modseq, note = msg
    note = note or s.note
    if type(size) is not int:
        size = size if isinstance(size, int) else 0
    if not 0 <= size <= MAX_SIZE:
        size = min(max(size, 0), MAX_SIZE)
        note = note or NOTE_SIZE
    if modseq is not None and not (type(modseq) is int and 0 < modseq <= MAX_MODSEQ):
        modseq = _modseq(modseq)
    if type(internaldate) is not float or not 0.0 <= internaldate < DATE_RANGE[1]:
        internaldate = sane_date(internaldate)  # (a float in range is what it returns)
    date = s.date
    if date is None:
        date, note = internaldate, note or NOTE_NO_DATE
    elif internaldate is not None and date > internaldate + FUTURE_SLACK:
        date, note = internaldate, note or NOTE_FUTURE_DATE
    raw_header = bytes(header[:MAX_RAW_HEADER]) if note else None
    return (
        folder_id, uid, *flags, modseq, internaldate, date, size, s.from_name,
        s.from_addr, s.to_addrs, s.cc_addrs, s.subject, s.message_id, s.in_reply_to,
        s.references, s.thread_key, int(s.has_attachments), note, raw_header,
    )  # fmt: skip


def _private_files(path: Path) -> None:
    """The store is created 0600 before SQLite opens it (its -wal and -shm files take the
    database's mode); an existing store, its -wal/-shm and directory looser than that are
    tightened."""
    from tuimail.core.private import tighten

    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
    except OSError:
        pass  # SQLite reports the real problem when it opens the file
    tighten(path.parent)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        tighten(name)


# Bodies saved by a sync wait here for the search indexer (Store.index_pending).
_BODY_INDEX_MIGRATIONS = [
    """
    CREATE TABLE body_index_pending (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE
    );
    """
]


class Store:
    """The mail cache. Safe to share between threads: each thread gets its own connection."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _private_files(self.path)
        self._local = threading.local()
        # Every connection with the thread it belongs to: one of a thread that ended is
        # closed when the next is opened (the app reads in short-lived worker threads;
        # kept open, each held its files until the store closed).
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        migrate(self.conn)
        apply_component_migrations(self.conn, "body_index", _BODY_INDEX_MIGRATIONS)
        ensure_indexes(self.conn)  # a first fill that never finished (bulk_first_fill)

    # -- connections -----------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread off only so that a finished thread's connection can be
            # closed from another; each connection is used by its own thread alone.
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.create_function("tuimail_has_word", 2, has_word, deterministic=True)
            self._local.conn = conn
            with self._lock:
                alive = []
                for owner, other in self._all:
                    if owner.is_alive():
                        alive.append((owner, other))
                    else:
                        other.close()
                alive.append((threading.current_thread(), conn))
                self._all = alive
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error)."""
        conn = self.conn
        if conn.in_transaction:  # nested: join the outer one
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection and those of threads that ended. A connection
        whose thread is still running (a sync pass left behind by Ctrl-C, a daemon thread)
        is never closed under it: closing a connection another thread is stepping through
        crashed the process (SIGSEGV in `tuimail sync` interrupted mid-pass); it ends with
        its thread or the process, and its open transaction is rolled back by SQLite."""
        me = threading.current_thread()
        with self._lock:
            for owner, conn in self._all:
                if owner is not me and owner.is_alive():
                    continue
                try:
                    conn.close()
                except sqlite3.ProgrammingError:
                    pass  # made in another thread that is gone
            self._all.clear()
        self._local = threading.local()

    def apply_component_migrations(self, component: str, migrations: Sequence[str]) -> int:
        return apply_component_migrations(self.conn, component, migrations)

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # -- accounts --------------------------------------------------------------------

    def account_id(self, name: str, email: str = "", protocol: str = "imap") -> int:
        """The id of an account, created on first use."""
        row = self.conn.execute("SELECT id FROM accounts WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO accounts(name, email, protocol) VALUES (?, ?, ?)",
                (name, email, protocol),
            )
            return c.execute("SELECT id FROM accounts WHERE name = ?", (name,)).fetchone()[0]

    def accounts(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM accounts ORDER BY id")]

    def delete_account(self, name: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM accounts WHERE name = ?", (name,))

    # -- folders ---------------------------------------------------------------------

    _FOLDER_SELECT = (
        "SELECT f.id, f.account_id, a.name, f.name, f.delimiter, f.role, f.subscribed, "
        "f.selectable, f.local, f.uidvalidity, f.uidnext, f.highestmodseq, "
        "(SELECT count(*) FROM messages m WHERE m.folder_id = f.id), "
        "(SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.seen = 0) "
        "FROM folders f JOIN accounts a ON a.id = f.account_id"
    )
    # Without the counts (-1): what sync needs, cheap on 100k-message folders.
    _FOLDER_SELECT_BARE = _FOLDER_SELECT.replace(
        "(SELECT count(*) FROM messages m WHERE m.folder_id = f.id), "
        "(SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.seen = 0) ",
        "-1, -1 ",
    )

    def folders(self, account: str | None = None, *, counts: bool = True) -> list[FolderInfo]:
        """Folders (of one account or all) with counts; INBOX first, then by name.
        counts=False skips counting (total and unread are -1)."""
        sql = self._FOLDER_SELECT if counts else self._FOLDER_SELECT_BARE
        args: tuple = ()
        if account is not None:
            sql += " WHERE a.name = ?"
            args = (account,)
        sql += " ORDER BY a.id, f.role IS NOT 'inbox', f.name COLLATE NOCASE"
        return [
            FolderInfo(*r[:6], *map(bool, r[6:9]), *r[9:]) for r in self.conn.execute(sql, args)
        ]

    def folder(self, folder: int | tuple[str, str], *, counts: bool = True) -> FolderInfo | None:
        """A folder by id or by (account, name)."""
        select = self._FOLDER_SELECT if counts else self._FOLDER_SELECT_BARE
        if isinstance(folder, int):
            rows = self.conn.execute(select + " WHERE f.id = ?", (folder,))
        else:
            rows = self.conn.execute(select + " WHERE a.name = ? AND f.name = ?", tuple(folder))
        r = rows.fetchone()
        return FolderInfo(*r[:6], *map(bool, r[6:9]), *r[9:]) if r else None

    def folder_id(self, account: str, name: str) -> int | None:
        row = self.conn.execute(
            "SELECT f.id FROM folders f JOIN accounts a ON a.id = f.account_id "
            "WHERE a.name = ? AND f.name = ?",
            (account, name),
        ).fetchone()
        return row[0] if row else None

    def folder_by_role(self, account: str, role: str) -> FolderInfo | None:
        """The account's folder with `role` (drafts, trash...), without its counts (total
        and unread are -1: counting a folder of 100,000 took milliseconds per call)."""
        for folder in self.folders(account, counts=False):
            if folder.role == role:
                return folder
        return None

    def upsert_folder(
        self,
        account: str,
        name: str,
        *,
        delimiter: str | None = None,
        role: str | None = None,
        subscribed: bool = True,
        selectable: bool = True,
        local: bool = False,
        raw_name: bool = False,
    ) -> int:
        """Add or update a folder; `raw_name`: its name is sent to the server exactly as
        written (it was listed in malformed modified UTF-7)."""
        account_id = self.account_id(account)
        with self.transaction() as c:
            c.execute(
                "INSERT INTO folders(account_id, name, delimiter, role, subscribed, selectable, "
                "local, raw_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(account_id, name) DO UPDATE SET "
                "delimiter = excluded.delimiter, role = excluded.role, "
                "subscribed = excluded.subscribed, selectable = excluded.selectable, "
                "raw_name = excluded.raw_name",
                (
                    account_id, name, delimiter, role, int(subscribed), int(selectable),
                    int(local), int(raw_name),
                ),
            )  # fmt: skip
            return c.execute(
                "SELECT id FROM folders WHERE account_id = ? AND name = ?", (account_id, name)
            ).fetchone()[0]

    def raw_folder_names(self, account: str) -> list[str]:
        """The account's folders whose names are sent to the server as written."""
        rows = self.conn.execute(
            "SELECT f.name FROM folders f JOIN accounts a ON a.id = f.account_id "
            "WHERE a.name = ? AND f.raw_name = 1",
            (account,),
        )
        return [r[0] for r in rows]

    def create_local_folder(self, account: str, name: str, role: str | None = None) -> int:
        """A folder with no server counterpart (POP3 mail, local archives)."""
        return self.upsert_folder(account, name, delimiter="/", role=role, local=True)

    def rename_folder(self, folder_id: int, new_name: str) -> None:
        with self.transaction() as c:
            c.execute("UPDATE folders SET name = ? WHERE id = ?", (new_name, folder_id))

    def delete_folder(self, folder_id: int) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM messages WHERE folder_id = ?", (folder_id,))
            c.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    def set_folder_state(self, folder_id: int, **state: int | float | None) -> None:
        """Update uidvalidity, uidnext, highestmodseq, server_total, server_unread, synced_at."""
        allowed = {
            "uidvalidity",
            "uidnext",
            "highestmodseq",
            "server_total",
            "server_unread",
            "synced_at",
        }
        if not state:
            return
        bad = set(state) - allowed
        if bad:
            raise ValueError(f"unknown folder state {sorted(bad)}")
        # A server's number SQLite cannot hold (64-bit) is not a state: stored as unknown.
        state = {
            k: None if isinstance(v, int) and not -MAX_MODSEQ <= v <= MAX_MODSEQ else v
            for k, v in state.items()
        }
        assignments = ", ".join(f"{k} = ?" for k in state)
        with self.transaction() as c:
            c.execute(
                f"UPDATE folders SET {assignments} WHERE id = ?", (*state.values(), folder_id)
            )

    def reset_folder(self, folder_id: int, uidvalidity: int | None) -> int:
        """Drop a folder's cached messages (UIDVALIDITY changed); returns how many. The
        rows of local moves still waiting for their UID stay (local state: the sync
        matches or removes them once their actions are done)."""
        with self.transaction() as c:
            count = c.execute(
                "DELETE FROM messages WHERE folder_id = ? AND uid IS NOT NULL", (folder_id,)
            ).rowcount
            c.execute(
                "UPDATE folders SET uidvalidity = ?, uidnext = NULL, highestmodseq = NULL "
                "WHERE id = ?",
                (uidvalidity, folder_id),
            )
            return count

    # -- messages: reading ------------------------------------------------------------

    def _where(self, folder: FolderRef, filter: str | None) -> tuple[str, tuple]:
        if filter not in _FILTER_SQL:
            raise ValueError(f"unknown filter {filter!r}; one of {FILTERS}")
        if folder == UNIFIED_INBOX:
            where = " WHERE m.folder_id IN (SELECT id FROM folders WHERE role = 'inbox')"
            args: tuple = ()
        elif isinstance(folder, int):
            where, args = " WHERE m.folder_id = ?", (folder,)
        else:
            ids = [int(i) for i in folder]  # type: ignore[union-attr]
            where = f" WHERE m.folder_id IN ({','.join('?' * len(ids)) or 'NULL'})"
            args = tuple(ids)
        return where + _FILTER_SQL[filter], args

    def count_messages(self, folder: FolderRef, filter: str | None = None) -> int:
        where, args = self._where(folder, filter)
        return self.conn.execute("SELECT count(*) FROM messages m" + where, args).fetchone()[0]

    def message_rows(
        self,
        folder: FolderRef,
        offset: int = 0,
        limit: int = 100,
        sort: str = "date",
        filter: str | None = None,
    ) -> list[MessageRow]:
        """One page of a folder's list; sort is one of date (newest first), date_asc,
        uid, from, subject, size. Only `date` is served by an index."""
        if sort not in _SORTS:
            raise ValueError(f"unknown sort {sort!r}; one of {sorted(_SORTS)}")
        where, args = self._where(folder, filter)
        sql = (
            f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM}{where} ORDER BY {_SORTS[sort]} "
            "LIMIT ? OFFSET ?"
        )
        return [_row_to_message(r) for r in self.conn.execute(sql, (*args, limit, offset))]

    def date_row(self, folder: FolderRef, message_id: int) -> int | None:
        """The row of `message_id` in the folder by date, newest first (message_rows'
        `date` order: date, then id, descending; no date last), None if it is not there.
        A count over the folder's (date, id) index: at 100,000 messages a few ms at most,
        where reading the whole order took 26 ms (what the list did on the UI thread
        when its cursor's message moved far)."""
        where, args = self._where(folder, None)
        found = self.conn.execute(
            f"SELECT m.date FROM messages m{where} AND m.id = ?", (*args, message_id)
        ).fetchone()
        if found is None:
            return None
        (date,) = found
        if date is None:  # after every dated message and the undated ones of higher ids
            before, more = "(m.date IS NOT NULL OR m.id > ?)", (message_id,)
        else:
            before, more = "(m.date, m.id) > (?, ?)", (date, message_id)
        sql = f"SELECT count(*) FROM messages m{where} AND {before}"
        return self.conn.execute(sql, (*args, *more)).fetchone()[0]

    def message_ids(self, folder: FolderRef, sort: str = "date") -> array:
        """The ids of a folder's messages in `sort` order (as message_rows): one sort of
        the folder, after which every page is a read by ids (`messages_by_ids`) instead of
        a sort of the whole folder per page (sorts other than date have no index)."""
        if sort not in _SORTS:
            raise ValueError(f"unknown sort {sort!r}; one of {sorted(_SORTS)}")
        where, args = self._where(folder, None)
        sql = f"SELECT m.id FROM messages m{where} ORDER BY {_SORTS[sort]}"
        return array("q", map(itemgetter(0), self.conn.execute(sql, args)))

    def thread_inputs(
        self, folder: FolderRef, after: int = 0, ids: Sequence[int] | None = None
    ) -> list[tuple]:
        """(id, message_id, in_reply_to, refs, subject, date, seen) of every message of
        `folder` (with an id above `after`; only those of `ids` if given): what threading
        needs, in one light query, in id order (threading is the same from the same mail
        only in a fixed order; the order of an index would follow the flags)."""
        where, args = self._where(folder, None)
        # A few by id (new mail, a thread): by the primary key, not the folder's index.
        few = " NOT INDEXED" if after or ids is not None else ""
        sql = (
            "SELECT m.id, m.message_id, m.in_reply_to, m.refs, m.subject, m.date, m.seen"
            f" FROM messages m{few}" + where
        )
        if after:
            sql, args = sql + " AND m.id > ?", (*args, after)
        if ids is None:
            return self.conn.execute(sql + " ORDER BY m.id", args).fetchall()
        out: list[tuple] = []
        for start in range(0, len(ids), 900):  # SQLite's limit on variables: in chunks
            chunk = tuple(ids[start : start + 900])
            chunked = f"{sql} AND m.id IN ({','.join('?' * len(chunk))}) ORDER BY m.id"
            out.extend(self.conn.execute(chunked, (*args, *chunk)))
        out.sort(key=itemgetter(0))
        return out

    def thread_links_to(self, folder: FolderRef, message_id: str) -> int:
        """How many messages of `folder` have `message_id` in their Message-ID,
        References or In-Reply-To (as a substring: never fewer than really do)."""
        where, args = self._where(folder, None)
        sql = (
            "SELECT count(*) FROM messages m" + where + " AND (instr(m.message_id, ?) > 0"
            " OR instr(coalesce(m.refs, ''), ?) > 0 OR instr(coalesce(m.in_reply_to, ''), ?) > 0)"
        )
        return self.conn.execute(sql, (*args, message_id, message_id, message_id)).fetchone()[0]

    def folder_signature(self, folder: FolderRef) -> tuple[int, int, int]:
        """(count, sum of ids, sum of their squares): changes when a message comes or goes
        (cheap to compare; a swap of ids that keeps count and sum still shows)."""
        where, args = self._where(folder, None)
        sql = (
            "SELECT count(*), coalesce(sum(m.id), 0), coalesce(sum(m.id * m.id), 0)"
            " FROM messages m" + where
        )
        count, total, squares = self.conn.execute(sql, args).fetchone()
        return int(count), int(total), int(squares)

    def unread_among(self, ids: Iterable[int]) -> set[int]:
        """The ids among `ids` of messages not read yet."""
        ids = list(ids)
        out: set[int] = set()
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            sql = f"SELECT id FROM messages WHERE seen = 0 AND id IN ({','.join('?' * len(chunk))})"
            out.update(r[0] for r in self.conn.execute(sql, chunk))
        return out

    def message(self, message_id: int) -> MessageRow | None:
        r = self.conn.execute(
            f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM} WHERE m.id = ?", (message_id,)
        ).fetchone()
        return _row_to_message(r) if r else None

    def message_by_uid(self, folder_id: int, uid: int) -> MessageRow | None:
        r = self.conn.execute(
            f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM} WHERE m.folder_id = ? AND m.uid = ?",
            (folder_id, uid),
        ).fetchone()
        return _row_to_message(r) if r else None

    def messages_by_ids(self, ids: Iterable[int]) -> list[MessageRow]:
        ids = list(ids)
        if not ids:
            return []
        by_id: dict[int, MessageRow] = {}
        for start in range(0, len(ids), 900):  # SQLite's limit on variables: in chunks
            chunk = ids[start : start + 900]
            sql = (
                f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM} "
                f"WHERE m.id IN ({','.join('?' * len(chunk))})"
            )
            by_id.update((r[0], _row_to_message(r)) for r in self.conn.execute(sql, chunk))
        return [by_id[i] for i in ids if i in by_id]

    def thread(self, message_id: int) -> list[MessageRow]:
        """The messages of the same conversation in the same account, oldest first."""
        row = self.message(message_id)
        if row is None or not row.thread_id:
            return [row] if row else []
        sql = (
            f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM} WHERE m.thread_id = ? AND f.account_id = ?"
            " ORDER BY m.date"
        )
        return [_row_to_message(r) for r in self.conn.execute(sql, (row.thread_id, row.account_id))]

    def body(self, message_id: int) -> bytes | None:
        """The cached raw message, or None if it was never fetched (one copy in memory:
        tuimail.core.store.blobs)."""
        return blobs.read(self.conn, message_id)

    def uid_flags(self, folder_id: int, uids: Iterable[int] | None = None) -> dict[int, str]:
        """uid -> flags string, for every message of the folder with a UID (or only for
        those of `uids` the folder has: what a CONDSTORE answer about a few needs)."""
        if uids is None:
            return dict(
                self.conn.execute(
                    "SELECT uid, flags FROM messages WHERE folder_id = ? AND uid IS NOT NULL",
                    (folder_id,),
                )
            )
        wanted = sorted(set(uids))
        found: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.conn.execute(
                    f"SELECT uid, flags FROM messages WHERE folder_id = ? AND uid IN ({marks})",
                    (folder_id, *chunk),
                )
            )
        return found

    def uids(self, folder_id: int) -> list[int]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT uid FROM messages WHERE folder_id = ? AND uid IS NOT NULL ORDER BY uid",
                (folder_id,),
            )
        ]

    def max_uid(self, folder_id: int) -> int:
        row = self.conn.execute(
            "SELECT max(uid) FROM messages WHERE folder_id = ?", (folder_id,)
        ).fetchone()
        return row[0] or 0

    def min_uid(self, folder_id: int) -> int:
        row = self.conn.execute(
            "SELECT min(uid) FROM messages WHERE folder_id = ?", (folder_id,)
        ).fetchone()
        return row[0] or 0

    def search(
        self,
        query: str,
        *,
        account: str | None = None,
        folder: FolderRef | None = None,
        limit: int = 200,
    ) -> list[MessageRow]:
        """Local full-text search over headers and cached bodies, newest first."""
        match = fts_query(query)
        if not match:
            return []
        if header_index.pending(self.conn):
            self.index_headers()  # what the background indexer has not done yet
        sql = (
            f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM} WHERE m.id IN "
            "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
        )
        args: list = [match]
        for field, word in address_words(query):  # from: the sender only; to: recipients
            a, b = (
                ("m.from_name", "m.from_addr") if field == "from" else ("m.to_addrs", "m.cc_addrs")
            )
            sql += f" AND tuimail_has_word(coalesce({a}, '') || ' ' || coalesce({b}, ''), ?)"
            args.append(word)
        if account is not None:
            sql += " AND a.name = ?"
            args.append(account)
        if folder is not None:
            where, fargs = self._where(folder, None)
            sql += " AND " + where.removeprefix(" WHERE ")
            args.extend(fargs)
        sql += " ORDER BY m.date DESC LIMIT ?"
        args.append(limit)
        return [_row_to_message(r) for r in self.conn.execute(sql, args)]

    # -- messages: writing -------------------------------------------------------------

    @contextmanager
    def bulk_first_fill(self, expected: int) -> Iterator[bool]:
        """Around a first sync of at least BULK_FIRST_FILL messages into a store with no
        message at all (a new store or a new account's first pass): the indexes only
        later lookups need (schema.DEFERRABLE_INDEXES) are dropped, and built once when
        the block ends, however it ends (one sort each instead of an insert per message
        into each: ~1.3 us a message less). The list's index (folder, date) and the
        sync's (folder, UID) stay, so the list and the sync's own lookups stay fast.
        Yields whether it did so. Every query is as correct without those indexes (only
        slower, for another reader during that first fill); a store opened after a crash
        in between builds them (Store.__init__)."""
        if expected < BULK_FIRST_FILL:
            yield False
            return
        with self.transaction() as c:
            empty = c.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is None
            if empty:
                for name in DEFERRABLE_INDEXES:
                    c.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            yield empty
        finally:
            if empty:
                ensure_indexes(self.conn)

    def add_messages(
        self,
        folder_id: int,
        messages: Iterable[NewMessage],
        summaries: Sequence[HeaderSummary] | None = None,
    ) -> list[int]:
        """Insert messages (one transaction); returns their local ids. `summaries`, when
        given, are summarize_header of each message's header (made elsewhere, e.g. in a
        worker process); else they are made here.

        A UID already in the folder is updated instead (flags), so replaying a batch after
        a dropped connection never duplicates. A placeholder left by a local move (no UID,
        same Message-ID) is adopted, so the UI keeps the same local id.
        """
        messages = list(messages)
        ids: list[int] = []
        # Summarised before the write transaction: the store's write lock is held for the
        # inserts only, not for parsing a batch of headers (other writers, such as a
        # user's action, wait that much less).
        if summaries is None or len(summaries) != len(messages):
            summaries = [summarize_header(msg.header) for msg in messages]
        with self.transaction() as c:
            if self._all_new(c, folder_id, messages):
                return self._insert_many(c, folder_id, messages, summaries)
            has_placeholders = c.execute(
                "SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id "
                "WHERE m.folder_id = ? AND m.uid IS NULL AND f.local = 0 LIMIT 1",
                (folder_id,),
            ).fetchone()
            for msg, summary in zip(messages, summaries, strict=True):
                flags = flag_columns(msg.flags)
                if msg.uid is not None:
                    existing = c.execute(
                        "SELECT id FROM messages WHERE folder_id = ? AND uid = ?",
                        (folder_id, msg.uid),
                    ).fetchone()
                    if existing:
                        c.execute(
                            "UPDATE messages SET flags = ?, seen = ?, flagged = ?, answered = ?,"
                            " deleted = ?, modseq = ? WHERE id = ?",
                            (*flags, _modseq(msg.modseq), existing[0]),
                        )
                        ids.append(existing[0])
                        continue
                values = _row_values(folder_id, msg, summary, flags)
                if has_placeholders:
                    adopted = self._placeholder_for(c, folder_id, values, summary)
                    if adopted:
                        c.execute(
                            "UPDATE messages SET uid = ?, flags = ?, seen = ?, flagged = ?, "
                            "answered = ?, deleted = ?, modseq = ? WHERE id = ?",
                            (msg.uid, *flags, _modseq(msg.modseq), adopted[0]),
                        )
                        ids.append(adopted[0])
                        continue
                ids.append(self._insert(c, values, summary))
        return ids

    @staticmethod
    def _placeholder_for(
        c: sqlite3.Connection, folder_id: int, values: tuple, s: HeaderSummary
    ) -> tuple | None:
        """The row a local move put in this folder (waiting for its UID) that the server's
        copy (its row `values`, summary `s`) is: by Message-ID; without one, by what a move
        keeps (size and date as stored, sender, subject), so the row keeps its id and an
        undo still finds it."""
        if s.message_id:
            return c.execute(
                "SELECT id FROM messages WHERE folder_id = ? AND uid IS NULL "
                "AND message_id = ? LIMIT 1",
                (folder_id, s.message_id),
            ).fetchone()
        date, size = values[_DATE_AT], values[_SIZE_AT]
        return c.execute(
            "SELECT id FROM messages WHERE folder_id = ? AND uid IS NULL "
            "AND COALESCE(message_id, '') = '' AND size = ? AND date = ? AND from_addr = ? AND subject = ? "
            "LIMIT 1",
            (folder_id, size, date, s.from_addr, s.subject),
        ).fetchone()

    @staticmethod
    def _all_new(c: sqlite3.Connection, folder_id: int, messages: list[NewMessage]) -> bool:
        """True when no UID of the batch is in the folder yet and no local move waits for
        its UID here: then a bulk insert is safe."""
        if not messages or any(m.uid is None for m in messages):
            return False
        if c.execute(
            "SELECT 1 FROM messages WHERE folder_id = ? AND uid IS NULL LIMIT 1", (folder_id,)
        ).fetchone():
            return False
        uids = [m.uid for m in messages]
        if len(set(uids)) != len(uids):
            return False
        return not c.execute(
            "SELECT 1 FROM messages WHERE folder_id = ? AND uid BETWEEN ? AND ? LIMIT 1",
            (folder_id, min(uids), max(uids)),
        ).fetchone()

    @staticmethod
    def _insert_many(
        c: sqlite3.Connection,
        folder_id: int,
        messages: list[NewMessage],
        summaries: list[HeaderSummary],
    ) -> list[int]:
        before = c.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
        rows = [
            _row_values(folder_id, msg, summary, flag_columns(msg.flags))
            for msg, summary in zip(messages, summaries, strict=True)
        ]
        c.executemany(_INSERT, rows)
        ids = [
            r[0] for r in c.execute("SELECT id FROM messages WHERE id > ? ORDER BY id", (before,))
        ]
        # A big batch is searchable a little later (header_index: after the pass, or at
        # the next search): the sync's own work is only the rows.
        if ids:
            header_index.added(c, ids[0], ids[-1])
        return ids

    @staticmethod
    def _insert(c: sqlite3.Connection, values: tuple, s: HeaderSummary) -> int:
        """Insert one row (`values`: _row_values) and its search entry; returns its id."""
        cur = c.execute(_INSERT, values)
        rowid = cur.lastrowid
        c.execute(
            "INSERT INTO messages_fts(rowid, subject, people, body) VALUES (?, ?, ?, '')",
            (rowid, s.subject, f"{s.from_name} {s.from_addr} {s.to_addrs} {s.cc_addrs}"),
        )
        return rowid

    def add_local_message(
        self,
        folder_id: int,
        raw: bytes,
        flags: Sequence[str] = (),
        internaldate: float | None = None,
    ) -> int:
        """Store a whole message in a (local) folder, body included; returns its id."""
        end = raw.find(b"\r\n\r\n")
        if end == -1:
            end = raw.find(b"\n\n")
        header = raw if end == -1 else raw[:end]  # (a split copied the whole body)
        msg = NewMessage(None, flags, header, len(raw), internaldate or time.time())
        with self.transaction() as c:
            summary = summarize_header(header)
            values = _row_values(folder_id, msg, summary, flag_columns(flags))
            rowid = self._insert(c, values, summary)
            self.save_body(rowid, raw)
        return rowid

    def raw_header(self, message_id: int) -> bytes | None:
        """The header as received, kept only for a message whose summary is partial."""
        row = self.conn.execute(
            "SELECT raw_header FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def save_body(self, message_id: int, raw: bytes) -> None:
        """Cache a fetched message and index its text for search (one message, as when
        the user opens it: indexed at once)."""
        text, files = body_index(raw)
        with self.transaction() as c:
            blobs.write(c, message_id, raw, time.time())
            header_index.ensure(c, [message_id])
            c.execute("UPDATE messages_fts SET body = ? WHERE rowid = ?", (text, message_id))
            if files is not None:  # the parts read: the header's guess corrected
                c.execute(_SET_FILES, (int(files), message_id, int(files)))
            c.execute("DELETE FROM body_index_pending WHERE message_id = ?", (message_id,))

    def save_bodies(self, items: Iterable[tuple[int, bytes]]) -> int:
        """Cache many fetched messages in one transaction (a sync's download); their text
        is indexed later by `index_pending` (the slow part: a full parse and render).
        Returns how many were saved. Until indexed, search finds them by their headers."""
        now = time.time()
        rows = list(items)
        if not rows:
            return 0
        with self.transaction() as c:
            for mid, raw in rows:
                blobs.write(c, mid, raw, now)
            c.executemany(
                "INSERT OR IGNORE INTO body_index_pending(message_id) VALUES (?)",
                [(mid,) for mid, _raw in rows],
            )
        return len(rows)

    def pending_index(self) -> int:
        """How many saved bodies are not in the search index yet."""
        return self.conn.execute("SELECT count(*) FROM body_index_pending").fetchone()[0]

    def index_pending(self, budget: float | None = None, batch: int = 50) -> int:
        """Put the text of saved, not yet indexed bodies into the search index, newest
        first, `batch` per transaction, until none is left or `budget` seconds (of this
        thread's CPU time, so a busy machine does not shorten it) are spent; at least one
        batch is done. Returns how many were indexed. Safe to stop at any point: what is
        not indexed stays pending."""
        spent = time.thread_time()
        done = 0
        while True:
            rows = self.conn.execute(
                "SELECT message_id FROM body_index_pending ORDER BY message_id DESC LIMIT ?",
                (batch,),
            ).fetchall()
            if not rows:
                return done
            texts, files = [], []  # one body in memory at a time, read once (blobs.read)
            for (mid,) in rows:
                raw = blobs.read(self.conn, mid)
                if raw is not None:
                    text, has = body_index(raw)
                    texts.append((text, mid))
                    if has is not None:
                        files.append((int(has), mid, int(has)))
                del raw
            with self.transaction() as c:
                header_index.ensure(c, [mid for _text, mid in texts])
                c.executemany("UPDATE messages_fts SET body = ? WHERE rowid = ?", texts)
                c.executemany(_SET_FILES, files)
                c.executemany("DELETE FROM body_index_pending WHERE message_id = ?", rows)
            done += len(texts)
            if budget is not None and time.thread_time() - spent >= budget:
                return done

    def index_headers(self, budget: float | None = None, batch: int = header_index.BATCH) -> int:
        """Put the headers of rows a sync left out of the search index into it, newest
        first, `batch` rows per transaction, until none is left or `budget` seconds of
        this thread's CPU are spent; returns how many were done (see header_index)."""
        return header_index.index_all(self, budget, batch)

    def headers_pending(self) -> bool:
        """Whether some rows still wait for the header search index."""
        return header_index.pending(self.conn)

    def set_flags(
        self,
        folder_id: int,
        changes: dict[int, Sequence[str]],
        modseqs: dict[int, int] | None = None,
    ) -> int:
        """Set the flags of messages by UID (server state); returns how many changed."""
        modseqs = modseqs or {}
        count = 0
        with self.transaction() as c:
            for uid, flags in changes.items():
                count += c.execute(
                    "UPDATE messages SET flags = ?, seen = ?, flagged = ?, answered = ?, "
                    "deleted = ?, modseq = coalesce(?, modseq) WHERE folder_id = ? AND uid = ?",
                    (*flag_columns(flags), _modseq(modseqs.get(uid)), folder_id, uid),
                ).rowcount
        return count

    def set_message_flags(
        self, message_ids: Iterable[int], add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Change flags of messages by local id (what a user action does at once)."""
        with self.transaction() as c:
            for mid in message_ids:
                row = c.execute("SELECT flags FROM messages WHERE id = ?", (mid,)).fetchone()
                if row is None:
                    continue
                flags = (set(row[0].split()) | set(add)) - set(remove)
                c.execute(
                    "UPDATE messages SET flags = ?, seen = ?, flagged = ?, answered = ?, "
                    "deleted = ? WHERE id = ?",
                    (*flag_columns(flags), mid),
                )

    def remove_uids(self, folder_id: int, uids: Iterable[int]) -> int:
        """Forget messages the server expunged; returns how many were in the store."""
        count = 0
        with self.transaction() as c:
            for uid in uids:
                count += c.execute(
                    "DELETE FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, uid)
                ).rowcount
        return count

    def remove_messages(self, message_ids: Iterable[int]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in message_ids])

    def move_messages(self, message_ids: Iterable[int], target_folder_id: int) -> None:
        """Move rows to another folder at once; they wait there without a UID until the
        server has done the move (then sync or COPYUID gives them their new UID)."""
        with self.transaction() as c:
            c.executemany(
                "UPDATE messages SET folder_id = ?, uid = NULL, modseq = NULL WHERE id = ?",
                [(target_folder_id, i) for i in message_ids],
            )

    def copy_messages(self, message_ids: Iterable[int], target_folder_id: int) -> list[int]:
        new_ids = []
        with self.transaction() as c:
            for mid in message_ids:
                cur = c.execute(
                    "INSERT INTO messages(folder_id, uid, flags, seen, flagged, answered, deleted,"
                    " internaldate, date, size, from_name, from_addr, to_addrs, cc_addrs, subject,"
                    " message_id, in_reply_to, refs, thread_id, has_attachments) SELECT ?, NULL,"
                    " flags, seen, flagged, answered, deleted, internaldate, date, size, from_name,"
                    " from_addr, to_addrs, cc_addrs, subject, message_id, in_reply_to, refs,"
                    " thread_id, has_attachments FROM messages WHERE id = ?",
                    (target_folder_id, mid),
                )
                if not cur.rowcount:
                    continue
                new = cur.lastrowid
                header_index.ensure(c, [mid])
                c.execute(
                    "INSERT INTO messages_fts(rowid, subject, people, body) SELECT ?, subject, "
                    "people, body FROM messages_fts WHERE rowid = ?",
                    (new, mid),
                )
                blobs.copy(c, mid, new)
                new_ids.append(new)
        return new_ids

    def set_uids(self, folder_id: int, uids: Mapping[int, int]) -> list[int]:
        """Give rows a local move or copy put in `folder_id` (local id -> UID: what the
        server's COPYUID named and a read-back confirmed) their UID at once. Only rows
        still waiting there (uid NULL) get one, and only a UID no row of the folder has
        (one that has it is left to the next sync, as without COPYUID). Returns the ids
        that got their UID."""
        done = []
        with self.transaction() as c:
            for message_id, uid in uids.items():
                waiting = c.execute(
                    "SELECT 1 FROM messages WHERE id = ? AND folder_id = ? AND uid IS NULL",
                    (message_id, folder_id),
                ).fetchone()
                taken = c.execute(
                    "SELECT 1 FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, uid)
                ).fetchone()
                if not waiting or taken:
                    continue
                c.execute("UPDATE messages SET uid = ? WHERE id = ?", (uid, message_id))
                done.append(message_id)
        return done

    def placeholders(self, folder_id: int) -> list[MessageRow]:
        sql = f"SELECT {_MESSAGE_COLUMNS}{_MESSAGE_FROM} WHERE m.folder_id = ? AND m.uid IS NULL"
        return [_row_to_message(r) for r in self.conn.execute(sql, (folder_id,))]

    # -- the queue of actions for the server ---------------------------------------------

    # json is imported where it is used: a sync with no queued action never needs it.
    def enqueue_action(self, account: str, kind: str, payload: dict) -> int:
        import json

        account_id = self.account_id(account)
        with self.transaction() as c:
            return c.execute(
                "INSERT INTO actions(account_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                (account_id, kind, json.dumps(payload), time.time()),
            ).lastrowid

    def actions(self, account: str, state: str | None = "pending") -> list[PendingAction]:
        sql = (
            "SELECT x.id, x.account_id, x.kind, x.payload, x.state, x.error, x.attempts, "
            "x.created_at FROM actions x JOIN accounts a ON a.id = x.account_id WHERE a.name = ?"
        )
        args: list = [account]
        if state is not None:
            sql += " AND x.state = ?"
            args.append(state)
        sql += " ORDER BY x.id"
        rows = self.conn.execute(sql, args).fetchall()
        if not rows:
            return []
        import json

        return [
            PendingAction(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7]) for r in rows
        ]

    def finish_action(self, action_id: int, error: str | None = None) -> None:
        """Mark an action done, or failed with a record of the typed error saying why."""
        with self.transaction() as c:
            c.execute(
                "UPDATE actions SET state = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                ("failed" if error else "done", error, action_id),
            )

    def update_action(self, action_id: int, payload: dict) -> None:
        import json

        with self.transaction() as c:
            c.execute(
                "UPDATE actions SET payload = ? WHERE id = ?", (json.dumps(payload), action_id)
            )

    def note_attempt(self, action_id: int) -> None:
        with self.transaction() as c:
            c.execute("UPDATE actions SET attempts = attempts + 1 WHERE id = ?", (action_id,))
