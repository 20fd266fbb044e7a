"""Reading messages by id in batches bigger than SQLite allows variables (a visual range
over a big folder tags tens of thousands; bulk actions read them back)."""

from __future__ import annotations


def test_a_batch_larger_than_sqlite_variables_is_read_back(tmp_path):
    """A visual range over a big folder tags tens of thousands: reading them back (and
    the actions' own reads) must not hit SQLite's limit on variables."""
    import sqlite3

    from tuimail.core.store import NewMessage, Store

    store = Store(tmp_path / "s.sqlite3")
    store.account_id("a", "a@example.test")
    fid = store.upsert_folder("a", "INBOX", delimiter="/", role="inbox")
    fid = store.folder_id("a", "INBOX") if not isinstance(fid, int) else fid
    header = b"From: x@example.test\r\nSubject: s\r\n\r\n"
    store.add_messages(fid, [NewMessage(uid=i + 1, flags=(), header=header) for i in range(3000)])
    ids = [r.id for r in store.message_rows(fid, 0, 3000, "uid")]
    # SQLite's default limit (distributions raise it; the code must not rely on that)
    store.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    assert len(store.messages_by_ids(ids)) == 3000
