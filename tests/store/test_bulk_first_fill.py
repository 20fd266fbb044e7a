"""A first sync into an empty store builds the indexes only later lookups need once at its
end instead of row by row (issue 19): they are there afterwards however the fill ended,
a store left without them by a crash gets them back when opened, and a store that already
holds mail never loses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imap.helpers import engine_for, message, tmp_store
from tuimail.core.store import NewMessage, Store
from tuimail.core.store import store as store_module
from tuimail.core.store.schema import DEFERRABLE_INDEXES, missing_indexes


def _add(store: Store, folder: int, uids: range) -> None:
    store.add_messages(
        folder,
        [NewMessage(u, (), b"Subject: s%d\r\nMessage-ID: <%d@x>\r\n" % (u, u)) for u in uids],
    )


def test_an_empty_store_builds_them_at_the_end_even_after_a_failure(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX")
    with pytest.raises(ConnectionError), store.bulk_first_fill(100_000) as deferred:
        assert deferred
        assert missing_indexes(store.conn) == list(DEFERRABLE_INDEXES)
        _add(store, inbox, range(1, 50))
        raise ConnectionError("the server went away mid-sync")
    assert missing_indexes(store.conn) == []
    assert store.integrity_check() == "ok"
    assert [r.uid for r in store.thread(store.message_by_uid(inbox, 7).id)] == [7]
    assert store.count_messages(inbox, "unread") == 49


def test_a_store_with_mail_or_a_small_sync_keeps_every_index(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX")
    with store.bulk_first_fill(10) as deferred:
        assert not deferred and missing_indexes(store.conn) == []
    _add(store, inbox, range(1, 3))
    with store.bulk_first_fill(100_000) as deferred:
        assert not deferred and missing_indexes(store.conn) == []


def test_a_store_left_without_them_gets_them_back_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    _add(store, store.upsert_folder("a", "INBOX"), range(1, 5))
    for name in DEFERRABLE_INDEXES:  # as a process killed in the middle of a first fill
        store.conn.execute(f"DROP INDEX {name}")
    store.close()
    reopened = Store(path)
    assert missing_indexes(reopened.conn) == []
    plan = reopened.conn.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM messages WHERE folder_id = 1 AND seen = 0"
    ).fetchall()
    assert "messages_folder_state" in str(plan)


def test_a_first_sync_fills_without_them_and_ends_with_them(
    mail_server, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(store_module, "BULK_FIRST_FILL", 5)
    user = mail_server.new_user()
    for i in range(1, 8):
        mail_server.deliver(user, message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.first_batch = engine.batch = 3
    during: list[list[str]] = []
    engine.progress = lambda _folder, _done, _total: during.append(missing_indexes(store.conn))
    try:
        assert engine.sync().ok
    finally:
        engine.close()
    assert list(DEFERRABLE_INDEXES) in during  # the fill ran without them
    assert missing_indexes(store.conn) == []
    assert store.count_messages(store.folder_id("test", "INBOX")) == 7
