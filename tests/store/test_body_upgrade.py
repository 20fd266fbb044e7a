"""Schema 9 puts `bodies.raw` last (so a big body can be streamed in, see
tuimail.core.store.blobs). The upgrade is tried on a store file tuimail wrote at schema 8
(tests/data/stores/store_v8.sqlite3, made by make_store_v8.py): nothing is lost, opening
it again changes nothing, and a process killed at any point of the migration leaves the
old store whole, upgraded at the next open."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.old_stores import V8, add_v8_bodies
from tuimail.core.store import Store, schema
from tuimail.core.store.schema import MIGRATIONS, run_migration

RAW_LAST = 9  # the migration this file is about


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Everything a store holds that the migration could lose, read with plain SQLite."""
    conn = sqlite3.connect(path)
    try:
        return {
            "bodies": conn.execute(
                "SELECT message_id, fetched_at, raw FROM bodies ORDER BY message_id"
            ).fetchall(),
            "messages": conn.execute("SELECT * FROM messages ORDER BY id").fetchall(),
            "folders": conn.execute("SELECT * FROM folders ORDER BY id").fetchall(),
            "fts": conn.execute("SELECT rowid, * FROM messages_fts ORDER BY rowid").fetchall(),
            "pending": conn.execute("SELECT * FROM body_index_pending").fetchall(),
            "actions": conn.execute("SELECT * FROM actions").fetchall(),
            "components": conn.execute("SELECT * FROM component_versions").fetchall(),
        }
    finally:
        conn.close()


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(bodies)")]


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite3"
    shutil.copyfile(V8, path)
    assert _version(path) == RAW_LAST - 1
    return path


def test_the_upgrade_keeps_every_body_byte_for_byte(old_store: Path) -> None:
    before = _dump(old_store)
    assert len(before["bodies"]) == 8 and b"" in [raw for _id, _at, raw in before["bodies"]]
    store = Store(old_store)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert _columns(store.conn) == ["message_id", "fetched_at", "raw"]
    assert _dump(old_store) == before
    for message_id, _at, raw in before["bodies"]:
        assert store.body(message_id) == raw
    assert store.integrity_check() == "ok"
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    store.close()


def test_an_upgraded_store_works_as_before(old_store: Path) -> None:
    store = Store(old_store)
    assert [r.subject for r in store.search("quarterly")] == ["plain"]
    assert store.index_pending() == 1  # the body saved for the indexer is still found
    assert [r.subject for r in store.search("indexer")] == ["pending"]
    (binary,) = store.search("binary")
    store.remove_messages([binary.id])  # the body goes with its message (ON DELETE CASCADE)
    assert store.body(binary.id) is None
    assert store.conn.execute("SELECT count(*) FROM bodies").fetchone()[0] == 7
    store.close()


def test_opening_an_upgraded_store_again_changes_nothing(old_store: Path) -> None:
    Store(old_store).close()
    upgraded = _dump(old_store)
    Store(old_store).close()
    assert _dump(old_store) == upgraded
    conn = sqlite3.connect(old_store, isolation_level=None)
    conn.execute("BEGIN")  # the migration runs a second time
    run_migration(conn, MIGRATIONS[RAW_LAST - 1])
    conn.execute("COMMIT")
    conn.close()
    assert _dump(old_store) == upgraded


def _pages(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA page_count").fetchone()[0]
    finally:
        conn.close()


def test_the_upgrade_does_not_leave_the_store_file_grown_by_its_bodies(
    old_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old table is emptied as the new one fills, a step at a time, so the file ends
    about as large as it was (copied whole and then dropped, it grew by every body's bytes,
    left as free pages for good)."""
    monkeypatch.setattr(schema, "_MOVE_BYTES", 256 << 10)
    bodies = {2000 + i: bytes([i]) * (40 << 10) for i in range(100)}  # 4 MB in 100 bodies
    add_v8_bodies(old_store, bodies)
    before, pages_before = _dump(old_store), _pages(old_store)
    store = Store(old_store)
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    store.close()
    assert _dump(old_store) == before
    grown = (_pages(old_store) - pages_before) * page_size
    assert grown < sum(map(len, bodies.values())) // 4, grown


# A child upgrades the store and is killed (SIGKILL: no rollback, no cleanup) at a point
# of migration 9: when a statement starts, or inside the copy, after some of it was done.
_KILLED_AT = """
import os, signal, sqlite3, sys
from tuimail.core.store.schema import migrate
path, marker, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA foreign_keys = ON")
started = []
def trace(sql):
    started.clear()  # a kill inside a statement is inside that one
    if marker in sql:
        started.append(sql)
        if not steps:
            os.kill(os.getpid(), signal.SIGKILL)
def progress():
    if started and steps:
        os.kill(os.getpid(), signal.SIGKILL)
    return 0
conn.set_trace_callback(trace)
conn.set_progress_handler(progress, steps or 1)
migrate(conn)
sys.exit("the migration ended without reaching " + marker)
"""


@pytest.mark.parametrize(
    ("marker", "steps"),
    [
        ("INSERT OR IGNORE INTO bodies_v9", 10),  # in the middle of the copy
        ("DROP TABLE bodies", 0),
        ("ALTER TABLE bodies_v9", 0),
        ("PRAGMA user_version = 9", 0),
    ],
)
def test_a_migration_killed_midway_leaves_the_old_store_whole(
    old_store: Path, marker: str, steps: int
) -> None:
    before = _dump(old_store)
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_AT, str(old_store), marker, str(steps)],
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr.decode()
    assert _version(old_store) == RAW_LAST - 1
    assert _dump(old_store) == before
    store = Store(old_store)  # the next open upgrades it
    assert _columns(store.conn)[-1] == "raw"
    assert _dump(old_store) == before
    store.close()
