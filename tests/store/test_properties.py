"""Property tests (hypothesis) for the store's bookkeeping and the UID-set helpers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.imap.sync import parse_uid_set, uid_set
from tuimail.core.store import NewMessage, Store


@given(st.lists(st.integers(min_value=1, max_value=5000), max_size=200))
def test_uid_set_round_trip(uids: list[int]) -> None:
    assert parse_uid_set(uid_set(uids)) == sorted(set(uids))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.lists(st.integers(1, 60), max_size=10), st.booleans()),
        st.tuples(st.just("remove"), st.lists(st.integers(1, 60), max_size=10), st.booleans()),
        st.tuples(st.just("flags"), st.lists(st.integers(1, 60), max_size=10), st.booleans()),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(operations)
def test_store_matches_a_model_after_any_sequence(ops) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.db")
        folder = store.upsert_folder("a", "INBOX", role="inbox")
        model: dict[int, bool] = {}  # uid -> seen
        for kind, uids, seen in ops:
            flags = ("\\Seen",) if seen else ()
            if kind == "add":
                store.add_messages(
                    folder, [NewMessage(u, flags, b"Subject: s%d\r\n" % u) for u in uids]
                )
                for u in uids:
                    model[u] = seen
            elif kind == "remove":
                store.remove_uids(folder, uids)
                for u in uids:
                    model.pop(u, None)
            else:
                store.set_flags(folder, {u: flags for u in uids})
                for u in uids:
                    if u in model:
                        model[u] = seen
        assert store.uid_flags(folder).keys() == model.keys()
        assert store.count_messages(folder) == len(model)
        assert store.count_messages(folder, "unread") == sum(1 for s in model.values() if not s)
        store.index_headers()  # a sync leaves its rows to the header indexer
        fts = store.conn.execute("SELECT count(*) FROM messages_fts").fetchone()[0]
        assert fts == len(model)
        assert store.integrity_check() == "ok"
        store.close()


_ODD_NUMBERS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=300, deadline=None)
@given(_ODD_NUMBERS, _ODD_NUMBERS, _ODD_NUMBERS)
def test_a_row_holds_only_what_sqlite_can_and_sane_dates(size, modseq, internaldate) -> None:
    """The insert path's shortcuts for the usual types decide as the general checks do."""
    from tuimail.core.date_notes import NOTE_NO_DATE
    from tuimail.core.store.headers import HeaderSummary, sane_date
    from tuimail.core.store.store import MAX_SIZE, NOTE_SIZE, _modseq, _row_values

    msg = NewMessage(7, (), b"Subject: x\r\n", size, internaldate, modseq)
    row = _row_values(1, msg, HeaderSummary(), ("", 0, 0, 0, 0))
    assert row[7] == _modseq(modseq)
    assert row[8] == sane_date(internaldate) and row[9] == row[8]
    expected = size if isinstance(size, int) else 0
    assert row[10] == min(max(expected, 0), MAX_SIZE)
    cut = not 0 <= expected <= MAX_SIZE
    # a note when cut; else, no Date header: listed by its arrival (tuimail.core.date_notes)
    assert row[-2] == (NOTE_SIZE if cut else NOTE_NO_DATE)
