"""t shows JWZ thread trees: tree lines before the subject, threads by their latest
message, - collapses/opens a thread, = all of them; a collapsed thread shows its count and
whether it has unread mail; Ctrl+T tags a whole thread."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, running, seed, settle, wait_for
from tests.ui.thread_helpers import deliver_thread, message_list, threads_on, threads_shown
from tuimail.ui.widgets.message_list import MessageList


def _rows(app):
    lst = message_list(app)
    return [lst.row_at(i) for i in range(lst.count)]


def _text(lst: MessageList, index: int) -> str:
    return "".join(seg.text for seg in lst._render_row(lst.row_at(index), 120, False, False))


async def test_t_draws_the_tree_newest_thread_first(mail_server):
    async with threads_shown(mail_server) as (pilot, _user, lst):
        app = pilot.app
        rows = _rows(app)
        assert [r.subject for r in rows[:4]] == ["Release checklist"] + [
            "Re: Release checklist"
        ] * 3
        assert [r.tree for r in rows[:4]] == ["", "├─", "│ └─", "└─"]
        assert [r.sender.split()[0] for r in rows[:4]] == ["Ana", "Bob", "Ana", "Carol"]
        assert rows[0].thread_count == 4 and rows[0].thread_root
        # the lost parent: a placeholder row groups its two replies; no action touches it
        assert rows[4].subject == "" and rows[4].id < 0  # core: no words, a negative id
        assert "(message not here)" in _text(lst, 4)  # the list says what it is
        assert [r.tree for r in rows[5:]] == ["├─", "└─"]
        assert "▾ Release checklist" in _text(lst, 0)
        assert "│ └─ Re: Release checklist" in _text(lst, 2)
        lst.move_cursor(4)
        assert app.main.current_rows() == []
        await pilot.press("ctrl+o")  # reversed: the oldest thread first
        await wait_for(pilot, lambda: message_list(app).row_at(0).id < 0)
        await pilot.press("t")
        await settle(pilot)
        assert all(not r.tree and not r.thread_key for r in _rows(app))


async def test_minus_collapses_one_thread_and_equals_all_with_count_and_unread(mail_server):
    async with threads_shown(mail_server) as (pilot, _user, lst):
        app = pilot.app
        assert lst.count == 7
        lst.move_cursor(2)  # inside the first thread: - collapses the whole thread
        await pilot.press("minus")
        await settle(pilot)
        assert lst.count == 4 and lst.cursor == 0
        root = lst.row_at(0)
        assert root.collapsed and root.thread_count == 4 and root.thread_unread
        assert "▸ (4) Release checklist" in _text(lst, 0) and _text(lst, 0).startswith("●")
        # reading every message of it: the collapsed row loses its unread mark
        app.service.set_seen(lst.source.thread_members(root.id), True)
        lst.reload()
        await settle(pilot)
        assert not lst.row_at(0).thread_unread and not _text(lst, 0).startswith("●")
        await pilot.press("minus")  # open again
        await settle(pilot)
        assert lst.count == 7
        await pilot.press("equals_sign")  # every thread collapsed
        await settle(pilot)
        assert lst.count == 2 and all(lst.row_at(i).collapsed for i in range(2))
        await pilot.press("equals_sign")
        await settle(pilot)
        assert lst.count == 7


async def test_ctrl_t_in_the_tree_tags_the_whole_thread_and_d_deletes_it(mail_server):
    user = mail_server.new_user()
    deliver_thread(mail_server, user)
    seed(mail_server, user, 2)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        lst = await threads_on(pilot)
        index = next(i for i, r in enumerate(_rows(app)) if r.subject == "Release checklist")
        lst.move_cursor(index)
        await pilot.press("minus")  # collapsed: one row, four messages
        await settle(pilot)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: len(lst.tagged) == 4)
        await pilot.press("d")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Trash")) == 4, 20)
        await wait_for(pilot, lambda: all("Release" not in r.subject for r in _rows(app)))


async def test_threads_in_the_unified_inbox_span_accounts(mail_server):
    from tests.ui.helpers import account_for
    from tuimail.core.secrets import Secret
    from tuimail.core.service import UNIFIED, MailService
    from tuimail.ui.app import TuimailApp
    from tuimail.ui.settings import UiSettings

    alice, bob = mail_server.new_user(), mail_server.new_user()
    deliver_thread(mail_server, alice)
    seed(mail_server, bob, 2)
    accounts = {"a": account_for(mail_server, alice, "a"), "b": account_for(mail_server, bob, "b")}
    passwords = {"a": Secret(alice.password), "b": Secret(bob.password)}
    service = MailService(accounts, password_for=lambda acc: passwords[acc.name], idle=False)
    app = TuimailApp(service, ui=UiSettings(mark_read_delay=-1))
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: len(app.service.folder_names("b")) > 0, 30)
        app.open_folder(UNIFIED, "")
        await settle(pilot)
        lst = await threads_on(pilot)
        await wait_for(pilot, lambda: lst.count == 9, 30)  # 6 + a placeholder + 2
        assert {r.account for r in _rows(app) if r.id >= 0} == {"a", "b"}
        assert any(r.tree for r in _rows(app))


async def test_a_big_tree_is_rebuilt_off_the_ui_thread_after_a_delete(mail_server, monkeypatch):
    import tuimail.ui.app as app_module

    monkeypatch.setattr(app_module, "INLINE_THREADS", 0)  # every tree counts as big
    async with threads_shown(mail_server) as (pilot, _user, lst):
        app = pilot.app
        first = lst.source
        collapsed_key = lst.row_at(4).thread_key  # the lost parent's group
        first.toggle(collapsed_key)
        lst.reload()
        lst.move_cursor(1)  # Bob's reply
        await pilot.press("d")
        await wait_for(pilot, lambda: lst.source is not first and lst.count == 4, 30)
        rows = _rows(app)
        assert all(r.sender != "Bob Example" for r in rows if r.id >= 0)
        assert any(r.collapsed for r in rows)  # the collapsed thread stayed collapsed


async def test_the_placeholder_row_previews_and_opens_nothing(mail_server):
    # wide: the preview follows the cursor
    async with threads_shown(mail_server, size=(160, 30)) as (pilot, _user, lst):
        app = pilot.app
        index = next(i for i, r in enumerate(_rows(app)) if r.id < 0)
        lst.move_cursor(index)
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot)
        assert app.last_error == "" and not app.main.reading


async def test_sort_reverse_and_threads_keep_the_cursor_on_its_message(mail_server):
    """o, Ctrl+O and t show the folder in another order with the cursor still on the
    message it was on (as mutt does), not on the first row: the next key acts on it."""
    async with running(mail_server) as (pilot, _notes):
        app = pilot.app
        lst = message_list(app)
        lst.move_cursor(3)
        chosen = lst.current.id
        for key, shown in (
            ("o", lambda: app.sort == "sender"),
            ("ctrl+o", lambda: app.reverse),
            ("t", lambda: _is_tree(lst)),
            ("t", lambda: not _is_tree(lst)),
        ):
            await pilot.press(key)
            await wait_for(pilot, shown)
            await settle(pilot)
            assert lst.current is not None and lst.current.id == chosen, key
            assert lst.current.id == app.main.current_rows()[0].id


def _is_tree(lst: MessageList) -> bool:
    return type(lst.source).__name__ == "ThreadSource"
