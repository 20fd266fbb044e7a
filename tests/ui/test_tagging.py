"""Tagging (Space, v, T, Ctrl+T) and bulk actions on the tagged rows, undone in one go."""

from __future__ import annotations

from tests.ui.helpers import (
    account_for,
    asking,
    make_app,
    ready,
    run_from_palette,
    seed,
    settle,
    wait_for,
)
from tuimail.core.facade.views import SEARCH
from tuimail.core.secrets import Secret
from tuimail.core.service import UNIFIED, MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.dialogs import FolderPicker
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.settings import UiSettings
from tuimail.ui.widgets.message_list import TAG_MARK, MessageList


def _list(app) -> MessageList:
    return app.main.query_one(MessageList)


def _subjects(server, user, folder: str = "INBOX") -> set[str]:
    out = set()
    for raw in server.messages(user, folder):
        for line in raw.splitlines():
            if line.startswith(b"Subject: "):
                out.add(line[9:].decode())
    return out


async def _answer(pilot, text: str) -> None:
    await wait_for(pilot, lambda: asking(pilot.app) is not None)
    asking(pilot.app).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_space_tags_three_and_d_deletes_them_and_u_brings_all_back(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lst = _list(app)
        await pilot.press("space", "space", "space")
        assert len(lst.tagged) == 3 and lst.cursor == 3
        tagged = {r.subject for r in lst.tagged_rows()}
        assert "3 tagged" in app.sub_title
        await pilot.press("d")
        await wait_for(pilot, lambda: _subjects(mail_server, user, "Trash") == tagged, 20)
        assert not lst.tagged and lst.count == 3  # the tags have served; the rest stays
        await pilot.press("u")
        await wait_for(pilot, lambda: not mail_server.messages(user, "Trash"), 20)
        await wait_for(pilot, lambda: tagged <= _subjects(mail_server, user))
        await wait_for(pilot, lambda: lst.count == 6)


async def test_v_selects_a_range_and_s_flags_it_and_u_unflags_it(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    flagged = lambda: sum("\\Flagged" in m.flags for m in mail_server.store.messages(user.login))  # noqa: E731
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lst = _list(app)
        await pilot.press("j", "v", "j", "j", "j")
        assert len(lst.tagged) == 4 and lst.selecting
        await pilot.press("k")  # the range follows the cursor back
        assert len(lst.tagged) == 3
        await pilot.press("v")
        assert not lst.selecting and len(lst.tagged) == 3
        await pilot.press("s")
        await wait_for(pilot, lambda: flagged() == 3, 20)
        await pilot.press("u")
        await wait_for(pilot, lambda: flagged() == 0, 20)


async def test_T_tags_what_a_search_finds_and_m_moves_them_in_one_undo(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lst = _list(app)
        await pilot.press("T")
        await _answer(pilot, "lunch")
        await wait_for(pilot, lambda: len(lst.tagged) == 2)
        assert {r.subject for r in lst.tagged_rows()} == {
            "Lunch on Thursday?",
            "Re: Lunch on Thursday?",
        }
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        await pilot.press(*"Archive")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                _subjects(mail_server, user, "Archive")
                == {"Lunch on Thursday?", "Re: Lunch on Thursday?"}
            ),
            20,
        )
        await pilot.press("u")
        await wait_for(pilot, lambda: not mail_server.messages(user, "Archive"), 20)
        await wait_for(pilot, lambda: len(mail_server.messages(user)) == 6)


async def test_escape_clears_the_tags_before_it_goes_back(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("space", "space")
        await pilot.press("escape")
        await settle(pilot)
        assert not _list(app).tagged and isinstance(app.screen, MainScreen)
        assert "tagged" not in app.sub_title


async def test_ctrl_t_tags_the_thread_and_a_tagged_row_shows_the_mark(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)  # "Re: Lunch on Thursday?" has the same subject base
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lst = _list(app)
        index = next(i for i in range(lst.count) if lst.row_at(i).subject == "Lunch on Thursday?")
        lst.move_cursor(index)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: len(lst.tagged) >= 1)
        assert lst.row_at(index).id in lst.tagged
        strip = lst.render_line(index - lst.scroll_offset.y)
        assert TAG_MARK in "".join(seg.text for seg in strip)
        await pilot.press("ctrl+t")  # again: untagged
        await wait_for(pilot, lambda: not lst.tagged)


async def test_bulk_delete_in_search_results_and_the_unified_inbox(mail_server):
    alice, bob = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, alice, 3)
    seed(mail_server, bob, 3)
    accounts = {
        "a": account_for(mail_server, alice, "a"),
        "b": account_for(mail_server, bob, "b"),
    }
    passwords = {"a": Secret(alice.password), "b": Secret(bob.password)}
    service = MailService(accounts, password_for=lambda acc: passwords[acc.name], idle=False)
    app = TuimailApp(service, ui=UiSettings(mark_read_delay=-1))
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: len(app.service.folder_names("b")) > 0, 30)
        app.open_folder(UNIFIED, "")
        await settle(pilot)
        lst = _list(app)
        await wait_for(pilot, lambda: lst.count == 6, 30)
        await pilot.press(*["space"] * 6)
        assert {r.account for r in lst.tagged_rows()} == {"a", "b"}
        await pilot.press("d")  # both accounts' rows, one batch
        await wait_for(
            pilot,
            lambda: not mail_server.messages(alice) and not mail_server.messages(bob),
            30,
        )
        await pilot.press("u")  # one undo brings back both accounts' messages
        await wait_for(
            pilot,
            lambda: len(mail_server.messages(alice)) == 3 and len(mail_server.messages(bob)) == 3,
            30,
        )
        await pilot.press("slash")
        await _answer(pilot, "lunch")
        await wait_for(pilot, lambda: app.folder == SEARCH and lst.count >= 2, 20)
        await pilot.press(*["space"] * lst.count)
        await pilot.press("a")
        await wait_for(
            pilot,
            lambda: (
                len(mail_server.messages(alice, "Archive")) == 2
                and len(mail_server.messages(bob, "Archive")) == 2
            ),
            30,
        )


async def test_tagging_and_bulk_actions_are_in_the_palette_and_help(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await run_from_palette(pilot, "Tag / untag message")
        await run_from_palette(pilot, "Tag / untag message")
        assert len(_list(app).tagged) == 2
        ids = {row[2] for row in app.help_rows()}
        assert {"list.tag", "list.visual", "tag_pattern", "tag_thread", "pipe"} <= ids
        assert {"save_message", "shell"} <= ids
