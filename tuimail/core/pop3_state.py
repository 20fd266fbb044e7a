"""POP3 state in the local store: which keys were downloaded, and when.

A message and its key are written in one transaction with synchronous=FULL, so once
`commit` returns, the message survives a crash or a power cut: only then may the fetcher
DELE it on the server.
"""

from __future__ import annotations

import time

from tuimail.core.pop3 import KnownMessage
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
]


class StorePop3State:
    """`tuimail.core.pop3.Pop3State` on the SQLite store; mail goes to a local INBOX."""

    def __init__(self, store: Store, clock=time.time) -> None:
        self.store = store
        self.clock = clock
        store.apply_component_migrations("pop3", MIGRATIONS)

    def inbox(self, account: str) -> int:
        return self.store.create_local_folder(account, "INBOX", role="inbox")

    def known(self, account: str) -> dict[str, KnownMessage]:
        rows = self.store.conn.execute(
            "SELECT key, downloaded_at, deleted_locally FROM pop3_keys WHERE account = ?",
            (account,),
        ).fetchall()
        return {key: KnownMessage(key, at, bool(gone)) for key, at, gone in rows}

    def commit(self, account: str, key: str, uidl: str | None, raw: bytes) -> None:
        folder = self.inbox(account)
        conn = self.store.conn
        conn.execute("PRAGMA synchronous = FULL")
        try:
            with self.store.transaction() as c:
                exists = c.execute(
                    "SELECT 1 FROM pop3_keys WHERE account = ? AND key = ?", (account, key)
                ).fetchone()
                if exists:
                    return
                message_id = self.store.add_local_message(folder, raw)
                c.execute(
                    "INSERT INTO pop3_keys (account, key, uidl, message_id, downloaded_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (account, key, uidl, message_id, self.clock()),
                )
        finally:
            conn.execute("PRAGMA synchronous = NORMAL")

    def mark_deleted_locally(self, account: str, message_id: int) -> None:
        with self.store.transaction() as c:
            c.execute(
                "UPDATE pop3_keys SET deleted_locally = 1 WHERE account = ? AND message_id = ?",
                (account, message_id),
            )
