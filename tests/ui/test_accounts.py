"""Two accounts: the unified inbox, and per-account status."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import NOW, account_for, run_from_palette, seed, settle, wait_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.facade.views import SEARCH
from tuimail.core.secrets import Secret
from tuimail.core.service import UNIFIED, MailService, inbox_of
from tuimail.core.store import NewMessage, Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.status import StatusBar


def two_accounts_app(mail_server, users: dict) -> TuimailApp:
    """The app over one account per named user of the bundled server (no IDLE)."""
    accounts = {name: account_for(mail_server, user, name) for name, user in users.items()}
    passwords = {name: Secret(user.password) for name, user in users.items()}
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    return TuimailApp(service, now=NOW)


async def test_unified_inbox_across_accounts(mail_server):
    one, two = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, one, 2)
    seed(mail_server, two, 3)
    app = two_accounts_app(mail_server, {"one": one, "two": two})
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
        # m / y in the unified inbox: the question names the account of the folders listed
        from tuimail.ui.screens.dialogs import FolderPicker

        lst.focus()
        lst.move_cursor(next(i for i in range(5) if lst.row_at(i).account == "two"))
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        assert app.screen.title_text == "Move to a folder of two:"
        await pilot.press("escape")


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


async def test_search_results_name_account_and_folder_cut_from_the_left(mail_server):
    """Regression: with two accounts the search results showed only the last part of
    the folder's name ("python" for Lists/python) and no account. They show
    account/folder, shortened from the left so the folder's own name stays."""
    from tests.ui.helpers import asking, sample
    from tuimail.ui.widgets.message_list import where

    one, two = mail_server.new_user(), mail_server.new_user()
    mail_server.store.create_folder(two.login, "Lists")
    mail_server.store.create_folder(two.login, "Lists/python")
    mail_server.deliver(one, sample(1, "Ann <ann@example.org>", "kiwi one", "Hi.\n", to=one.email))
    mail_server.deliver(
        two,
        sample(2, "Bob <bob@example.org>", "kiwi two", "Hi.\n", to=two.email),
        folder="Lists/python",
    )
    app = two_accounts_app(mail_server, {"home": one, "workplace": two})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        await pilot.press("slash")
        await wait_for(pilot, lambda: asking(app) is not None)
        await pilot.press(*"kiwi", "enter")
        await wait_for(pilot, lambda: app.folder == SEARCH)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 2, timeout=10)
        await settle(pilot)
        lines = ["".join(s.text for s in lst.render_line(i)) for i in range(2)]
        home = next(line for line in lines if "kiwi one" in line)
        work = next(line for line in lines if "kiwi two" in line)
        assert "home/INBOX" in home, lines
        assert "workp" in work and "…/python" in work, lines
    # the rule itself, at the widths a column gets
    assert where("work", "INBOX", 16) == "work/INBOX"
    assert where("work", "Lists/python", 16) == "work/…/python"
    assert where("workplace", "Lists/python", 10) == "wo…/python"
    assert where("workplace", "Lists/python", 18) == "workplace/…/python"
    assert where("", "Lists/python", 8) == "…/python"
    assert where("a", "Averyveryverylongname", 8) == "…ongname"


def _standing_in_app(tmp_path: Path):
    """Two accounts never contacted; only the second one's INBOX is in the store (the
    first one's first sync has not listed its folders yet)."""
    store = Store(tmp_path / "s.db")
    second = store.upsert_folder("second", "INBOX", delimiter="/", role="inbox")
    store.add_messages(second, [NewMessage(i, (), _header(i, "second")) for i in (1, 2)])
    accounts = {
        name: Account(
            name=name,
            email=f"{name}@example.test",
            incoming=ServerSettings("127.0.0.1", 9, "tls"),
            outgoing=ServerSettings("127.0.0.1", 9, "tls"),
        )
        for name in ("first", "second")
    }
    service = MailService(accounts, password_for=lambda a: Secret("x"), idle=False, store=store)
    return TuimailApp(service, start_sync=False), store


def _header(i: int, account: str) -> bytes:
    return (
        f"From: A <a@x.test>\r\nSubject: {account} {i}\r\nMessage-ID: <{account}{i}@x.test>\r\n"
        f"Date: Mon, 1 Jan 2024 10:0{i}:00 +0000\r\n\r\n"
    ).encode()


async def test_the_first_accounts_inbox_opens_once_its_folders_are_listed(tmp_path):
    """First run with several accounts: another account's inbox stands in while the first
    account (in the config's order) is still listing its folders, and gives way to the
    first one's inbox when it arrives, unless the user already moved (as mutt and aerc
    open the first account). Before, the inbox listed first (a POP3 account's, local at
    once) stayed open."""
    app, store = _standing_in_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.account == "second")
        await settle(pilot)
        first = store.upsert_folder("first", "INBOX", delimiter="/", role="inbox")
        store.add_messages(first, [NewMessage(1, (), _header(1, "first"))])
        app.refresh_folders()
        await wait_for(pilot, lambda: app.account == "first" and app.folder == "INBOX")


async def test_the_standing_in_inbox_stays_once_the_user_moved(tmp_path):
    app, store = _standing_in_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.account == "second")
        await settle(pilot)
        await pilot.press("j")
        first = store.upsert_folder("first", "INBOX", delimiter="/", role="inbox")
        store.add_messages(first, [NewMessage(1, (), _header(1, "first"))])
        app.refresh_folders()
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert app.account == "second" and app.main.query_one(MessageList).cursor == 1


async def test_the_palette_opens_all_inboxes(mail_server):
    """With several accounts the tree's "All inboxes" is in the command palette too, as
    every other folder is ("Open folder All inboxes")."""
    one, two = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, one, 2)
    seed(mail_server, two, 1)
    app = two_accounts_app(mail_server, {"one": one, "two": two})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        await run_from_palette(pilot, "Open folder All inboxes")
        await wait_for(pilot, lambda: app.account == UNIFIED)
        await wait_for(pilot, lambda: app.main.query_one(MessageList).count == 3)


async def test_leaving_a_search_with_nowhere_to_go_back_opens_the_first_accounts_inbox(
    tmp_path,
):
    """Esc/q in search results that have no folder to go back to open the inbox of the
    first account in the config (as the app does at start), not the first listed one."""
    store = Store(tmp_path / "s.db")
    for name in ("zed", "alpha"):  # only alpha's server marks its inbox (\\Inbox)
        role = "inbox" if name == "alpha" else None
        folder = store.upsert_folder(name, "INBOX", delimiter="/", role=role)
        store.add_messages(folder, [NewMessage(1, (), _header(1, name))])
    accounts = {
        name: Account(
            name=name,
            email=f"{name}@example.test",
            incoming=ServerSettings("127.0.0.1", 9, "tls"),
            outgoing=ServerSettings("127.0.0.1", 9, "tls"),
        )
        for name in ("zed", "alpha")  # the config's order: zed first
    }
    service = MailService(accounts, password_for=lambda a: Secret("x"), idle=False, store=store)
    app = TuimailApp(service, start_sync=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.account == "zed")
        assert inbox_of(app._folder_infos).account == "alpha"  # else this tests nothing
        app.open_folder("alpha", "INBOX")
        await wait_for(pilot, lambda: app.account == "alpha")
        app.before_search = None
        app.leave_search()
        await wait_for(pilot, lambda: app.account == "zed" and app.folder == "INBOX")
