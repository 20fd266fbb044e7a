"""Thread trees (JWZ): real replies nest under what they answer, missing parents are kept as
placeholders, lost references fall back to the subject, and no input ever loops, vanishes or
appears twice."""

from __future__ import annotations

import email
from email import policy

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_FILES
from tuimail.core.threads import (
    ThreadInput,
    base_subject,
    build_threads,
    flatten,
    subject_parts,
)


def msg(i: int, refs: str = "", reply_to: str = "", subject: str = "s", date: float | None = None,
        unread: bool = False, mid: str | None = None) -> ThreadInput:  # fmt: skip
    return ThreadInput(
        i, f"<m{i}@x>" if mid is None else mid, reply_to, refs, subject,
        float(i if date is None else date), unread,
    )  # fmt: skip


def shape(roots) -> list:
    def node(n):
        own = n.item.id if n.item else None
        return (own, [node(c) for c in n.children]) if n.children else own

    return [node(r) for r in roots]


def test_replies_nest_and_threads_sort_by_latest_activity() -> None:
    roots = build_threads([
        msg(1, subject="Plan"),
        msg(2, "<m1@x>", "<m1@x>", "Re: Plan"),
        msg(3, "<m1@x> <m2@x>", "<m2@x>", "Re: Plan"),
        msg(4, subject="Other", date=2.5),
        msg(5, "<m1@x>", subject="Re: Plan", date=10),
    ])  # fmt: skip
    assert shape(roots) == [(1, [(2, [3]), 5]), 4]
    assert roots[0].count == 4 and roots[0].latest == 10


def test_in_reply_to_alone_is_enough_and_order_of_arrival_does_not_matter() -> None:
    roots = build_threads([msg(3, reply_to="<m2@x>"), msg(2, reply_to="<m1@x>"), msg(1)])
    assert shape(roots) == [(1, [(2, [3])])]


def test_a_missing_parent_is_a_placeholder_when_it_groups_several_replies() -> None:
    roots = build_threads([
        msg(1, "<gone@x>", subject="Re: a"),
        msg(2, "<gone@x>", subject="Re: a", date=5),
        msg(3, "<gone2@x>", subject="Re: b"),
    ])  # fmt: skip
    assert shape(roots) == [(None, [1, 2]), 3]  # the lone orphan is promoted


def test_references_that_loop_or_repeat_ids_never_lose_or_duplicate_a_message() -> None:
    roots = build_threads([
        msg(1, "<m2@x>"), msg(2, "<m1@x>"), msg(3, "<m3@x>"),
        msg(4, mid="<dup@x>"), msg(5, mid="<dup@x>"), msg(6, mid=""),
    ])  # fmt: skip
    ids = [line.id for line in flatten(roots) if line.id is not None]
    assert sorted(ids) == [1, 2, 3, 4, 5, 6]


def test_lost_references_fall_back_to_the_subject() -> None:
    roots = build_threads([
        msg(1, subject="Lunch?"),
        msg(2, subject="RE: Lunch?"),
        msg(3, subject="Aw: [team] lunch?"),
        msg(4, subject="[team] Lunch?"),  # a new post with a list tag is not a reply
    ])  # fmt: skip
    assert shape(roots)[0] == (1, [2, 3]) or shape(roots)[1] == (1, [2, 3])
    assert 4 in shape(roots)


def test_subject_prefixes() -> None:
    assert subject_parts("Re: [list] Fwd: Hello  World") == ("hello world", True)
    assert subject_parts("[list] Hello") == ("hello", False)
    assert subject_parts("Re[2]: x") == ("x", True)
    assert base_subject("Meeting: Tuesday") == "meeting: tuesday"


def test_flatten_draws_tree_lines_and_collapses() -> None:
    roots = build_threads([
        msg(1), msg(2, "<m1@x>", unread=True), msg(3, "<m1@x> <m2@x>"), msg(4, "<m1@x>"),
    ])  # fmt: skip
    lines = flatten(roots)
    assert [(line.id, line.prefix) for line in lines] == [
        (1, ""), (2, "├─"), (3, "│ └─"), (4, "└─"),
    ]  # fmt: skip
    shut = flatten(roots, collapse_all=True)
    assert len(shut) == 1 and shut[0].collapsed and shut[0].count == 4 and shut[0].has_unread
    key = roots[0].key
    assert len(flatten(roots, {key}, collapse_all=True)) == 4  # that one opened again


def test_every_corpus_message_appears_once() -> None:
    items = []
    for i, path in enumerate(CORPUS_FILES):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.compat32)
        items.append(
            ThreadInput(
                i,
                str(parsed.get("Message-ID", "") or ""),
                str(parsed.get("In-Reply-To", "") or ""),
                str(parsed.get("References", "") or ""),
                str(parsed.get("Subject", "") or ""),
                float(i),
            )
        )
    ids = [line.id for line in flatten(build_threads(items)) if line.id is not None]
    assert sorted(ids) == list(range(len(items)))


ids = st.integers(0, 30).map(lambda n: f"<m{n}@x>")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(ids, st.just(""), st.text(max_size=8)),
            st.lists(st.one_of(ids, st.text(max_size=5)), max_size=6),
            st.one_of(ids, st.just(""), st.text(max_size=10)),
            st.text(max_size=20),
        ),
        max_size=40,
    )
)
def test_any_references_give_a_forest_with_each_message_once(data) -> None:
    items = [
        ThreadInput(i, mid, reply_to, " ".join(refs), subject, float(i))
        for i, (mid, refs, reply_to, subject) in enumerate(data)
    ]
    lines = flatten(build_threads(items))
    assert sorted(line.id for line in lines if line.id is not None) == list(range(len(items)))


def test_trees_come_without_cycles_so_a_dropped_tree_is_freed_at_once() -> None:
    """The app keeps a big tree out of the cyclic collector's walks (frozen): that is only
    safe if a tree it drops is freed by reference counting, i.e. has no parent links left.
    Replies, a missing parent and a subject-grouped pair are all in it."""
    import gc

    items = [msg(0)]
    for i in range(1, 3000):
        parent = i - 1 if i % 10 else i + 100_000  # every tenth answers a missing message
        items.append(msg(i, refs=f"<m{parent}@x>", reply_to=f"<m{parent}@x>", subject="Re: s"))
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    try:
        roots = build_threads(items)
        assert all(node.parent is None for root in roots for node in root.walk())
        del roots
        assert gc.collect() < 100  # a tree with cycles would leave its ~3,000 nodes here
    finally:
        if was_on:
            gc.enable()


def test_messages_of_the_same_second_order_as_the_flat_list_newest_id_first() -> None:
    """With threads on, messages dated in the same second came out oldest first (the
    store's order), while the flat list (date, then id, newest first) shows them newest
    first: the two views disagreed. Replies of one second keep reading oldest first."""
    same = [msg(i, subject=f"s{i}", date=100) for i in (1, 2, 3)]
    assert shape(build_threads(same)) == [3, 2, 1]
    assert shape(build_threads(list(reversed(same)))) == [3, 2, 1]
    # A thread whose newest message ties another thread's: the newer id comes first.
    roots = build_threads([
        msg(1, subject="a", date=50), msg(2, subject="b", date=100),
        msg(5, "<m1@x>", "<m1@x>", "Re: a", date=100),
        msg(4, "<m1@x>", "<m1@x>", "Re: a", date=100),
    ])  # fmt: skip
    assert shape(roots) == [(1, [4, 5]), 2]
