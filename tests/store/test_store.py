"""The local store: schema, queries the UI needs, FTS, local folders, crash safety."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tuimail.core.store import UNIFIED_INBOX, NewMessage, Store, default_path
from tuimail.core.store.schema import MIGRATIONS
from tuimail.core.store.search import address_words, fts_query, has_word


def header(i: int, subject: str = "hello", sender: str = "Alice <alice@example.test>") -> bytes:
    return (
        f"From: {sender}\r\nTo: bob@example.test\r\nSubject: {subject} {i}\r\n"
        f"Message-ID: <m{i}@example.test>\r\nDate: Mon, 1 Jan 2024 10:{i % 60:02d}:00 +0000\r\n"
    ).encode()


def fill(store: Store, folder_id: int, n: int, start: int = 1) -> None:
    store.add_messages(
        folder_id,
        [
            NewMessage(uid, ("\\Seen",) if uid % 2 else (), header(uid), 100, 1_700_000_000 + uid)
            for uid in range(start, start + n)
        ],
    )


def test_default_path_is_under_xdg_data(isolated_home: Path) -> None:
    store = Store()
    assert store.path == default_path()
    assert str(store.path).startswith(os.environ["XDG_DATA_HOME"])
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_folders_counts_rows_and_sorting(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("work", "INBOX", delimiter="/", role="inbox")
    store.upsert_folder("work", "Archive/2024", delimiter="/")
    fill(store, inbox, 50)
    folders = store.folders("work")
    assert [f.name for f in folders] == ["INBOX", "Archive/2024"]
    assert (folders[0].total, folders[0].unread) == (50, 25)
    assert folders[1].parent == "Archive" and folders[1].leaf == "2024"
    assert store.count_messages(inbox) == 50
    assert store.count_messages(inbox, "unread") == 25
    rows = store.message_rows(inbox, 0, 10)
    assert [r.uid for r in rows][:2] == [50, 49] or rows[0].date >= rows[1].date
    assert rows[0].from_name == "Alice" and rows[0].from_addr == "alice@example.test"
    assert [r.subject for r in store.message_rows(inbox, 0, 3, sort="subject")] == [
        "hello 1",
        "hello 10",
        "hello 11",
    ]
    assert all(not r.seen for r in store.message_rows(inbox, 0, 100, filter="unread"))
    with pytest.raises(ValueError):
        store.message_rows(inbox, sort="nonsense")


def test_add_messages_is_idempotent_per_uid(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    fill(store, inbox, 10)
    first = store.message_by_uid(inbox, 3)
    store.add_messages(inbox, [NewMessage(3, ("\\Flagged",), header(3))])
    assert store.count_messages(inbox) == 10
    again = store.message_by_uid(inbox, 3)
    assert again.id == first.id and again.flagged and not again.seen


def test_unified_inbox_across_accounts(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    fill(store, store.upsert_folder("a", "INBOX", role="inbox"), 5)
    fill(store, store.upsert_folder("b", "INBOX", role="inbox"), 7, start=100)
    fill(store, store.upsert_folder("b", "Sent", role="sent"), 3, start=200)
    assert store.count_messages(UNIFIED_INBOX) == 12
    assert {r.account for r in store.message_rows(UNIFIED_INBOX, 0, 50)} == {"a", "b"}


def test_full_text_search_headers_and_bodies(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    store.add_messages(inbox, [NewMessage(1, (), header(1, "Quarterly invoice", "Zoë <z@x.test>"))])
    store.add_messages(inbox, [NewMessage(2, (), header(2, "Lunch"))])
    assert [r.uid for r in store.search("invoice")] == [1]
    assert [r.uid for r in store.search("from:zoe")] == [1]  # diacritics folded
    assert store.search("pineapple") == []
    lunch = store.message_by_uid(inbox, 2)
    store.save_body(lunch.id, header(2, "Lunch") + b"\r\nLet us eat pineapple pizza.\r\n")
    assert [r.uid for r in store.search("pineapple")] == [2]
    assert store.body(lunch.id).endswith(b"pizza.\r\n")
    assert store.message(lunch.id).has_body
    assert store.search('"; DROP TABLE messages; --') == []  # user text is never FTS syntax
    store.remove_uids(inbox, [2])
    assert store.search("pineapple") == []


def test_from_finds_the_sender_and_to_the_recipients_not_either(tmp_path: Path) -> None:
    """from:ana used to find mail sent *to* Ana as well (one column holds both)."""
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    to_ana = b"From: Alice <alice@x.test>\r\nTo: Ana N\xc3\xba\xc3\xb1ez <ana@y.test>\r\n"
    from_ana = b"From: =?utf-8?q?Ana_N=C3=BA=C3=B1ez?= <ana@y.test>\r\nTo: alice@x.test\r\n"
    cc_ana = b"From: Bob <bob@z.test>\r\nTo: alice@x.test\r\nCc: ana@y.test\r\n"
    store.add_messages(
        inbox,
        [
            NewMessage(uid, (), raw + b"Subject: Weekend hike\r\n", 100, 1_700_000_000 + uid)
            for uid, raw in ((1, to_ana), (2, from_ana), (3, cc_ana))
        ],
    )
    assert {r.uid for r in store.search("from:ana")} == {2}
    assert {r.uid for r in store.search("from:nunez weekend")} == {2}  # diacritics folded
    assert {r.uid for r in store.search("to:ana")} == {1, 3}  # Cc counts as a recipient
    assert {r.uid for r in store.search("to:ana from:bob")} == {3}
    assert {r.uid for r in store.search("ana")} == {1, 2, 3}  # no field: anywhere


@given(st.text(max_size=60), st.integers(min_value=0, max_value=20))
def test_every_word_of_an_address_and_its_prefixes_match_it(value: str, cut: int) -> None:
    """has_word (checked on untrusted header text) never raises, and finds what the
    index's prefix match finds: any word of the value, cut anywhere."""
    for token in re.findall(r"[^\W_]+", value):
        assert has_word(value, token[: max(1, cut)])
    has_word(value, value)


_FTS = sqlite3.connect(":memory:")
_FTS.execute(
    "CREATE VIRTUAL TABLE t USING fts5(people, tokenize = 'unicode61 remove_diacritics 2')"
)


@given(st.text(max_size=40), st.text(min_size=1, max_size=12))
@example("0\u094d1", "1")  # SQLite splits at a virama; folding removes it
@example("Ana N\u00fa\u00f1ez", "nunez")
def test_has_word_never_drops_what_the_index_found(value: str, word: str) -> None:
    """from:/to: narrow the index's matches with has_word: every word SQLite's own
    tokenizer matches (quoted prefix, as searches ask) is kept."""
    _FTS.execute("DELETE FROM t")
    _FTS.execute("INSERT INTO t(people) VALUES (?)", (value,))
    for _field, w in address_words(f"from:{word}"):
        try:
            found = _FTS.execute("SELECT 1 FROM t WHERE t MATCH ?", (fts_query(w),)).fetchone()
        except sqlite3.OperationalError:
            continue  # a word the tokenizer reads as nothing: not a query the index answers
        if found:
            assert has_word(value, w), (value, w)


def test_local_folders_and_component_migrations(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    local = store.create_local_folder("pop", "INBOX", role="inbox")
    raw = header(1, "Local mail") + b"\r\nbody text\r\n"
    mid = store.add_local_message(local, raw, ("\\Seen",))
    row = store.message(mid)
    assert row.uid is None and row.subject == "Local mail 1" and row.seen
    assert store.folder(local).local
    assert store.body(mid) == raw
    migrations = ["CREATE TABLE pop3_uidl (account_id INTEGER, uidl TEXT)"]
    assert store.apply_component_migrations("pop3", migrations) == 1
    assert store.apply_component_migrations("pop3", migrations) == 1  # runs once
    store.close()
    again = Store(tmp_path / "s.db")
    assert again.conn.execute("SELECT count(*) FROM pop3_uidl").fetchone()[0] == 0


def test_action_queue_survives_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    action = store.enqueue_action("a", "flags", {"folder": "INBOX", "uids": [1]})
    store.close()
    store = Store(tmp_path / "s.db")
    pending = store.actions("a")
    assert [p.id for p in pending] == [action] and pending[0].payload["uids"] == [1]
    store.finish_action(action, "the folder is gone")
    assert store.actions("a") == []
    assert store.actions("a", "failed")[0].error == "the folder is gone"


def test_each_thread_gets_its_own_connection(tmp_path: Path) -> None:
    import threading

    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    errors: list[BaseException] = []

    def work(start: int) -> None:
        try:
            fill(store, inbox, 100, start)
        except BaseException as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i * 1000 + 1,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.count_messages(inbox) == 400


def test_large_folder_queries_are_fast(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    with store.transaction() as c:
        c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
            "INSERT INTO messages(folder_id, uid, seen, date, subject) "
            "SELECT ?, i, i % 3 = 0, 1700000000 + i, 'subject ' || i FROM n",
            (inbox,),
        )
    assert store.count_messages(inbox) == 100_000
    assert store.count_messages(inbox, "unread") == 66_667
    assert [r.uid for r in store.message_rows(inbox, 0, 3)] == [100_000, 99_999, 99_998]
    assert len(store.message_rows(inbox, 99_900, 100)) == 100
    store.folders("a")
    store.upsert_folder("b", "INBOX", role="inbox")
    assert len(store.message_rows(UNIFIED_INBOX, 50_000, 100)) == 100


WRITER = r"""
import sys, time
from tuimail.core.store import Store, NewMessage
store = Store(sys.argv[1])
fid = store.upsert_folder("a", "INBOX", role="inbox")
uid = 0
while True:
    batch = []
    for _ in range(50):
        uid += 1
        batch.append(NewMessage(uid, (), b"Subject: s%d\r\nMessage-ID: <%d@x>\r\n" % (uid, uid), 10))
    store.add_messages(fid, batch)
    if uid == 500:
        print("ready", flush=True)
"""


def test_kill_9_mid_write_leaves_a_sound_store(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)  # let it be in the middle of more batches
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    store = Store(path)
    assert store.integrity_check() == "ok"
    count = store.count_messages(store.folder_id("a", "INBOX"))
    assert count >= 500 and count % 50 == 0  # whole batches only
    store.index_headers()  # the killed sync left its rows to the header indexer
    fts = store.conn.execute("SELECT count(*) FROM messages_fts").fetchone()[0]
    assert fts == count
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO messages(folder_id, uid) VALUES (999999, 1)")


def test_two_processes_opening_a_new_store_at_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    code = "import sys; from tuimail.core.store import Store; Store(sys.argv[1]).integrity_check()"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)]) for _ in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    assert Store(path).conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_store_from_a_newer_tuimail_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer tuimail"):
        Store(path)


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    """Each thread reads through its own connection; the app reads in short-lived worker
    threads, so one per finished thread must not stay open (with a few hundred previews
    the process ran out of file descriptors)."""
    import threading

    store = Store(tmp_path / "s.db")
    fill(store, store.upsert_folder("work", "INBOX", delimiter="/"), 3)

    def read_in_threads(n: int) -> None:
        for _ in range(n):
            thread = threading.Thread(target=lambda: store.folders("work"))
            thread.start()
            thread.join()

    def open_files() -> int:
        return len(os.listdir(f"/proc/{os.getpid()}/fd"))

    read_in_threads(5)
    before = open_files()
    read_in_threads(60)
    assert open_files() <= before + 3
    assert [f.total for f in store.folders("work")] == [3]  # this thread's still works
    store.close()


def test_a_store_that_kept_recent_loses_it_on_upgrade(tmp_path: Path) -> None:
    """Stores written before \\Recent was dropped (Dovecot's session flag, kept for ever)
    are cleaned by a migration; the other flags and the state columns stay."""
    path = tmp_path / "store.sqlite3"
    store = Store(path)
    fill(store, store.upsert_folder("a", "INBOX"), 1)
    store.conn.execute("UPDATE messages SET flags = '$Bulk \\Recent \\Seen'")  # as before
    store.conn.execute("PRAGMA user_version = 4")  # the version before the migration
    store.close()
    upgraded = Store(path)
    row = upgraded.conn.execute("SELECT flags, seen FROM messages").fetchone()
    assert row == ("$Bulk \\Seen", 1)


def test_the_servers_copy_of_a_moved_message_without_message_id_keeps_its_row(
    tmp_path: Path,
) -> None:
    """A row moved here locally waits without a UID; the server's copy (no Message-ID)
    is recognised by size and date as the store keeps them (an impossible size is kept
    clamped), sender and subject: it gets the UID and keeps the row's id."""
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("work", "INBOX")
    archive = store.upsert_folder("work", "Archive")
    head = b"From: Alice <alice@example.test>\r\nSubject: no id\r\n"
    huge = 1 << 70  # over MAX_SIZE: stored clamped, with a note
    (mid,) = store.add_messages(inbox, [NewMessage(3, (), head, huge, 1_700_000_000.0)])
    store.move_messages([mid], archive)
    ids = store.add_messages(archive, [NewMessage(9, ("\\Seen",), head, huge, 1_700_000_000.0)])
    assert ids == [mid]
    moved = store.message(mid)
    assert moved is not None and (moved.folder, moved.uid) == ("Archive", 9)
    assert store.count_messages(archive) == 1
