"""The header search index is filled after a sync, not in it (issue 19): a search before
the indexer caught up finds exactly what it finds after, nothing is indexed twice or
lost, existing stores upgrade, and the app's runtime indexes after its pass while the
CLI leaves it to the next search."""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imap.helpers import message
from tests.service.helpers import runtime_for
from tuimail.core.store import NewMessage, Store, header_index
from tuimail.core.store.schema import MIGRATIONS

SENDERS = ("Alice <alice@example.test>", "=?UTF-8?Q?B=C3=A9a?= <bea@example.test>")
QUERIES = ("s1", "s", "alice", "béa", "from:bea", "subject:s2", "pineapple", "word3", "nothing")


def _header(uid: int) -> bytes:
    return (
        f"From: {SENDERS[uid % 2]}\r\nTo: r{uid % 3}@example.test\r\nSubject: s{uid}\r\n"
        f"Message-ID: <m{uid}@example.test>\r\n"
    ).encode()


def _body(uid: int) -> bytes:
    return _header(uid) + f"\r\nword{uid} and a pineapple\r\n".encode()


def _fts(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT rowid, subject, people, body FROM messages_fts ORDER BY rowid"
    ).fetchall()


def _found(store: Store) -> list[list[int]]:
    return [sorted(r.id for r in store.search(q)) for q in QUERIES]


def _apply(store: Store, op: tuple) -> None:
    kind, uids, pick = op
    inbox = store.folder_id("a", "INBOX")
    if kind == "add":
        store.add_messages(inbox, [NewMessage(u, (), _header(u)) for u in uids])
        return
    if kind == "remove":
        store.remove_uids(inbox, uids)
        return
    if kind == "index":
        store.index_headers(budget=0, batch=pick + 1)
        return
    rows = store.conn.execute("SELECT id, uid FROM messages ORDER BY id").fetchall()
    if not rows:
        return
    mid, uid = rows[pick % len(rows)]
    if kind == "body":
        store.save_body(mid, _body(uid or 0))
    elif kind == "bodies":
        store.save_bodies([(mid, _body(uid or 0))])
        store.index_pending(budget=0)
    elif kind == "copy":
        store.copy_messages([mid], store.folder_id("a", "Archive"))


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "remove", "index", "body", "bodies", "copy", "search"]),
        st.lists(st.integers(1, 40), max_size=8),
        st.integers(0, 50),
    ),
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(operations)
def test_search_finds_the_same_before_and_after_the_indexer_catches_up(ops) -> None:
    """Two stores take the same writes; in one the indexer catches up after every write
    (as when rows were indexed at insert). Searches agree at every step, and once the
    other catches up too both indexes are the same row for row (ids reused after the
    newest rows were removed, bodies saved and rows copied before their headers were
    indexed included)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        patch.object(header_index, "DEFER_FROM", 3),  # adds of 3 or more wait, smaller not
    ):
        lazy, eager = Store(Path(tmp) / "lazy.db"), Store(Path(tmp) / "eager.db")
        for store in (lazy, eager):
            store.upsert_folder("a", "INBOX", role="inbox")
            store.upsert_folder("a", "Archive")
        for op in ops:
            if op[0] == "search":  # the lazy one indexes what is pending first
                assert _found(lazy) == _found(eager)
                continue
            _apply(lazy, op)
            _apply(eager, op)
            eager.index_headers()
            assert not eager.headers_pending()
        assert _found(lazy) == _found(eager)
        lazy.index_headers()
        assert _fts(lazy) == _fts(eager)
        for store in (lazy, eager):
            rows = store.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            assert len(_fts(store)) == rows
            store.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")
            assert store.integrity_check() == "ok"
            store.close()


def test_a_bulk_insert_leaves_one_range_pending_until_indexed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(header_index, "DEFER_FROM", 10)
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX")
    store.add_messages(inbox, [NewMessage(u, (), _header(u)) for u in range(1, 10)])
    assert not store.headers_pending() and len(_fts(store)) == 9  # few: indexed at once
    store.remove_uids(inbox, range(1, 10))
    store.add_messages(inbox, [NewMessage(u, (), _header(u)) for u in range(1, 11)])
    assert store.conn.execute("SELECT low, high FROM fts_pending").fetchall() == [(1, 10)]
    assert _fts(store) == []
    assert store.index_headers(budget=0, batch=4) == 4  # newest first, one batch
    assert [r[0] for r in _fts(store)] == [7, 8, 9, 10]
    assert store.index_headers() == 6
    assert not store.headers_pending() and len(_fts(store)) == 10
    assert store.index_headers() == 0


def test_a_message_added_one_at_a_time_is_indexed_at_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    local = store.create_local_folder("pop", "INBOX", role="inbox")
    store.add_local_message(local, _body(1))
    assert not store.headers_pending()
    assert [r[0] for r in _fts(store)] == [1]


def test_a_store_written_before_upgrades_with_nothing_pending(tmp_path: Path) -> None:
    """A store of schema 5 (every row indexed at insert, the unused messages_date index)
    gets the pending table, loses that index, and finds what it found."""
    path = tmp_path / "old.db"
    store = Store(path)
    inbox = store.upsert_folder("a", "INBOX")
    store.add_messages(inbox, [NewMessage(u, (), _header(u)) for u in range(1, 4)])
    store.index_headers()
    store.conn.executescript(
        "DROP TABLE fts_pending; CREATE INDEX messages_date ON messages(date, id);"
        "PRAGMA user_version = 5;"
    )
    store.close()
    upgraded = Store(path)
    version = upgraded.conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS) >= 7
    indexes = {r[0] for r in upgraded.conn.execute("SELECT name FROM sqlite_master")}
    assert "messages_date" not in indexes and "fts_pending" in indexes
    assert not upgraded.headers_pending()
    assert sorted(r.uid for r in upgraded.search("alice")) == [2]


def test_the_app_indexes_after_its_pass_and_the_cli_leaves_it_to_the_search(
    mail_server, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(header_index, "DEFER_FROM", 2)  # three messages make a big batch
    user = mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(user, message(i, "quarterly report"))
    app, _events = runtime_for(mail_server, user, tmp_path / "app")
    try:
        assert app.sync()
        assert not app.store.headers_pending()
        assert len(_fts(app.store)) == 3
    finally:
        app.close()
    cli, _events = runtime_for(mail_server, user, tmp_path / "cli")
    cli.index_search = False  # as tuimail.cli.sync builds it
    try:
        assert cli.sync()
        assert cli.store.headers_pending() and _fts(cli.store) == []
        found = cli.store.search("quarterly")
        assert sorted(r.uid for r in found) == [1, 2, 3]
        assert not cli.store.headers_pending()
    finally:
        cli.close()


def test_nothing_pending_takes_no_write_lock(tmp_path: Path) -> None:
    """The app asks after every pass: with nothing to do it must not wait for (or hold up)
    another writer."""
    import sqlite3

    store = Store(tmp_path / "s.db")
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        assert store.index_headers() == 0
        assert not store.headers_pending()
    finally:
        other.execute("ROLLBACK")
        other.close()
