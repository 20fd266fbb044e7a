"""Audit of issue 8: flows the earlier pilot tests reached only in part.

- search: the *local* full-text half on its own (offline, a word only in a cached body),
  which the server's SEARCH would otherwise hide;
- [keys]: composer and list bindings remapped too, and the help screen shows the new keys;
- mouse: the dialogs (folder picker option, confirmation button) work with clicks.
All against the bundled server over TLS.
"""

from __future__ import annotations

from textual.widgets import Input, OptionList, TextArea

from tests.ui.helpers import asking, make_app, ready, seed, settle, wait_for
from tuimail.core.facade.views import SEARCH
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.dialogs import ConfirmDialog, FolderPicker, HelpScreen
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane


def _list(app) -> MessageList:
    return app.main.query_one(MessageList)


def _reader_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.main.query_one(ReaderPane).children)


async def _search(pilot, query: str) -> None:
    app = pilot.app
    await pilot.press("slash")
    await wait_for(pilot, lambda: asking(app) is not None)
    asking(app).value = query
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.folder == SEARCH and app.search_title != "")
    await settle(pilot)


async def test_local_full_text_search_offline_finds_cached_bodies_only(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(90, 30)) as pilot:  # narrow: no preview downloads
        await ready(pilot)
        await pilot.press("j", "j", "j")
        assert _list(app).current.subject == "Re: Lunch on Thursday?"
        await pilot.press("enter")  # this one body, and only it, reaches the cache
        await wait_for(pilot, lambda: "Great, see you there." in _reader_text(app))
    store = app.service.store
    mail_server.stop()
    app = make_app(mail_server, user, store=store)
    async with app.run_test(size=(90, 30)) as pilot:
        await ready(pilot)
        assert app.service.states()["test"].state == "offline"
        await _search(pilot, "see you there")  # words of the cached body, not of a header
        lst = _list(app)
        assert lst.count == 1 and lst.row_at(0).subject == "Re: Lunch on Thursday?"
        assert app.sub_title == "Search: see you there (1)"
        await wait_for(pilot, lambda: "Searched this computer only" in app.last_error)
        # a body never downloaded cannot be found without the server (no silent guess)
        app.open_folder("test", "INBOX")
        await settle(pilot)
        await _search(pilot, "invoice below")
        assert _list(app).count == 0 and app.sub_title == "Search: invoice below (0)"
        # headers are in the local index too
        app.open_folder("test", "INBOX")
        await settle(pilot)
        await _search(pilot, "digest")
        assert [_list(app).row_at(0).subject] == ["[tuimail] Weekly digest"]


async def test_composer_and_list_keys_remap_and_help_shows_them(mail_server):
    user = mail_server.new_user()
    bob = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    app._keymap = {"composer.send": "f5", "list.down": "ctrl+n", "list.up": "ctrl+b"}
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lst = _list(app)
        await pilot.press("ctrl+n", "ctrl+n")
        assert lst.cursor == 2
        await pilot.press("ctrl+b")
        assert lst.cursor == 1
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = app.screen.rows
        assert ("f5", "Send (composer)", "composer.send") in rows, rows
        assert ("ctrl+n / ctrl+b", "Move in the list", "list.down / list.up") in rows, rows
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        screen.query_one("#compose-to", Input).value = bob.email
        screen.query_one("#compose-subject", Input).value = "Sent with F5"
        screen.query_one("#compose-body", TextArea).text = "Remapped.\n"
        await pilot.press("f5")
        raw = mail_server.wait_for_message(bob, lambda r: b"Sent with F5" in r, timeout=30)
        assert b"Remapped." in raw
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=20)


async def test_mouse_in_the_move_picker_and_the_confirmation(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        options = app.screen.query_one("#picker-list", OptionList)
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        target = names.index("Archive")
        assert target > 0  # not the option highlighted at the start
        y = target - options.scroll_offset.y + (options.content_region.y - options.region.y)
        assert await pilot.click("#picker-list", offset=(4, y))
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Archive")) == 1)
        await wait_for(pilot, lambda: _list(app).count == 1)
        # the confirmation answers a click on its Yes button
        app.open_folder("test", "Archive")
        await settle(pilot)
        if _list(app).current.seen:  # the preview read it: unread again, so A has work
            await pilot.press("U")
            await wait_for(pilot, lambda: not _list(app).current.seen)
        await pilot.press("A")  # mark all read asks first
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert await pilot.click("#yes")
        archived = lambda: mail_server.store.messages(user.login, "Archive")  # noqa: E731
        await wait_for(pilot, lambda: all("\\Seen" in m.flags for m in archived()), timeout=20)
