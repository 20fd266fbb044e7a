"""A batch of new headers is summarised before the store's write transaction begins
(issue 19): while a sync parses 2,000 headers, another writer (a user's action, another
tuimail process) can still write at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tuimail.core.store import NewMessage, Store
from tuimail.core.store import store as store_module


def _header(i: int) -> bytes:
    return f"From: a@x.test\r\nSubject: s {i}\r\nMessage-ID: <w{i}@x.test>\r\n\r\n".encode()


def test_another_writer_is_not_locked_out_while_headers_are_summarised(
    tmp_path: Path, monkeypatch
) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    other = sqlite3.connect(tmp_path / "s.db", timeout=0, isolation_level=None)
    outcomes: list[str] = []
    summarize = store_module.summarize_header

    def summarize_and_try_to_write(raw: bytes):
        if not outcomes:  # during the first summary: can anyone else write now?
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                outcomes.append("free")
            except sqlite3.OperationalError:
                outcomes.append("locked")
        return summarize(raw)

    monkeypatch.setattr(store_module, "summarize_header", summarize_and_try_to_write)
    for batch in (range(1, 4), range(3, 7)):  # a bulk insert, then one row by one (3 known)
        outcomes.clear()
        store.add_messages(inbox, [NewMessage(i, (), _header(i)) for i in batch])
        assert outcomes == ["free"]
    assert store.count_messages(inbox) == 6
    other.close()
    store.close()
