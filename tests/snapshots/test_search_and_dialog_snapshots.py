"""More snapshots: the search box and its results (a virtual folder), the password dialog,
and the folder dialogs. Same conventions as test_snapshots.py (fixed sizes, demo messages
with fixed dates, a fixed clock, no push connection, cursors not blinking, workers awaited).
Update after a reviewed rendering change:
pytest tests/snapshots/test_search_and_dialog_snapshots.py --snapshot-update
"""

from __future__ import annotations

from tests.snapshots.helpers import steady
from tests.ui.helpers import NOW, account_for, asking, make_app, seed, wait_for
from tuimail.core import secrets
from tuimail.core.facade.views import SEARCH
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.dialogs import ConfirmDialog, InputDialog
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList


async def _no_blink(pilot) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


class TestSearch:
    """One line (the status bar's, as mutt asks); the results replace the list as a
    virtual folder."""

    def test_search_box(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)

        async def typed(pilot) -> None:
            await steady(pilot)
            await pilot.press("slash")
            await wait_for(pilot, lambda: asking(pilot.app) is not None)
            await pilot.press(*"lunch")
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(100, 24), run_before=typed)

    def test_search_results(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)
        app = make_app(mail_server, user)

        async def results(pilot) -> None:
            await steady(pilot)
            await pilot.press("slash")
            await wait_for(pilot, lambda: asking(app) is not None)
            await pilot.press(*"lunch", "enter")
            await wait_for(pilot, lambda: app.folder == SEARCH)
            await steady(pilot)
            # the results, with their folder; a search marks nothing read
            lst = app.main.query_one(MessageList)
            await wait_for(pilot, lambda: lst.count == 2)
            await steady(pilot)

        assert snap_compare(app, terminal_size=(120, 30), run_before=results)


class TestDialogs:
    """The password asked once per session (no keyring), and folder management."""

    def test_password_dialog(self, snap_compare, mail_server):
        user = mail_server.new_user()
        account = account_for(mail_server, user, "asked")
        secrets.SESSION.forget(account)
        app = TuimailApp(MailService({"asked": account}, idle=False), now=NOW)

        async def asked(pilot) -> None:
            # the sync worker waits for the answer: do not wait for workers here
            await wait_for(pilot, lambda: isinstance(app.screen, InputDialog), timeout=20)
            await wait_for(
                pilot, lambda: app.service.states()["asked"].state == "syncing", timeout=20
            )
            app.update_status()
            await pilot.pause(0.2)
            await _no_blink(pilot)

        try:
            assert snap_compare(app, terminal_size=(100, 24), run_before=asked)
        finally:
            secrets.SESSION.forget(account)

    def test_new_folder_dialog(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 2)

        async def new_folder(pilot) -> None:
            await steady(pilot)
            await pilot.press("N")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputDialog))
            await pilot.press(*"Projects")
            await steady(pilot)

        assert snap_compare(
            make_app(mail_server, user), terminal_size=(100, 24), run_before=new_folder
        )

    def test_delete_folder_confirmation(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 2)
        mail_server.store.create_folder(user.login, "Projects")
        app = make_app(mail_server, user)

        async def confirm(pilot) -> None:
            await steady(pilot)
            tree = app.main.query_one(FolderTree)
            tree.focus()
            tree.move_cursor(tree._folder_nodes[("test", "Projects")])  # highlighted only
            await steady(pilot)
            await pilot.press("D")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await steady(pilot)

        assert snap_compare(app, terminal_size=(100, 24), run_before=confirm)
