"""New mail in a threaded folder: the tree after it is the tree a full rebuild gives, and
only the threads the new mail can reach (by Message-ID, or by base subject where a
reply without references is involved) are threaded again; the others are kept as they
were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tuimail.core.store import NewMessage, Store
from tuimail.core.thread_list import ThreadSource

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def header(n: int, *, subject: str, minutes: int, refs: str = "", mid: str | None = None) -> bytes:
    """A header of message `n` (Message-ID <mN@example.test> unless `mid`; "" for none)."""
    threading = f"In-Reply-To: {refs.split()[-1]}\r\nReferences: {refs}\r\n" if refs else ""
    mid = f"<m{n}@example.test>" if mid is None else mid
    return (
        f"From: P{n} <p{n}@example.test>\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(START + timedelta(minutes=minutes))}\r\n"
        + (f"Message-ID: {mid}\r\n" if mid else "")
        + f"{threading}\r\n"
    ).encode()


@pytest.fixture
def folder(tmp_path):
    """A folder of three threads (one of them waiting for its missing first message)."""
    store = Store(tmp_path / "s.sqlite3")
    store.account_id("a", "a@example.test")
    fid = store.upsert_folder("a", "INBOX", delimiter="/", role="inbox")
    fid = fid[0] if isinstance(fid, tuple) else fid
    mails = [
        header(1, subject="Plans", minutes=0),
        header(2, subject="Re: Plans", minutes=5, refs="<m1@example.test>"),
        header(3, subject="Lunch", minutes=10),
        header(4, subject="Re: Budget", minutes=20, refs="<m99@example.test>"),
        header(5, subject="Re: Budget", minutes=25, refs="<m99@example.test>"),
        header(6, subject="Re: Plans", minutes=30, refs="<m1@example.test> <m2@example.test>"),
    ]
    store.add_messages(
        fid, [NewMessage(uid=i + 1, flags=(), header=h) for i, h in enumerate(mails)]
    )
    yield store, fid
    store.close()


def arrive(store: Store, fid: int, *headers: bytes) -> None:
    uid = store.count_messages(fid) + 100
    store.add_messages(
        fid, [NewMessage(uid=uid + i, flags=("\\Seen",), header=h) for i, h in enumerate(headers)]
    )


def same_tree(a: ThreadSource, b: ThreadSource) -> None:
    assert a.lines == b.lines
    assert {k: a._members(k) for k in a._roots} == {k: b._members(k) for k in b._roots}
    assert a._root_of == b._root_of
    assert a.stale() is False and b.stale() is False
    assert [a.rows(0, a.count())] == [b.rows(0, b.count())]


NEW_MAIL = {
    "a thread of its own, newest": [header(7, subject="Party", minutes=40)],
    "two threads of their own, between others": [
        header(7, subject="Tea", minutes=12),
        header(8, subject="Cake", minutes=3),
    ],
    "the oldest of all": [header(7, subject="Old news", minutes=-50)],
    "a reply": [header(7, subject="Re: Lunch", minutes=40, refs="<m3@example.test>")],
    "the same subject as a thread": [header(7, subject="Lunch", minutes=40)],
    "a reply by its subject only": [header(7, subject="Re: Lunch", minutes=40)],
    "the parent others waited for": [header(99, subject="Budget", minutes=15)],
    "a date equal to a thread's latest": [header(7, subject="Party", minutes=10)],
    "two of the same date": [
        header(7, subject="Party", minutes=40),
        header(8, subject="Games", minutes=40),
    ],
    "a Message-ID already here": [header(7, subject="Party", minutes=40, mid="<m3@example.test>")],
    "no Message-ID": [header(7, subject="Party", minutes=40, mid="")],
}
REACHES = {  # the threads (by root Message-ID) each kind of new mail is threaded again with
    "a reply": {"<m3@example.test>"},
    "a reply by its subject only": {"<m3@example.test>"},
    "the parent others waited for": {"<m99@example.test>"},
    "a Message-ID already here": {"<m3@example.test>"},
}


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("collapse_all", [False, True])
@pytest.mark.parametrize("kind", list(NEW_MAIL))
def test_the_tree_after_new_mail_is_the_tree_of_a_full_rebuild(
    folder, kind, reverse, collapse_all
) -> None:
    store, fid = folder
    shown = ThreadSource(store, fid, reverse=reverse, collapse_all=collapse_all)
    shown.toggle(shown.lines[0].root)
    arrive(store, fid, *NEW_MAIL[kind])
    assert shown.stale()
    after = shown.rebuilt()
    full = ThreadSource(
        store, fid, reverse=reverse, collapsed=shown.collapsed, collapse_all=collapse_all
    )
    same_tree(after, full)
    reached = REACHES.get(kind, set())
    now = {id(root) for root in after.roots}
    assert {root.key for root in shown.roots if id(root) not in now} == reached


def test_a_message_starting_its_own_thread_keeps_the_other_threads_as_they_were(folder) -> None:
    store, fid = folder
    shown = ThreadSource(store, fid)
    arrive(store, fid, header(7, subject="Party", minutes=40))
    after = shown.rebuilt()
    assert after.lines[0].id is not None and after.lines[0].count == 1
    assert after.lines[1:] == shown.lines
    kept = {id(root) for root in shown.roots}
    assert kept <= {id(root) for root in after.roots}  # not threaded again


def test_a_thread_collapsed_while_the_next_tree_was_built_stays_collapsed(folder) -> None:
    store, fid = folder
    shown = ThreadSource(store, fid)
    arrive(store, fid, header(7, subject="Re: Lunch", minutes=40, refs="<m3@example.test>"))
    after = shown.rebuilt()  # in the app: in a worker, while the user goes on
    shown.toggle("<m1@example.test>")  # "Plans" collapsed meanwhile
    after.follow(shown)
    full = ThreadSource(store, fid, collapsed={"<m1@example.test>"})
    same_tree(after, full)
    assert any(line.collapsed and line.root == "<m1@example.test>" for line in after.lines)


def test_the_successor_is_none_until_messages_come_or_go(folder) -> None:
    store, fid = folder
    shown = ThreadSource(store, fid)
    assert store.set_flags(fid, {1: ["\\Seen"]}) == 1
    assert shown.successor() is None  # flags are read with each page: no new tree
    arrive(store, fid, header(7, subject="Re: Plans", minutes=40, refs="<m1@example.test>"))
    after = shown.successor()
    assert after is not None
    same_tree(after, ThreadSource(store, fid))
