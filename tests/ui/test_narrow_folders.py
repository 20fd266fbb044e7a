"""At 80x24 (the usual SSH terminal) the folder tree is its own view: Tab shows it,
Enter on a folder opens that folder's list, q or Tab goes back to the list."""

from __future__ import annotations

from email.message import EmailMessage

from tests.ui.helpers import (
    run_from_palette,
    seed,
    settle,
    started,
    wait_for,
)
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList


def _archived(to: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Archivist <archivist@example.test>"
    msg["To"] = to
    msg["Subject"] = "Kept for later"
    msg["Date"] = "Mon, 02 Mar 2026 08:00:00 +0000"
    msg["Message-ID"] = "<kept@example.test>"
    msg.set_content("Filed.\n")
    return msg.as_bytes()


def _with_archive(server, inbox: int):
    """The app started at 80x24 for a new user with `inbox` messages and one in Archive
    ("Kept for later"): tests.ui.helpers.started."""
    user = server.new_user()
    seed(server, user, inbox)
    server.deliver(user, _archived(user.email), "Archive")
    return started(server, 0, size=(80, 24), user=user)


async def test_folders_reachable_by_keyboard_at_80x24(mail_server):
    async with _with_archive(mail_server, 2) as (pilot, app, _user, _notes):
        main = app.main
        tree = main.query_one(FolderTree)
        lst = main.query_one(MessageList)
        assert main.has_class("narrow") and not tree.display and lst.display

        await pilot.press("tab")  # the folders, full width, instead of the list
        await settle(pilot)
        assert tree.display and tree.has_focus and not lst.display
        assert tree.region.width > 60

        await pilot.press("q")  # back to the list, not out of the app
        await settle(pilot)
        assert app.is_running and lst.display and lst.has_focus and not tree.display

        await pilot.press("tab")
        await settle(pilot)
        label = lambda: str(tree.cursor_node.label) if tree.cursor_node else ""  # noqa: E731
        for _ in range(12):
            if "Archive" in label():
                break
            await pilot.press("j")
        assert "Archive" in label()
        await pilot.press("enter")
        await wait_for(pilot, lambda: lst.count == 1 and lst.display)
        assert lst.row_at(0).subject == "Kept for later"
        assert not tree.display and lst.has_focus
        assert "Archive" in app.sub_title


async def test_g_and_G_go_to_the_first_and_last_folder(mail_server):
    async with _with_archive(mail_server, 1) as (pilot, app, _user, _notes):
        tree = app.main.query_one(FolderTree)
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press("G")
        await wait_for(pilot, lambda: tree.cursor_line == tree.last_line)
        assert tree.cursor_node.data[1]  # a folder, not the account's line
        await pilot.press("g")
        await wait_for(pilot, lambda: tree.cursor_line == 0)


async def test_a_folder_opened_from_the_palette_while_reading_shows_its_list(mail_server):
    """As from the tree: the folder's list, not the reader of the message read before."""
    from tuimail.ui.widgets.reader import ReaderPane

    async with _with_archive(mail_server, 1) as (pilot, app, _user, _notes):
        main, lst = app.main, app.main.query_one(MessageList)
        await pilot.press("enter")
        await wait_for(pilot, lambda: main.reading)
        await run_from_palette(pilot, "Open folder Archive")
        await wait_for(pilot, lambda: lst.count == 1 and lst.row_at(0).subject == "Kept for later")
        assert not main.reading and lst.display and lst.has_focus
        assert not main.query_one(ReaderPane).display


async def test_message_keys_in_the_narrow_folder_view_touch_no_message(mail_server):
    """Under 100 columns Tab shows the folders in the list's place. d there deleted the
    list's message, which was not on screen (found in tmux at 80x24): now a message
    key there says no message is selected and changes nothing."""
    async with started(mail_server, 2, size=(80, 24)) as (pilot, app, user, notes):
        await pilot.press("tab")
        await wait_for(pilot, lambda: app.main.choosing_folder)
        await pilot.press("d", "a", "s")
        await wait_for(pilot, lambda: notes.count("No message selected.") == 3)
        await settle(pilot)
        assert len(mail_server.messages(user, "INBOX")) == 2
        assert not mail_server.messages(user, "Trash")
        assert not any(r.flagged for r in app.service.source("test", "INBOX").rows(0, 2))


async def test_enter_on_an_account_line_opens_its_inbox_and_folding_is_space_or_left(
    mail_server,
):
    """Regression: Enter on the account's line folded the account (Textual's default)
    rather than opening anything. As in mutt's and aerc's account lists, Enter there
    opens the account's INBOX; Space, left and right fold and unfold it."""
    async with _with_archive(mail_server, 2) as (pilot, app, _user, _notes):
        tree, lst = app.main.query_one(FolderTree), app.main.query_one(MessageList)
        app.open_folder("test", "Archive")
        await wait_for(pilot, lambda: lst.count == 1)
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press("g")  # the account's line
        await wait_for(pilot, lambda: tree.cursor_line == 0)
        account = tree.cursor_node
        assert account.allow_expand and account.data == ("test", "")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.folder == "INBOX" and lst.count == 2 and lst.display)
        assert account.is_expanded and not tree.display and lst.has_focus
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press("g", "space")
        await wait_for(pilot, lambda: not account.is_expanded)
        await pilot.press("right")
        await wait_for(pilot, lambda: account.is_expanded)
        await pilot.press("j", "left")  # from a folder: fold its account, cursor on it
        await wait_for(pilot, lambda: not account.is_expanded and tree.cursor_node is account)
        assert tree.display and app.folder == "INBOX"  # folding opened nothing
