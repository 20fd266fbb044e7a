"""Audit of issue 8, "every action is in the command palette": the palette is driven as a
user drives it (Ctrl+P, type, Enter) and the action reaches the bundled server; on the
composer the palette offers the composer's actions, not the list's behind it."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from tests.ui.helpers import make_app, ready, run_from_palette, seed, settle, wait_for
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.main import MainScreen


async def test_mark_all_read_run_from_the_palette_reaches_the_server(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    seen = lambda: sum("\\Seen" in m.flags for m in mail_server.store.messages(user.login))  # noqa: E731
    async with app.run_test(size=(90, 30)) as pilot:  # narrow: no preview marks anything
        await ready(pilot)
        assert seen() == 0
        await run_from_palette(pilot, "Mark all read", confirm=True)
        await wait_for(pilot, lambda: seen() == 3, timeout=20)


async def test_composer_palette_has_the_composer_actions_only(mail_server):
    """Regression: the palette opened in the composer offered Delete, Move, Reply...
    (run on the list hidden behind it) and not Send, Save draft or $EDITOR."""
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Send", "Save draft", "$EDITOR"} <= titles, titles
        assert not {"Delete", "Move", "Reply", "Archive", "Mark all read"} & titles, titles
        screen = app.screen
        screen.query_one("#compose-to", Input).value = "carol@example.test"
        screen.query_one("#compose-subject", Input).value = "From the palette"
        screen.query_one("#compose-body", TextArea).text = "Saved by the command palette.\n"
        await run_from_palette(pilot, "Save draft")
        await wait_for(pilot, lambda: bool(mail_server.messages(user, "Drafts")), timeout=20)
        assert b"From the palette" in mail_server.messages(user, "Drafts")[0]
        assert len(mail_server.messages(user, "INBOX")) == 2  # nothing happened behind it
        assert isinstance(app.screen, ComposerScreen)
        # back on the list, the list's actions are there again
        main = app.main
        titles = {c.title for c in app.get_system_commands(main)}
        assert {"Delete", "Move", "Reply", "Mark all read"} <= titles
        assert isinstance(main, MainScreen)


async def test_palette_shows_the_remapped_key(mail_server):
    """A command's help text names the key that runs it after a [keys] remap."""
    user = mail_server.new_user()
    app = make_app(mail_server, user, sync=False)
    app._keymap = {"compose": "w"}
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Compose"].endswith("(w)"), helps["Compose"]
