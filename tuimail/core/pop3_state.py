"""POP3 state in the local store: which keys were downloaded, and when.

A message and its key are written in one transaction with synchronous=FULL, so once
`commit` returns, the message survives a crash or a power cut: only then may the fetcher
DELE it on the server.

"Deleted locally" (for `delete_on_server_when_deleted_locally`): the user deleted the
message in the app. A message in the account's Trash counts (as in Thunderbird), and
so does one removed from the store by a delete; moving it out of Trash again (or undo)
clears the mark. Only the service's delete paths set the mark for removed messages, so
a message that vanished any other way (a lost store, a deleted account) is never taken
as deleted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from tuimail.core.pop3 import KnownMessage
from tuimail.core.pop3_keys import (
    STABLE,
    raw_evidence,
    raw_header_lines,
    stable_hash,
    stable_key,
)
from tuimail.core.store import Store

MIGRATIONS = [
    """
    CREATE TABLE pop3_keys (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        uidl TEXT,
        message_id INTEGER,
        downloaded_at REAL NOT NULL,
        deleted_locally INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account, key)
    );
    """,
    # A removed message leaves its keys without a message: SQLite may give its id to a
    # new row (any account's), and the keys must not then name that one.
    """
    CREATE INDEX pop3_keys_message ON pop3_keys(message_id);
    CREATE TRIGGER pop3_keys_detach AFTER DELETE ON messages BEGIN
        UPDATE pop3_keys SET message_id = NULL WHERE message_id = old.id;
    END;
    """,
    # Stable header keys (tuimail.core.pop3_keys): every key row names its download
    # (origin: the rowid of the download's first key), and every stored message is
    # queued to get its stable key from its stored header (`StorePop3State._rekey`).
    # Keys of messages no longer stored keep their old header hash ("h:"/"a:"), which
    # fetch still accepts.
    """
    ALTER TABLE pop3_keys ADD COLUMN origin INTEGER;
    UPDATE pop3_keys SET origin = (SELECT min(p.rowid) FROM pop3_keys p
        WHERE p.account = pop3_keys.account AND p.message_id = pop3_keys.message_id)
        WHERE message_id IS NOT NULL;
    CREATE INDEX pop3_keys_migrating ON pop3_keys(account, downloaded_at);
    UPDATE pop3_keys SET origin = (SELECT min(p.rowid) FROM pop3_keys p
        WHERE p.account = pop3_keys.account AND p.downloaded_at = pop3_keys.downloaded_at
        AND p.message_id IS NULL AND p.uidl IS pop3_keys.uidl)
        WHERE message_id IS NULL;
    DROP INDEX pop3_keys_migrating;
    CREATE TABLE pop3_rekey (
        account TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (account, message_id)
    );
    INSERT OR IGNORE INTO pop3_rekey (account, message_id)
        SELECT account, message_id FROM pop3_keys WHERE message_id IS NOT NULL;
    """,
    # What tells a reused UIDL (tuimail.core.pop3._verify_uidls): the size the server
    # gave a download, and whether tuimail deleted it from the server.
    """
    ALTER TABLE pop3_keys ADD COLUMN size INTEGER;
    ALTER TABLE pop3_keys ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX pop3_keys_origin ON pop3_keys(account, origin);
    """,
    # The evidence equal header fields are decided by (tuimail.core.pop3_match): each
    # download's body as downloaded (hash and size) and whether it was on the server at
    # the last check. Every stored message is queued to get its body evidence from the
    # stored message (`StorePop3State._rebody`); a download no longer stored has none
    # and is decided as before.
    """
    ALTER TABLE pop3_keys ADD COLUMN body_hash TEXT;
    ALTER TABLE pop3_keys ADD COLUMN body_size INTEGER;
    ALTER TABLE pop3_keys ADD COLUMN absent INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE pop3_rebody (
        account TEXT NOT NULL,
        origin INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (account, origin)
    );
    INSERT OR IGNORE INTO pop3_rebody (account, origin, message_id)
        SELECT account, origin, min(message_id) FROM pop3_keys
        WHERE message_id IS NOT NULL AND origin IS NOT NULL GROUP BY account, origin;
    """,
]
REKEY_BATCH = 500


class StorePop3State:
    """`tuimail.core.pop3.Pop3State` on the SQLite store; mail goes to a local INBOX."""

    def __init__(self, store: Store, clock=time.time) -> None:
        self.store = store
        self.clock = clock
        self._ready: set[str] = set()
        store.apply_component_migrations("pop3", MIGRATIONS)
        self._rekey()
        self._rebody()

    def _rekey(self) -> None:
        """Give each message queued by migration 3 its stable header key, computed from
        the message as stored (same origin, download time and mark as its other keys);
        in batches, each one transaction, so an interrupted run goes on next time."""
        while True:
            with self.store.transaction() as c:
                batch = c.execute(
                    "SELECT account, message_id FROM pop3_rekey ORDER BY account, message_id"
                    " LIMIT ?",
                    (REKEY_BATCH,),
                ).fetchall()
                for account, message_id in batch:
                    self._rekey_one(c, account, message_id)
                    c.execute(
                        "DELETE FROM pop3_rekey WHERE account = ? AND message_id = ?",
                        (account, message_id),
                    )
            if len(batch) < REKEY_BATCH:
                return

    def _rebody(self) -> None:
        """Give each download queued by migration 5 its body evidence, computed from the
        message as stored; in batches, each one transaction, so an interrupted run goes
        on next time."""
        while True:
            with self.store.transaction() as c:
                batch = c.execute(
                    "SELECT account, origin, message_id FROM pop3_rebody"
                    " ORDER BY account, origin LIMIT ?",
                    (REKEY_BATCH,),
                ).fetchall()
                for account, origin, message_id in batch:
                    raw = self.store.body(message_id)
                    if raw is not None:
                        c.execute(
                            "UPDATE pop3_keys SET body_hash = ?, body_size = ?"
                            " WHERE account = ? AND origin = ? AND body_hash IS NULL",
                            (*raw_evidence(raw), account, origin),
                        )
                    c.execute(
                        "DELETE FROM pop3_rebody WHERE account = ? AND origin = ?",
                        (account, origin),
                    )
            if len(batch) < REKEY_BATCH:
                return

    def _rekey_one(self, c, account: str, message_id: int) -> None:
        row = c.execute(
            "SELECT downloaded_at, deleted_locally, origin FROM pop3_keys"
            " WHERE account = ? AND message_id = ? ORDER BY rowid LIMIT 1",
            (account, message_id),
        ).fetchone()
        raw = self.store.body(message_id) if row else None
        if row is None or raw is None:
            return  # the message is gone: its keys stay as they are (still accepted)
        if c.execute(
            "SELECT 1 FROM pop3_keys WHERE account = ? AND message_id = ? AND key LIKE 's:%'",
            (account, message_id),
        ).fetchone():
            return
        at, gone, origin = row
        key = _free_stable_key(c, account, stable_hash(raw_header_lines(raw)))
        c.execute(
            "INSERT INTO pop3_keys (account, key, uidl, message_id, downloaded_at,"
            " deleted_locally, origin) VALUES (?, ?, NULL, ?, ?, ?, ?)",
            (account, key, message_id, at, gone, origin),
        )  # its body evidence: `_rebody`, which runs after

    def inbox(self, account: str) -> int:
        """The local INBOX (created with a local Trash the first time)."""
        if account not in self._ready:
            self.ensure_folders(account)
            self._ready.add(account)
        return self.store.create_local_folder(account, "INBOX", role="inbox")

    def ensure_folders(self, account: str) -> None:
        """A POP3 account lives in local folders: INBOX, and a Trash so a delete can be
        undone (unless some folder already has the trash role)."""
        self.store.create_local_folder(account, "INBOX", role="inbox")
        if self._trash_id(account) is None:
            self.store.create_local_folder(account, "Trash", role="trash")

    def _trash_id(self, account: str) -> int | None:
        row = self.store.conn.execute(
            "SELECT f.id FROM folders f JOIN accounts a ON a.id = f.account_id "
            "WHERE a.name = ? AND f.role = 'trash' ORDER BY f.id LIMIT 1",
            (account,),
        ).fetchone()
        return row[0] if row else None

    def known(self, account: str) -> dict[str, KnownMessage]:
        self.reconcile(account)
        rows = self.store.conn.execute(
            "SELECT key, downloaded_at, deleted_locally, coalesce(origin, -rowid), size,"
            " removed, body_hash, body_size, absent FROM pop3_keys WHERE account = ?",
            (account,),
        ).fetchall()
        return {
            row[0]: KnownMessage(
                row[0],
                row[1],
                bool(row[2]),
                row[3],
                row[4],
                bool(row[5]),
                row[6],
                row[7],
                bool(row[8]),
            )
            for row in rows
        }

    def commit(
        self, account: str, key: str, uidl: str | None, raw: bytes, size: int | None = None
    ) -> int | None:
        """Store the message and its key in one transaction: the stored message's id;
        None (nothing stored) when the key is known already (another pass, e.g. a
        concurrent `tuimail sync`, stored it first): what a pass counts as new is what it
        stored."""
        folder = self.inbox(account)
        conn = self.store.conn
        conn.execute("PRAGMA synchronous = FULL")
        try:
            with self.store.transaction() as c:
                exists = c.execute(
                    "SELECT 1 FROM pop3_keys WHERE account = ? AND key = ?", (account, key)
                ).fetchone()
                if exists:
                    return None
                message_id = self.store.add_local_message(folder, raw)
                now = self.clock()
                evidence = raw_evidence(raw)
                origin = c.execute(
                    "INSERT INTO pop3_keys (account, key, uidl, message_id, downloaded_at,"
                    " size, body_hash, body_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (account, key, uidl, message_id, now, size, *evidence),
                ).lastrowid
                c.execute("UPDATE pop3_keys SET origin = rowid WHERE rowid = ?", (origin,))
                if not key.startswith(STABLE):
                    alias = _free_stable_key(c, account, stable_hash(raw_header_lines(raw)))
                    c.execute(
                        "INSERT INTO pop3_keys (account, key, uidl, message_id,"
                        " downloaded_at, origin, size, body_hash, body_size)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (account, alias, uidl, message_id, now, origin, size, *evidence),
                    )
            return message_id
        finally:
            conn.execute("PRAGMA synchronous = NORMAL")

    def add_alias(self, account: str, known_key: str, key: str) -> None:
        with self.store.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO pop3_keys (account, key, uidl, message_id, downloaded_at,"
                " deleted_locally, origin, size, removed, body_hash, body_size, absent)"
                " SELECT account, ?, ?, message_id, downloaded_at, deleted_locally, origin,"
                " size, removed, body_hash, body_size, absent FROM pop3_keys"
                " WHERE account = ? AND key = ?",
                (key, key[2:] if key.startswith("u:") else None, account, known_key),
            )

    def retire(self, account: str, key: str) -> None:
        with self.store.transaction() as c:
            c.execute(
                "UPDATE OR REPLACE pop3_keys SET key = 'r:' || coalesce(origin, -rowid) || ':' || key"
                " WHERE account = ? AND key = ?",
                (account, key),
            )

    def observe(self, account: str, seen: dict[int, int | None], missing: set[int]) -> None:
        with self.store.transaction() as c:
            c.executemany(
                "UPDATE pop3_keys SET size = coalesce(?, size), removed = 0, absent = 0"
                " WHERE account = ? AND origin = ?",
                [(size, account, origin) for origin, size in seen.items()],
            )
            c.executemany(
                "UPDATE pop3_keys SET absent = 1 WHERE account = ? AND origin = ?",
                [(account, origin) for origin in missing],
            )

    def removed(self, account: str, origins: set[int]) -> None:
        with self.store.transaction() as c:
            c.executemany(
                "UPDATE pop3_keys SET removed = 1 WHERE account = ? AND origin = ?",
                [(account, origin) for origin in origins],
            )

    def mark_deleted_locally(self, account: str, message_ids: int | Iterable[int]) -> None:
        """The user deleted these messages (call before they leave the store)."""
        ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
        with self.store.transaction() as c:
            c.executemany(
                "UPDATE pop3_keys SET deleted_locally = 1 WHERE account = ? AND message_id = ?",
                [(account, i) for i in ids],
            )

    def reconcile(self, account: str) -> None:
        """Messages still in the store: deleted locally exactly when they are in Trash.
        Keys of messages no longer in the store (message_id NULL) keep their mark."""
        trash = self._trash_id(account)
        with self.store.transaction() as c:
            c.execute(
                "UPDATE pop3_keys SET deleted_locally = "
                "(SELECT m.folder_id IS ? FROM messages m WHERE m.id = pop3_keys.message_id) "
                "WHERE account = ? AND message_id IS NOT NULL AND "
                "deleted_locally != (SELECT m.folder_id IS ? FROM messages m "
                "WHERE m.id = pop3_keys.message_id)",
                (trash, account, trash),
            )

    def deleted_locally(self, account: str) -> set[int]:
        """Local ids of messages still in the store that count as deleted (for tests)."""
        rows = self.store.conn.execute(
            "SELECT message_id FROM pop3_keys WHERE account = ? AND deleted_locally = 1 "
            "AND message_id IS NOT NULL",
            (account,),
        )
        return {r[0] for r in rows}

    def settle_local_actions(self, account: str) -> None:
        """After user actions on a POP3 account: there is no server folder to tell, so
        the queued server actions are dropped; then the deleted-locally marks follow
        where the messages are now."""
        with self.store.transaction() as c:
            c.execute(
                "UPDATE actions SET state = 'done' WHERE state = 'pending' AND account_id = "
                "(SELECT id FROM accounts WHERE name = ?)",
                (account,),
            )
        self.reconcile(account)


def _free_stable_key(c, account: str, digest: str) -> str:
    """The stable key with the first ordinal of `digest` the account has not used."""
    used = {
        row[0]
        for row in c.execute(
            "SELECT key FROM pop3_keys WHERE account = ? AND key >= ? AND key < ?",
            (account, stable_key(digest), stable_key(digest) + "$"),  # "$" follows "#"
        )
    }
    ordinal = 0
    while stable_key(digest, ordinal) in used:
        ordinal += 1
    return stable_key(digest, ordinal)
