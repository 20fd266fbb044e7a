"""New mail in a big threaded folder (rebuilt off the UI thread): a reply joins its
thread under its parent and the thread moves to where its newest message is; a parent
that arrives after its replies takes the placeholder's place; collapsed threads stay
collapsed; the selected message stays selected, even when its thread moves far; and
what is shown is the tree a fresh build of the folder gives."""

from __future__ import annotations

import pytest

from tests.ui.helpers import make_app, ready, settle, wait_for
from tests.ui.thread_helpers import deliver_reply, deliver_thread, threads_on, threads_shown
from tuimail.core.thread_list import ThreadSource
from tuimail.ui.widgets.message_list import MessageList


@pytest.fixture
def big_trees(monkeypatch):
    import tuimail.ui.app as app_module

    monkeypatch.setattr(app_module, "INLINE_THREADS", 0)  # every tree counts as big


def _rows(lst: MessageList):
    return [lst.row_at(i) for i in range(lst.count)]


def _as_built_afresh(lst: MessageList) -> None:
    shown = lst.source
    fresh = ThreadSource(
        shown.store,
        shown.folder,
        reverse=shown.reverse,
        collapsed=shown.collapsed,
        collapse_all=shown.collapse_all,
    )
    assert shown.lines == fresh.lines


async def _select(pilot, lst: MessageList, subject_of, wanted) -> None:
    index = next(i for i, r in enumerate(_rows(lst)) if wanted(r))
    lst.move_cursor(index - lst.cursor)
    await settle(pilot)
    assert subject_of(lst.current)


async def _sync_until(pilot, lst: MessageList, before: ThreadSource, count: int) -> None:
    await pilot.press("ctrl+r")  # sync now (no push in these tests)
    await wait_for(pilot, lambda: lst.source is not before and lst.count == count, 30)
    await settle(pilot)


async def test_a_reply_joins_its_thread_and_the_selection_and_collapsed_threads_stay(
    mail_server, big_trees
):
    async with threads_shown(mail_server) as (pilot, user, lst):
        first = lst.source
        first.toggle(lst.row_at(0).thread_key)  # "Release checklist" collapsed
        lst.reload(keep_cursor=False)
        await settle(pilot)
        assert lst.count == 4  # the collapsed thread, the placeholder and its two replies
        await _select(
            pilot,
            lst,
            lambda r: r.sender.startswith("Carol"),
            lambda r: r.depth == 1 and r.sender.startswith("Carol"),
        )
        selected = lst.current.id
        # Dave's o1 gets an answer, newer than anything: its group goes to the top.
        deliver_reply(
            mail_server,
            user,
            "o3",
            ["gone", "o1"],
            "Re: Lost parent",
            "Tue, 03 Mar 2026 09:00:00 +0000",
        )
        await _sync_until(pilot, lst, first, 5)
        rows = _rows(lst)
        assert rows[0].id < 0 and rows[0].subject == ""  # the placeholder
        assert [(r.tree, r.sender.split()[0]) for r in rows[1:4]] == [
            ("├─", "Dave"),
            ("│ └─", "Erin"),
            ("└─", "Carol"),
        ]
        assert rows[4].subject == "Release checklist" and rows[4].collapsed
        assert lst.current.id == selected  # Carol's reply, one row further down
        _as_built_afresh(lst)
        # the thread the reply cannot reach was not threaded again
        assert first.roots[0] in lst.source.roots


async def test_a_parent_arriving_after_its_replies_takes_the_placeholders_place(
    mail_server, big_trees
):
    async with threads_shown(mail_server) as (pilot, user, lst):
        first = lst.source
        assert lst.count == 7
        release = first.roots[0]
        first.toggle(release.key)  # "Release checklist" collapsed
        lst.reload(keep_cursor=False)
        await settle(pilot)
        await _select(
            pilot,
            lst,
            lambda r: r.sender.startswith("Carol"),
            lambda r: r.subject == "Re: Lost parent" and r.sender.startswith("Carol"),
        )
        selected = lst.current.id
        deliver_reply(
            mail_server, user, "gone", [], "Lost parent", "Fri, 27 Feb 2026 08:00:00 +0000"
        )
        await _sync_until(pilot, lst, first, 4)
        rows = _rows(lst)
        assert all(r.id >= 0 for r in rows)  # no placeholder left
        assert rows[0].collapsed and rows[0].thread_count == 4 and release in lst.source.roots
        assert [(r.tree, r.subject) for r in rows[1:]] == [
            ("", "Lost parent"),
            ("├─", "Re: Lost parent"),
            ("└─", "Re: Lost parent"),
        ]
        assert rows[1].sender.startswith("Erin") and rows[1].thread_count == 3
        assert lst.current.id == selected
        _as_built_afresh(lst)


async def test_the_selected_message_stays_selected_when_its_thread_moves_far(
    mail_server, big_trees
):
    user = mail_server.new_user()
    deliver_thread(mail_server, user)
    for n in range(60):  # newer one-message threads: the conversation is below them
        deliver_reply(
            mail_server,
            user,
            f"n{n}",
            [],
            f"Note {n}",
            f"Tue, 10 Mar 2026 {n // 60 + 8:02d}:{n % 60:02d}:00 +0000",
        )
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        lst = await threads_on(pilot)
        first = lst.source
        await _select(pilot, lst, lambda r: r.sender.startswith("Ana"), lambda r: r.depth == 2)
        selected, far = lst.current.id, lst.cursor
        assert far > 60
        deliver_reply(
            mail_server,
            user,
            "r4",
            ["q", "r3"],
            "Re: Release checklist",
            "Wed, 11 Mar 2026 09:00:00 +0000",
        )
        await _sync_until(pilot, lst, first, 68)
        assert lst.row_at(0).subject == "Release checklist"  # its thread on top now
        assert lst.cursor < 6 and lst.current.id == selected
        _as_built_afresh(lst)


async def test_mail_arriving_while_the_tree_is_updated_is_shown_too(
    mail_server, big_trees, monkeypatch
):
    import threading

    user = mail_server.new_user()
    deliver_thread(mail_server, user)
    app = make_app(mail_server, user)
    release = threading.Event()
    original = ThreadSource.successor

    def held(self):  # the first update, made, waits until more mail has come
        made = original(self)
        release.wait(30)
        return made

    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        lst = await threads_on(pilot)
        first = lst.source
        monkeypatch.setattr(ThreadSource, "successor", held)
        deliver_reply(
            mail_server,
            user,
            "r4",
            ["q", "r3"],
            "Re: Release checklist",
            "Tue, 03 Mar 2026 09:00:00 +0000",
        )
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: first.rebuilding, 30)
        deliver_reply(
            mail_server,
            user,
            "o3",
            ["gone", "o2"],
            "Re: Lost parent",
            "Wed, 04 Mar 2026 09:00:00 +0000",
        )
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: first.again, 30)  # noted while the first is made
        monkeypatch.setattr(ThreadSource, "successor", original)
        release.set()
        await wait_for(pilot, lambda: lst.count == 9, 30)  # both replies, not just the first
        await settle(pilot)
        assert sum(r.sender.startswith("Erin") for r in _rows(lst)) == 2
        _as_built_afresh(lst)


async def test_a_message_read_elsewhere_shows_read_in_a_big_tree(mail_server, big_trees):
    """No message came or went, only a flag changed on the server (read on another
    client): the worker finds nothing to thread again, and the row shown is repainted as
    read (a painted row is found by what it shows, so the old unread one is not reused)."""
    async with threads_shown(mail_server) as (pilot, user, lst):
        unread = [r for r in _rows(lst) if r.id > 0 and not r.seen]
        assert unread
        target = unread[0]
        index = _rows(lst).index(target)
        painted = "".join(s.text for s in lst.render_line(index - lst.scroll_offset.y))
        assert "●" in painted
        mail_server.store.store_flags(user.login, "INBOX", [target.uid], "+", ["\\Seen"])
        shown = lst.source
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: lst.row_at(index).seen, 30)
        await settle(pilot)
        assert lst.source is shown  # nothing came or went: the same tree
        assert lst.row_at(index).id == target.id
        painted = "".join(s.text for s in lst.render_line(index - lst.scroll_offset.y))
        assert "●" not in painted
