"""Writes tests/data/stores/store_v8.sqlite3: a store as tuimail wrote it at schema 8
(commit 48ea489, before migration 9 put `bodies.raw` last), with data of every kind a
body can be in: server and local folders, cached bodies (text, 8-bit, binary with NUL
bytes, empty, one of 80 KB), a message never fetched, a copy, a body waiting for the
search indexer, POP3's own tables and a queued action.

The .sqlite3 file is committed: it is what an upgrade meets. This script documents how
it was made and only works with the code of that commit (run it from a checkout of it:
python tests/data/stores/make_store_v8.py).
"""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

from tuimail.core.pop3_state import MIGRATIONS as POP3_MIGRATIONS
from tuimail.core.store import NewMessage, Store

OUT = Path(__file__).resolve().parent / "store_v8.sqlite3"


def header(i: int, subject: str) -> bytes:
    return (
        f"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <v8-{i}@example.test>\r\nDate: Mon, 1 Jan 2024 10:0{i}:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
    ).encode()


def main() -> None:
    OUT.unlink(missing_ok=True)
    store = Store(OUT)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 8
    inbox = store.upsert_folder("work", "INBOX", delimiter="/", role="inbox")
    bodies = {
        1: header(1, "plain") + b"Content-Type: text/plain\r\n\r\nquarterly report\r\n",
        2: header(2, "eight bit")
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "caf\u00e9 na\u00efve r\u00e9sum\u00e9\r\n".encode(),
        3: header(3, "binary")
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + bytes(range(256)) * 4,
        4: header(4, "large")
        + b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(bytes(i * 7 % 251 for i in range(60_000))).replace(b"\n", b"\r\n"),
        5: header(5, "not fetched") + b"Content-Type: text/plain\r\n\r\nnever cached\r\n",
        6: header(6, "pending") + b"Content-Type: text/plain\r\n\r\nwaiting for the indexer\r\n",
    }
    ids = store.add_messages(
        inbox,
        [
            NewMessage(
                uid,
                ("\\Seen",) if uid % 2 else (),
                raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n",
                len(raw),
                1_700_000_000.0 + uid,
            )
            for uid, raw in bodies.items()
        ],
    )
    store.index_headers()
    by_uid = dict(zip(bodies, ids, strict=True))
    for uid in (1, 2, 3, 4):
        store.save_body(by_uid[uid], bodies[uid])
    store.save_bodies([(by_uid[6], bodies[6])])  # left for index_pending
    archive = store.upsert_folder("work", "Archive", delimiter="/", role="archive")
    store.copy_messages([by_uid[2]], archive)
    local = store.create_local_folder("pop", "INBOX", role="inbox")
    store.add_local_message(local, header(7, "pop local") + b"\r\nfrom POP3\r\n", ("\\Seen",))
    store.add_local_message(local, b"", ())  # an empty message: its body is the only copy
    store.apply_component_migrations("pop3", POP3_MIGRATIONS)
    store.enqueue_action("work", "flag", {"uids": [1], "add": ["\\Flagged"]})
    store.close()
    with sqlite3.connect(OUT) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with sqlite3.connect(OUT, isolation_level=None) as conn:
        conn.execute("VACUUM")
    conn.close()


if __name__ == "__main__":
    main()
