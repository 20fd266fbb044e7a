"""A threaded folder after any sequence of mail arriving, leaving and moving in (replies,
missing parents arriving after their replies, Message-IDs twice or none, subjects that
group threads, dates shared): the tree updated in place is, after every step, exactly the
tree a full rebuild gives (rows, order, depth, collapsed threads), and the update did not
fall back to a full rebuild."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.store import NewMessage, Store
from tuimail.core.thread_list import ThreadSource

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

ids = st.integers(0, 7).map(lambda n: f"<k{n}@example.test>")
mail = st.fixed_dictionaries(
    {
        "mid": st.one_of(ids, st.just("")),
        "refs": st.lists(ids, max_size=3),
        "reply_to": st.one_of(st.just(""), ids),
        "subject": st.sampled_from(["a", "Re: a", "b", "Re: b", "Fwd: a", "[l] Re: b", ""]),
        "minutes": st.integers(0, 3),  # few dates: ties between threads
        "seen": st.booleans(),
    }
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.lists(mail, min_size=1, max_size=3)),
        st.tuples(st.just("leave"), st.lists(st.integers(0, 40), min_size=1, max_size=3)),
        st.tuples(st.just("move in"), st.integers(0, 40)),
        st.tuples(st.just("collapse"), st.integers(0, 40)),
    ),
    min_size=1,
    max_size=8,
)


def header(n: int, spec: dict) -> bytes:
    lines = [
        f"From: P{n} <p{n}@example.test>",
        f"Subject: {spec['subject']}",
        f"Date: {format_datetime(START + timedelta(minutes=spec['minutes']))}",
    ]
    if spec["mid"]:
        lines.append(f"Message-ID: {spec['mid']}")
    if spec["refs"]:
        lines.append(f"References: {' '.join(spec['refs'])}")
    if spec["reply_to"]:
        lines.append(f"In-Reply-To: {spec['reply_to']}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Folder:
    """A store with INBOX (threaded) and Other (where messages leave to, and come from)."""

    def __init__(self, path: Path) -> None:
        self.store = Store(path)
        self.store.account_id("a", "a@example.test")
        self.inbox = self._folder("INBOX")
        self.other = self._folder("Other")
        self.uid = 0

    def _folder(self, name: str) -> int:
        fid = self.store.upsert_folder("a", name, delimiter="/")
        return fid[0] if isinstance(fid, tuple) else fid

    def arrive(self, specs: list[dict]) -> None:
        batch = []
        for spec in specs:
            self.uid += 1
            flags = ("\\Seen",) if spec["seen"] else ()
            batch.append(NewMessage(uid=self.uid, flags=flags, header=header(self.uid, spec)))
        self.store.add_messages(self.inbox, batch)

    def ids(self, folder: int) -> list[int]:
        return sorted(self.store.message_ids(folder))


def _sets(index: dict) -> dict:
    return {k: {v} if isinstance(v, str) else set(v) for k, v in index.items()}


def same_tree(updated: ThreadSource, full: ThreadSource) -> None:
    assert updated.lines == full.lines
    assert updated.collapsed == full.collapsed
    assert [r.key for r in updated.roots] == [r.key for r in full.roots]
    assert updated._root_of == full._root_of
    assert {k: updated._members(k) for k in updated._roots} == {
        k: full._members(k) for k in full._roots
    }
    assert _sets(updated._index) == _sets(full._index)
    assert _sets(updated._bases) == _sets(full._bases)
    assert updated._replied == full._replied
    assert updated.stale() is False
    for message_id, key in updated._root_of.items():  # where the list finds a selection
        line = updated.lines[updated.row_of(message_id)]
        assert line.id == message_id or (line.collapsed and line.root == key)
    for key in updated._roots:  # a thread's first row, found by bisection
        assert updated.index_of(key) == next(
            i for i, line in enumerate(updated.lines) if line.root == key
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    first=st.lists(mail, max_size=10),
    changes=steps,
    reverse=st.booleans(),
    collapse_all=st.booleans(),
)
def test_a_tree_updated_in_place_is_the_tree_of_a_full_rebuild(
    first, changes, reverse, collapse_all
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Folder(Path(tmp) / "s.sqlite3")
        folder.arrive(first) if first else None
        shown = ThreadSource(folder.store, folder.inbox, reverse=reverse, collapse_all=collapse_all)
        for kind, what in changes:
            here = folder.ids(folder.inbox)
            if kind == "arrive":
                folder.arrive(what)
            elif kind == "leave" and here:
                folder.store.move_messages({here[i % len(here)] for i in what}, folder.other)
            elif kind == "move in" and folder.ids(folder.other):
                away = folder.ids(folder.other)
                folder.store.move_messages([away[what % len(away)]], folder.inbox)
            elif kind == "collapse" and shown.lines:
                shown.toggle(shown.lines[what % len(shown.lines)].root)
                continue
            else:
                continue
            updated = shown._updated()
            assert updated is not None  # small changes are never a full rebuild
            full = ThreadSource(
                folder.store,
                folder.inbox,
                reverse=reverse,
                collapsed=shown.collapsed,
                collapse_all=collapse_all,
            )
            same_tree(updated, full)
            shown = updated
        folder.store.close()
