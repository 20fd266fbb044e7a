"""Bodies written through incremental blob I/O (tuimail.core.store.blobs) come back byte
for byte, whatever their size against the chunk and the streaming threshold, when saved,
replaced, copied or saved by a sync; a source that does not give the size it announced
leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.store import NewMessage, Store, blobs

HEAD = b"From: a@example.test\r\nSubject: big\r\n\r\n"


@pytest.fixture(scope="module")
def big() -> bytes:
    """A message over the threshold and over two chunks: 2.5 MB (no two chunks alike),
    made once."""
    return HEAD + b"".join(b"line %07d of the big one\r\n" % i for i in range(100_000))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.db")


def _ids(store: Store, n: int) -> list[int]:
    inbox = store.upsert_folder("a", "INBOX")
    return store.add_messages(inbox, [NewMessage(u, (), HEAD) for u in range(1, n + 1)])


def _statements(store: Store) -> list[str]:
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    return seen


def test_a_big_body_is_streamed_in_and_read_back_whole(store: Store, big: bytes) -> None:
    (mid,) = _ids(store, 1)
    seen = _statements(store)
    store.save_body(mid, big)
    assert any("zeroblob" in sql for sql in seen)  # not bound as one value
    assert store.body(mid) == big
    store.save_body(mid, big[:1000])  # replaced by a smaller one
    assert store.body(mid) == big[:1000]


def test_a_sync_saving_big_and_small_bodies_keeps_each(store: Store, big: bytes) -> None:
    ids = _ids(store, 3)
    items = [(ids[0], big), (ids[1], b""), (ids[2], HEAD + b"small\r\n")]
    assert store.save_bodies(items) == 3
    assert [store.body(i) for i in ids] == [raw for _i, raw in items]


def test_a_copied_big_body_is_the_same_bytes(store: Store, big: bytes) -> None:
    (mid,) = _ids(store, 1)
    store.save_body(mid, big)
    (copy,) = store.copy_messages([mid], store.create_local_folder("a", "Kept"))
    assert copy != mid and store.body(copy) == big


@pytest.mark.parametrize("given_size", [9, 11])
def test_a_source_of_the_wrong_size_leaves_the_old_body(store: Store, given_size: int) -> None:
    (mid,) = _ids(store, 1)
    store.save_body(mid, b"the old body")
    with pytest.raises(ValueError), store.transaction() as c:
        blobs.write_chunks(c, mid, 10, [b"x" * given_size], 0.0)
    assert store.body(mid) == b"the old body"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(0, 64), min_size=1, max_size=4),
    chunk=st.integers(1, 9),
    threshold=st.integers(0, 20),
)
def test_any_size_against_any_chunk_round_trips(
    monkeypatch: pytest.MonkeyPatch, sizes: list[int], chunk: int, threshold: int
) -> None:
    monkeypatch.setattr(blobs, "CHUNK", chunk)
    monkeypatch.setattr(blobs, "STREAM_ABOVE", threshold)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute(
            "CREATE TABLE bodies (message_id INTEGER PRIMARY KEY, "
            "fetched_at REAL NOT NULL, raw BLOB NOT NULL)"
        )
        bodies = {i + 1: bytes(range(size)) for i, size in enumerate(sizes)}
        for mid, raw in bodies.items():
            blobs.write(conn, mid, raw, 1.0)
        for mid in bodies:
            blobs.copy(conn, mid, mid + 100)
        for mid, raw in bodies.items():
            assert blobs.read(conn, mid) == raw == blobs.read(conn, mid + 100)
        assert blobs.read(conn, 999) is None
    finally:
        conn.close()
