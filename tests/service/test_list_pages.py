"""The message list's pages: a folder sorted by sender, subject or size is sorted once
(its ids) and read page by page by id (issue 19: sorting 100,000 messages again for every
page stalled the app for most of a second). The pages must be exactly the store's own
sorted pages, in both directions, ties included."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.service import STORE_SORTS, StoreSource, view_row
from tuimail.core.store import NewMessage, Store

NAMES = ["alice", "Alice", "bob", "Zoe", "émile", ""]
message = st.tuples(
    st.sampled_from(NAMES),  # sender: equal names tie, case is ignored by the sort
    st.sampled_from(["hello", "Hello", "re: x", "zz", ""]),
    st.integers(0, 5),  # size: many ties
    st.integers(0, 3),  # date: many ties
)


def _fill(store: Store, messages: list[tuple[str, str, int, int]]) -> int:
    folder = store.upsert_folder("a", f"F{next(_numbers)}", delimiter="/")
    store.add_messages(
        folder,
        [
            NewMessage(
                uid=i + 1,
                flags=(),
                header=(
                    f"From: {name or 'x'} <{name or 'x'}{i}@example.test>\r\n"
                    f"Subject: {subject}\r\nMessage-ID: <p{i}@example.test>\r\n"
                    f"Date: Mon, 1 Jan 2024 10:0{date}:00 +0000\r\n\r\n"
                ).encode(),
                size=size * 100,
            )
            for i, (name, subject, size, date) in enumerate(messages)
        ],
    )
    return folder


_numbers = itertools.count()


@pytest.fixture(scope="module")
def store():
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.db")
        yield store
        store.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(messages=st.lists(message, min_size=0, max_size=30), page=st.integers(1, 7))
def test_pages_by_sorted_ids_are_the_stores_sorted_pages(store, messages, page) -> None:
    folder = _fill(store, messages)
    for sort, store_sort in STORE_SORTS.items():
        expected = [view_row(r) for r in store.message_rows(folder, 0, 1000, store_sort)]
        for reverse in (False, True):
            source = StoreSource(store, folder, sort, reverse=reverse)
            assert source.count() == len(messages)
            pages = [
                row for offset in range(0, len(messages), page) for row in source.rows(offset, page)
            ]
            want = list(reversed(expected)) if reverse else expected
            assert [r.id for r in pages] == [r.id for r in want], (sort, reverse)
            assert pages == want


def test_without_keeps_the_order_less_the_messages_gone_and_sorts_only_once(store) -> None:
    """After the user's own archive or delete the list is re-read at once: a sort without
    index keeps the order it had, less the messages that left, instead of sorting the
    whole folder again on the UI thread; the next re-read sorts afresh."""
    folder = _fill(store, [(name, "s", 1, 1) for name in ("dan", "Bea", "carl", "al")])
    source = StoreSource(store, folder, "sender")
    assert source.count() == 4
    first = [r.sender for r in source.rows(0, 10)]
    assert first == sorted(first, key=str.lower)
    gone = source.rows(1, 1)[0]
    sorts: list[int] = []
    message_ids = store.message_ids
    store.message_ids = lambda *a: sorts.append(1) or message_ids(*a)
    try:
        after = source.without([gone.id])
        assert after.count() == 3 and not sorts
        assert [r.sender for r in after.rows(0, 10)] == [s for s in first if s != gone.sender]
        after.count()
        assert sorts == [1]
    finally:
        del store.message_ids


def test_the_row_found_for_the_cursor_is_the_row_then_read(store) -> None:
    """Another sort keeps the cursor on its message (row_of, then the list's read): the
    order the row was found in is the order read after it, sorted once, so mail that
    came in between cannot put another message on that row."""
    folder = _fill(store, [(name, "s", 1, 1) for name in ("dan", "bea", "carl")])
    source = StoreSource(store, folder, "sender")
    carl = next(r for r in StoreSource(store, folder, "sender").rows(0, 10) if r.sender == "carl")
    sorts: list[int] = []
    message_ids = store.message_ids
    store.message_ids = lambda *a: sorts.append(1) or message_ids(*a)
    try:
        row = source.row_of(carl.id)
        store.add_messages(  # sorts first by sender: would push carl a row down
            folder,
            [NewMessage(99, (), b"From: aaron <a@example.test>\r\nSubject: s\r\n\r\n", 100)],
        )
        assert source.count() == 3 and sorts == [1]
        assert source.rows(row, 1)[0].id == carl.id
        assert source.count() == 4  # the next re-read sorts afresh
    finally:
        del store.message_ids


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(dates=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=1, max_size=20))
def test_a_messages_row_by_date_is_counted_where_the_list_reads_it(store, dates) -> None:
    """By date the row of the cursor's message is counted on the index (the list asks on
    the UI thread when its message moved far), not read off the whole order: it is the row
    the pages show it on, ties and messages without a date included, in both directions."""
    folder = store.upsert_folder("a", f"D{next(_numbers)}", delimiter="/")
    store.add_messages(
        folder,
        [
            NewMessage(
                uid=i + 1,
                flags=(),
                header=(
                    f"Subject: d{i}\r\n"
                    + (f"Date: Mon, 1 Jan 2024 10:0{date}:00 +0000\r\n" if date is not None else "")
                    + "\r\n"
                ).encode(),
                size=100,
            )
            for i, date in enumerate(dates)
        ],
    )
    sorts: list[int] = []
    message_ids = store.message_ids
    store.message_ids = lambda *a: sorts.append(1) or message_ids(*a)
    try:
        for reverse in (False, True):
            source = StoreSource(store, folder, "date", reverse=reverse)
            shown = [r.id for r in source.rows(0, 100)]
            assert [source.row_of(i) for i in shown] == list(range(len(dates)))
            assert source.row_of(-5) is None
        assert not sorts
    finally:
        del store.message_ids
