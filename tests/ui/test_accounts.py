"""Two accounts: the unified inbox, and per-account status."""

from __future__ import annotations

from tests.ui.helpers import NOW, account_for, seed, settle, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import UNIFIED, MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.status import StatusBar


async def test_unified_inbox_across_accounts(mail_server):
    one, two = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, one, 2)
    seed(mail_server, two, 3)
    accounts = {
        "one": account_for(mail_server, one, "one"),
        "two": account_for(mail_server, two, "two"),
    }
    passwords = {"one": Secret(one.password), "two": Secret(two.password)}
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    app = TuimailApp(service, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        tree = app.main.query_one(FolderTree)
        labels = [str(n.label) for n in tree.root.children]
        assert labels[0].startswith("▸ All inboxes")
        assert {"one", "two"} <= set(labels)
        app.open_folder(UNIFIED, "INBOX")
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        assert lst.count == 5
        assert {lst.row_at(i).account for i in range(5)} == {"one", "two"}
        status = str(app.main.query_one(StatusBar).render())
        assert "one: up to date" in status and "two: up to date" in status


async def test_password_is_asked_once_in_a_dialog(mail_server):
    from textual.widgets import Input

    from tuimail.core import secrets
    from tuimail.ui.screens.dialogs import InputDialog

    user = mail_server.new_user()
    seed(mail_server, user, 1)
    account = account_for(mail_server, user, "asked")
    secrets.SESSION.forget(account)
    app = TuimailApp(MailService({"asked": account}, idle=False), now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog))
        dialog = app.screen
        assert dialog.password and "Password for" in dialog.prompt
        dialog.query_one(Input).value = user.password
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        assert app.main.query_one(MessageList).count == 1
    secrets.SESSION.forget(account)
