"""Pilot tests for the issue-8 points the first UI tests did not reach: sorting and threads,
the reader (quotes folded, next/previous) at 80x24, mouse and keyboard-only navigation,
address completion and drafts, reply-all/forward, the [keys] section of a real config
file, the new-mail toast and bell, sync progress, and a few regressions."""

from __future__ import annotations

import shlex
import sys
from email.message import EmailMessage

from textual.widgets import Input, Select, TextArea

from tests.ui.helpers import (
    account_for,
    asking,
    make_app,
    ready,
    record_notes,
    running,
    seed,
    settle,
    wait_for,
)
from tuimail.core.facade.views import SEARCH
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.words.status import state


def _list(app) -> MessageList:
    return app.main.query_one(MessageList)


def _rows(app) -> list:
    lst = _list(app)
    return [lst.row_at(i) for i in range(lst.count)]


def _reader_text(app) -> str:
    reader = app.main.query_one(ReaderPane)
    return "\n".join(str(w.render()) for w in reader.children)


async def test_sort_by_date_sender_subject_and_threads(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        dates = [r.date for r in _rows(app)]
        assert dates == sorted(dates, reverse=True)  # newest first
        await pilot.press("o")
        await settle(pilot)
        assert app.sort == "sender"
        senders = [r.sender.lower() for r in _rows(app)]
        assert senders == sorted(senders) and len(set(senders)) > 1
        await pilot.press("o")
        await settle(pilot)
        assert app.sort == "subject"
        subjects = [r.subject.lower() for r in _rows(app)]  # as written, "Re:" included
        assert subjects == sorted(subjects) and subjects != [
            r.subject.lower() for r in sorted(_rows(app), key=lambda r: r.date, reverse=True)
        ]
        await pilot.press("o")
        await settle(pilot)
        assert app.sort == "size"
        sizes = [r.size for r in _rows(app)]
        assert sizes == sorted(sizes, reverse=True)  # largest first
        await pilot.press("ctrl+o")  # reversed: smallest first
        await settle(pilot)
        assert [r.size for r in _rows(app)] == sorted(sizes)
        await pilot.press("ctrl+o", "o")
        await settle(pilot)
        assert app.sort == "date"
        assert [r.date for r in _rows(app)] == dates
        # a real reply (In-Reply-To/References) to "Lunch on Thursday?" (<demo-6@...>)
        reply = EmailMessage()
        reply["From"] = "Alice <alice@example.test>"
        reply["To"] = "bob@example.test"
        reply["Subject"] = "Re: Lunch on Thursday?"
        reply["Date"] = "Mon, 02 Mar 2026 11:00:00 +0000"
        reply["Message-ID"] = "<alice-reply@example.test>"
        reply["In-Reply-To"] = "<demo-6@example.test>"
        reply["References"] = "<demo-6@example.test>"
        reply.set_content("Yes!\n")
        mail_server.deliver(user, reply.as_bytes())
        await pilot.press("ctrl+r")  # sync now (no push in this test)
        await wait_for(pilot, lambda: _list(app).count == 7, timeout=20)
        assert _list(app).row_at(0).sender.startswith("Alice")  # newest first
        await pilot.press("t")  # threads: the reply sits under the question, indented
        await wait_for(pilot, lambda: _list(app).count == 7 and _list(app).row_at(0).thread_key)
        rows = _rows(app)
        i = next(i for i, r in enumerate(rows) if r.subject == "Lunch on Thursday?")
        assert rows[i].depth == 0
        # the real reply (References) and Bob's "Re:" (subject only) both sit under it
        under = rows[i + 1 : i + 3]
        assert all(r.depth == 1 for r in under)
        assert {r.sender.split()[0] for r in under} == {"Alice", "Bob"}
        assert i == 0  # the thread sits where its newest message is
        await pilot.press("t")
        await settle(pilot)
        assert all(r.depth == 0 for r in _rows(app))


async def test_reader_at_80x24_quotes_next_previous_top_bottom(mail_server):
    async with running(mail_server, size=(80, 24)) as (pilot, _notes):
        app = pilot.app
        main = app.main
        assert main.has_class("narrow")
        await pilot.press("G")
        assert _list(app).cursor == 5
        await pilot.press("g")
        assert _list(app).cursor == 0
        await pilot.press("j", "j", "j")  # "Re: Lunch on Thursday?" quotes the question
        assert _list(app).current.subject == "Re: Lunch on Thursday?"
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "Great, see you there." in _reader_text(app))
        assert main.reading and not _list(app).display
        text = _reader_text(app)
        assert "2 quoted lines hidden" in text and "Shall we try" not in text
        await pilot.press("z")
        await settle(pilot)
        assert "> Shall we try the new place" in _reader_text(app)
        await pilot.press("n")  # next: the message below in the list
        await settle(pilot)
        await wait_for(pilot, lambda: "The draft is attached." in _reader_text(app))
        await pilot.press("p")
        await settle(pilot)
        await wait_for(pilot, lambda: "Great, see you there." in _reader_text(app))
        await pilot.press("q")  # back to the list, not out of the app
        await pilot.pause()
        assert app.is_running and not main.reading and _list(app).display


async def test_mouse_click_selects_and_double_click_opens(mail_server):
    async with running(mail_server) as (pilot, _notes):
        app = pilot.app
        lst = _list(app)
        assert await pilot.click(MessageList, offset=(20, 2))
        await pilot.pause()
        assert lst.cursor == 2
        assert await pilot.click(MessageList, offset=(20, 4), times=2)
        await settle(pilot)
        subject = lst.row_at(4).subject
        assert lst.cursor == 4
        await wait_for(pilot, lambda: f"Subject: {subject}" in _reader_text(app))
        # a click on a folder in the tree opens it
        tree = app.main.query_one(FolderTree)
        archive = next(n for n in tree.root.children[0].children if "Archive" in str(n.label))
        assert await pilot.click(FolderTree, offset=(6, archive.line - tree.scroll_offset.y))
        await settle(pilot)
        await wait_for(pilot, lambda: app.folder == "Archive")
        assert lst.count == 0
        # the reader no longer shows the INBOX message (regression)
        await wait_for(pilot, lambda: "No message selected." in _reader_text(app))


async def test_keyboard_only_folder_switch(mail_server):
    """No mouse: Tab reaches the folder tree, j/k move, Enter opens, focus returns."""
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    mail_server.deliver(user, _message("x@example.test", user.email, "Kept"), "Archive")
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        tree = app.main.query_one(FolderTree)
        # the tree's cursor starts on the open folder (regression: it sat on the account)
        assert tree.cursor_node is not None and tree.cursor_node.data == ("test", "INBOX")
        while not tree.has_focus:
            await pilot.press("tab")
        labels = lambda: str(tree.cursor_node.label) if tree.cursor_node else ""  # noqa: E731
        for _ in range(10):
            if "Archive" in labels():
                break
            await pilot.press("j")
        assert "Archive" in labels()
        # Regression: every store change rebuilt the tree and sent its cursor to the top.
        # Now counts change in place and the cursor stays where the user put it.
        inbox = lambda: next(  # noqa: E731
            str(n.label) for n in tree.root.children[0].children if "INBOX" in str(n.label)
        )
        assert "(" in inbox()  # unread messages counted
        service = app.service
        app.work(lambda: service.mark_all_read("test", "INBOX"), "test-read")
        await wait_for(pilot, lambda: "(" not in inbox())
        await settle(pilot)
        assert "Archive" in labels() and tree.has_focus
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: app.folder == "Archive")
        assert _list(app).has_focus
        await wait_for(pilot, lambda: _list(app).count == 1)
        assert _list(app).current.subject == "Kept"
        assert app.sub_title == "test — Archive"


async def test_search_results_keep_their_title(mail_server):
    """Regression: any event after a search re-set the header to the internal folder
    name '__search__'."""
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        await wait_for(pilot, lambda: asking(app) is not None)
        await pilot.press(*"lunch", "enter")
        await wait_for(pilot, lambda: app.folder == SEARCH)
        await settle(pilot)
        # the first result is marked read (a search no longer does it by itself): events
        # arrive, the title is set again
        await pilot.press("U")
        raw = lambda: [m for m in mail_server.store.messages(user.login) if b"Great, see" in m.raw]  # noqa: E731
        await wait_for(pilot, lambda: "\\Seen" in raw()[0].flags)
        await pilot.pause(0.3)
        app.refresh_folders()
        await pilot.pause()
        assert app.sub_title == "Search: lunch (2)"
        # the results follow the store: the one read shows read, a deleted one leaves
        lst = _list(app)
        await wait_for(pilot, lambda: lst.row_at(0).seen)
        assert lst.row_at(0).subject == "Re: Lunch on Thursday?" and not lst.row_at(1).seen
        await pilot.press("d")
        await wait_for(pilot, lambda: lst.count == 1)
        assert lst.row_at(0).subject == "Lunch on Thursday?"
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Trash")) == 1)
        app.open_folder("test", "INBOX")
        await settle(pilot)
        assert app.sub_title == "test — INBOX" and _list(app).count == 5


async def test_address_completion_and_save_draft(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        to = screen.query_one("#compose-to", Input)
        assert to.has_focus
        await pilot.press(*"car")
        await wait_for(pilot, lambda: to._suggestion != "")
        await pilot.press("right")  # accept the suggestion
        assert to.value == "Carol Example <carol@example.test>"
        screen.query_one("#compose-subject", Input).value = "Plans for Friday"
        screen.query_one("#compose-body", TextArea).text = "Unfinished thoughts.\n"
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: bool(mail_server.messages(user, "Drafts")), timeout=20)
        raw = mail_server.messages(user, "Drafts")[0]
        assert b"Plans for Friday" in raw and b"carol@example.test" in raw
        drafts = next(m for m in mail_server.store.messages(user.login, "Drafts"))
        assert "\\Draft" in drafts.flags
        assert isinstance(app.screen, ComposerScreen)  # still composing


async def test_an_edited_text_that_is_no_message_is_refused_in_words(mail_server):
    """The composer's $EDITOR text that cannot be read: core says why as data
    (EditorError), the composer says it in words and keeps the text for Ctrl+E."""
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        app.screen.apply_editor_text("To: bob\nSubject: x\n\nbody\n")
        said = "The edited message was not taken: 'bob' is not an e-mail address."
        await wait_for(pilot, lambda: any(n.startswith(said) for n in notes))
        assert app.screen._editor_text == "To: bob\nSubject: x\n\nbody\n"


def _message(sender: str, to: str, subject: str, cc: str = "", body: str = "Hello.\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash(subject))}@example.test>"
    msg.set_content(body)
    return msg.as_bytes()


async def test_reply_all_and_forward_are_prefilled(mail_server):
    user = mail_server.new_user()
    raw = _message(
        "Bob <bob@example.test>",
        f"{user.email}, dave@example.test",
        "Team lunch",
        cc="carol@example.test",
        body="Who is in?\n",
    )
    mail_server.deliver(user, raw)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        everyone = screen.query_one("#compose-to", Input).value
        everyone += screen.query_one("#compose-cc", Input).value
        assert "bob@example.test" in everyone
        assert "dave@example.test" in everyone and "carol@example.test" in everyone
        assert user.email not in everyone  # never reply to oneself
        assert screen.query_one("#compose-subject", Input).value == "Re: Team lunch"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        assert screen.query_one("#compose-to", Input).value == ""
        assert screen.query_one("#compose-subject", Input).value == "Fwd: Team lunch"
        assert "Who is in?" in screen.query_one("#compose-body", TextArea).text


async def test_keys_section_of_the_config_file_remaps(mail_server, monkeypatch):
    """The whole path: config.toml [keys] -> `tuimail` start-up -> the app's keymap."""
    from tuimail.cli.app import run_app
    from tuimail.core.config import config_path, save_account

    user = mail_server.new_user()
    seed(mail_server, user, 1)
    account = account_for(mail_server, user)
    account.password_command = shlex.join([sys.executable, "-c", f"print({user.password!r})"])
    save_account(account)
    path = config_path()
    path.write_text(path.read_text() + '\n[keys]\ncompose = "w"\nhelp = "f1"\n')
    started: list[TuimailApp] = []
    monkeypatch.setattr(TuimailApp, "run", lambda self: started.append(self))
    assert run_app() == 0
    app = started[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert _list(app).count == 1  # logged in with the password command
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f1")
        await pilot.pause()
        assert ("f1", "Help", "help") in app.screen.rows


async def test_new_mail_shows_a_toast_and_rings_the_bell(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user, idle=True)
    app.bell_on_new_mail = True
    rings: list[int] = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.service.states()["test"].activity == "push")
        mail_server.deliver(user, _message("z@example.test", user.email, "Ping"))
        toasts = lambda: [str(n.message) for n in app._notifications]  # noqa: E731
        await wait_for(pilot, lambda: "1 new message in test" in toasts(), timeout=20)
        assert rings
        assert any(n.title == "New mail" for n in app._notifications)


async def test_status_bar_shows_sync_progress(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user, sync=False)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        service = app.service
        forward = service.listener
        service.listener = lambda e: (
            seen.append(state(service.states()["test"])),
            forward(e),
        )
        app.run_worker(service.start, thread=True, exit_on_error=False, name="sync")
        await ready(pilot)
        assert any(d.startswith("syncing INBOX ") and "/6" in d for d in seen), seen
        assert seen[-1] == "up to date"


async def test_no_keyring_no_dbus_the_wizard_offers_no_keyring(monkeypatch):
    """Over SSH there is no D-Bus: the keyring choice is not offered (the password can
    come from a command or be asked once per session)."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    app = TuimailApp(None)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        storage = app.screen.query_one("#wiz-storage", Select)
        values = [value for _prompt, value in storage._options]
        assert "keyring" not in values
        assert {"command", "ask"} <= set(values)


async def test_a_message_that_could_not_be_sent_is_counted_in_the_outbox(mail_server):
    """Regression: the error said the message "waits in the outbox" while the status bar
    said "Outbox: 0" (it counted only messages being sent at that moment). The composer
    closes: the outbox sends it by itself, and a second Send queued it twice."""
    from tuimail.ui.widgets.status import StatusBar

    user = mail_server.new_user()
    bob = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="reply", command="MAIL", code=451, message="Later")
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        status = lambda: str(app.main.query_one(StatusBar).render())  # noqa: E731
        assert "Outbox: 0" in status()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        screen.query_one("#compose-to", Input).value = bob.email
        screen.query_one("#compose-subject", Input).value = "Not yet"
        screen.query_one("#compose-body", TextArea).text = "Later.\n"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "not sent" in app.last_error, timeout=30)
        assert "waits in the outbox" in app.last_error
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.service.outbox_waiting == 1
        app.update_status()
        await pilot.pause()
        assert "Outbox: 1" in status()
        assert not mail_server.messages(bob)


async def test_copy_archive_and_flag_reach_the_server(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    flags = lambda subject: next(  # noqa: E731
        m.flags
        for m in mail_server.store.messages(user.login)
        if f"Subject: {subject}".encode() in m.raw
    )
    async with app.run_test(size=(90, 30)) as pilot:  # narrow: no preview
        await ready(pilot)
        first = _list(app).current.subject
        await pilot.press("s")  # flag
        await wait_for(pilot, lambda: "\\Flagged" in flags(first))
        await pilot.press("y")  # copy: the picker, fuzzy "arc" -> Archive
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FolderPicker")
        await pilot.press("a", "r", "c", "enter")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Archive")) == 1)
        assert len(mail_server.messages(user, "INBOX")) == 3  # a copy, not a move
        await pilot.press("down")  # arrows move like j/k
        second = _list(app).current.subject
        assert second != first
        await pilot.press("a")  # archive
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Archive")) == 2)
        await wait_for(pilot, lambda: len(mail_server.messages(user, "INBOX")) == 2)
        await wait_for(pilot, lambda: _list(app).count == 2)
        archived = b"".join(mail_server.messages(user, "Archive"))
        assert f"Subject: {second}".encode() in archived


async def test_every_main_screen_binding_is_in_the_command_palette(mail_server):
    from tuimail.ui.screens.main import MAIN_BINDINGS

    user = mail_server.new_user()
    app = make_app(mail_server, user, sync=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        missing = [b.description for b in MAIN_BINDINGS if b.description not in titles]
        assert missing == []
        assert all(b.id for b in MAIN_BINDINGS)  # every binding can be remapped by id


async def test_ui_answers_keys_while_a_slow_sync_runs(mail_server):
    """No network wait on the UI thread: with every server answer delayed, the help
    screen still opens at once while the first sync is far from done."""

    from tuimail.ui.screens.dialogs import HelpScreen

    user = mail_server.new_user()
    seed(mail_server, user)
    mail_server.faults.add(protocol="imap", kind="delay", delay=0.25)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.service.states()["test"].state == "syncing")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)
        assert not app.synced  # still syncing: the key was not queued behind the sync
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        mail_server.faults.clear()
