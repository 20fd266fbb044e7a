"""Pilot tests: folders, mark all read, attachments, raw source, keymap, palette, help."""

from __future__ import annotations

import re
import time

from textual.widgets import Input

from tests.ui.helpers import make_app, ready, seed, settle, wait_for
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.dialogs import ConfirmDialog, HelpScreen, InputDialog
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane


async def _answer(pilot, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputDialog))
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_create_rename_delete_folder(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    names = lambda: {f.name for f in mail_server.store.folders(user.login)}  # noqa: E731
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("N")
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog))
        assert app.screen.prompt == "New folder in test:"  # which account it goes to
        await _answer(pilot, "Projects")
        await wait_for(pilot, lambda: "Projects" in names())
        await wait_for(pilot, lambda: "Projects" in app.service.folder_names("test"))
        app.open_folder("test", "Projects")
        await pilot.press("f2")
        await _answer(pilot, "Projects-2026")
        await wait_for(pilot, lambda: "Projects-2026" in names() and "Projects" not in names())
        tree = app.main.query_one(FolderTree)
        tree.move_cursor(tree._folder_nodes[("test", "Projects-2026")])  # highlighted, not open
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.question == "Delete the folder “Projects-2026” and all its messages?"
        await pilot.press("y")
        await settle(pilot)
        await wait_for(pilot, lambda: "Projects-2026" not in names())
        tree.focus()
        tree.move_cursor(tree._folder_nodes[("test", "")])  # the account's own line
        await settle(pilot)
        await pilot.press("D")
        said = "That line is not a folder: highlight a folder to delete."
        await wait_for(pilot, lambda: said in [str(n.message) for n in app._notifications])


async def test_f2_in_the_folder_tree_renames_the_highlighted_folder_not_the_open_one(
    mail_server,
):
    """With INBOX open and another folder highlighted in the tree, F2 offered to rename
    INBOX (on IMAP that moves every message of the inbox)."""
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Receipts")
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "Receipts" in app.service.folder_names("test"))
        tree = app.main.query_one(FolderTree)
        await wait_for(pilot, lambda: ("test", "Receipts") in tree._folder_nodes)
        tree.focus()
        tree.move_cursor(tree._folder_nodes[("test", "Receipts")])
        await settle(pilot)
        assert app.folder == "INBOX"
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog))
        assert app.screen.query_one(Input).value == "Receipts"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InputDialog))
        app.main.query_one(MessageList).focus()  # from the list: the open folder, INBOX
        await settle(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: "INBOX cannot be renamed." in [
            str(n.message) for n in app._notifications
        ])  # fmt: skip


async def test_mark_all_read_and_toggle(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 4)
    app = make_app(mail_server, user)
    async with app.run_test(size=(90, 30)) as pilot:  # narrow: no preview marks anything
        await ready(pilot)
        await pilot.press("U")
        await settle(pilot)
        seen = lambda: sum("\\Seen" in m.flags for m in mail_server.store.messages(user.login))  # noqa: E731
        await wait_for(pilot, lambda: seen() == 1)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(pilot)
        await wait_for(pilot, lambda: seen() == 4)
        lst = app.screen.query_one(MessageList)
        await wait_for(pilot, lambda: all(lst.row_at(i).seen for i in range(4)))


async def test_save_attachment_and_raw_source(mail_server, tmp_path):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("j", "j", "j", "j")  # "Quarterly report draft" has report.txt
        await pilot.press("S")
        await _answer(pilot, str(tmp_path / "saved"))
        await wait_for(pilot, lambda: (tmp_path / "saved" / "report.txt").exists())
        assert (tmp_path / "saved" / "report.txt").read_bytes() == b"Q1 figures\n"
        await pilot.press("V")
        await settle(pilot)
        reader = app.main.query_one(ReaderPane)
        await wait_for(pilot, lambda: reader.raw is not None)
        assert "Content-Disposition: attachment" in reader.raw


async def test_keymap_from_config_remaps_and_help_shows_it(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    app._keymap = {"compose": "w"}
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")  # no longer compose
        await pilot.pause()
        assert not isinstance(app.screen, ComposerScreen)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert ("w", "Compose", "compose") in app.screen.rows


async def test_every_main_action_is_in_the_command_palette(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in (
            "Reply",
            "Reply all",
            "Forward",
            "Move",
            "Delete",
            "Undo",
            "Search",
            "Mark all read",
            "New folder",
            "Help",
        ):
            assert wanted in titles


async def test_worker_error_is_a_message_not_a_crash(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("u")  # nothing to undo: the service raises
        await settle(pilot)
        await wait_for(pilot, lambda: "nothing to undo" in app.last_error)
        assert app.last_error == "There is nothing to undo."
        assert app.is_running


def test_no_accounts_opens_the_wizard_without_a_service():
    assert TuimailApp(None).service is None
    assert MailService.__module__ == "tuimail.core.service"


async def test_open_attachment_without_display_says_where_it_is(mail_server, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        original = app.notify
        app.notify = lambda message, **kw: (notes.append(str(message)), original(message, **kw))
        await pilot.press("j", "j", "j", "j", "O")
        await wait_for(pilot, lambda: any("saved to" in n for n in notes))
        [said] = [n for n in notes if "saved to" in n]
        assert re.fullmatch(r"No display available; saved to /\S+/report\.txt\.", said), said


async def test_compose_with_attachment_is_delivered(mail_server, tmp_path):
    from textual.widgets import TextArea

    user = mail_server.new_user()
    bob = mail_server.new_user()
    (tmp_path / "notes.txt").write_text("attached notes\n")
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        screen.query_one("#compose-to", Input).value = bob.email
        screen.query_one("#compose-subject", Input).value = "With a file"
        screen.query_one("#compose-attach", Input).value = str(tmp_path / "notes.txt")
        screen.query_one("#compose-body", TextArea).text = "See the file.\n"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(mail_server.messages(bob)), timeout=30)
        raw = mail_server.messages(bob)[0]
        assert b'filename="notes.txt"' in raw or b"filename=notes.txt" in raw


def test_q_really_quits_the_app(mail_server):
    """Regression: a private flag named like Textual's own `_closing` made exit() a no-op."""
    import threading

    user = mail_server.new_user()
    app = make_app(mail_server, user)

    def press_q_when_ready() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (app.is_running and app.synced):
            time.sleep(0.05)
        app.call_from_thread(app.main.action_back)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and app.is_running:
            time.sleep(0.05)
        if app.is_running:  # the bug: force the app down so the test fails, not hangs

            def force() -> None:
                app._closing = False
                app._quitting = False
                app.exit(3)

            app.call_from_thread(force)

    threading.Thread(target=press_q_when_ready, daemon=True).start()
    app.run(headless=True, size=(100, 30))
    assert app.return_code == 0  # 3: the app did not quit by itself and was forced down
