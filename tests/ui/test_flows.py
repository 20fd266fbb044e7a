"""Pilot tests of the main flows against the bundled server (real IMAP/SMTP over TLS)."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage

from textual.widgets import Input, TextArea

from tests.ui.helpers import make_app, ready, running, settle, started, wait_for
from tuimail.core.facade.views import SEARCH
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.ui.widgets.status import StatusBar


def _list(app) -> MessageList:
    return app.screen.query_one(MessageList)


def _reader_text(app) -> str:
    reader = app.main.query_one(ReaderPane)
    return "\n".join(str(w.render()) for w in reader.children)


async def test_read_a_message(mail_server):
    async with started(mail_server) as (pilot, app, user, _notes):
        assert isinstance(app.screen, MainScreen)
        lst = _list(app)
        assert lst.count == 6
        assert lst.current.subject == "Invoice 2026-031"
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        text = _reader_text(app)
        assert "Quarterly report draft" in text
        assert "report.txt" in text  # the attachment is listed
        assert "[1] https://example.test/reports/q1" in text  # links are numbered
        # reading marked it seen on the server
        await wait_for(pilot, lambda: not _list(app).current or _list(app).current.seen)
        raw_flags = [m for m in mail_server.store.messages(user.login) if b"Quarterly" in m.raw]
        assert "\\Seen" in raw_flags[0].flags


async def test_reply_and_send_arrives(mail_server):
    user = mail_server.new_user()
    bob = mail_server.new_user()
    msg = EmailMessage()
    msg["From"] = bob.email
    msg["To"] = user.email
    msg["Subject"] = "Question"
    msg["Message-ID"] = "<q1@example.test>"
    msg.set_content("Can you answer this?\n")
    mail_server.deliver(user, msg.as_bytes())
    async with started(mail_server, 0, user=user) as (pilot, app, _user, _notes):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        assert bob.email in screen.query_one("#compose-to", Input).value
        assert screen.query_one("#compose-subject", Input).value == "Re: Question"
        body = screen.query_one("#compose-body", TextArea)
        assert "> Can you answer this?" in body.text
        body.text = "Yes, here is the answer.\n" + body.text
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: bool(mail_server.messages(bob)) or "not sent" in app.last_error,
            timeout=30,
        )
        assert "not sent" not in app.last_error, app.last_error
        raw = mail_server.wait_for_message(bob, lambda r: b"here is the answer" in r, timeout=20)
        assert b"In-Reply-To: <q1@example.test>" in raw
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        # a copy in Sent, and the question is marked answered
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Sent")) == 1)
        original = mail_server.store.messages(user.login, "INBOX")[0]
        await wait_for(pilot, lambda: "\\Answered" in original.flags)


async def test_delete_and_undo(mail_server):
    async with started(mail_server, 3) as (pilot, app, user, notes):
        first = _list(app).current.subject
        await pilot.press("d")
        await settle(pilot)
        await wait_for(pilot, lambda: _list(app).count == 2)
        assert len(mail_server.messages(user, "Trash")) == 1
        assert len(mail_server.messages(user, "INBOX")) == 2
        await pilot.press("u")
        await settle(pilot)
        await wait_for(pilot, lambda: _list(app).count == 3)
        assert len(mail_server.messages(user, "INBOX")) == 3
        assert not mail_server.messages(user, "Trash")
        assert first in {_list(app).row_at(i).subject for i in range(3)}
        assert "Undone: deleted 1 message" in notes  # the facade's Undone, worded by the app


async def test_d_in_the_reader_shows_the_next_message_so_the_next_d_deletes_what_is_shown(
    mail_server,
):
    """Under 100 columns the reader takes the list's place. d there moved the list's
    cursor to the next message but the reader kept showing the deleted one, so a second
    d deleted a message the user had never seen. Now the reader follows, as mutt's pager
    does; the last message deleted goes back to the (empty) list."""
    async with started(mail_server, 3, size=(80, 24)) as (pilot, app, user, _notes):
        lst = _list(app)
        subjects = [lst.row_at(i).subject for i in range(3)]
        await pilot.press("enter")
        await settle(pilot)
        reader = app.main.query_one(ReaderPane)
        assert app.main.reading and reader.message_view.subject == subjects[0]
        await pilot.press("d")
        await settle(pilot)
        await wait_for(pilot, lambda: reader.message_view.subject == subjects[1])
        assert app.main.reading and lst.current.subject == subjects[1]
        await pilot.press("d")
        await settle(pilot)
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Trash")) == 2)
        trashed = {
            message_from_bytes(raw)["Subject"] for raw in mail_server.messages(user, "Trash")
        }
        assert trashed == {subjects[0], subjects[1]}
        await wait_for(pilot, lambda: reader.message_view.subject == subjects[2])
        await pilot.press("d")
        await settle(pilot)
        await wait_for(pilot, lambda: lst.count == 0 and not app.main.reading)
        assert lst.has_focus


async def test_undo_of_a_delete_whose_message_is_gone_says_so_instead_of_undone(mail_server):
    """The message deleted to Trash was then removed there by another mail program: u
    cannot put it back, and says so. It used to say "Undone: deleted 1 message"."""
    async with started(mail_server, 2) as (pilot, app, user, notes):
        await pilot.press("d")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Trash")) == 1)
        await wait_for(pilot, lambda: "Deleted (u to undo)" in notes)
        await settle(pilot)
        trash = mail_server.store.messages(user.login, "Trash")
        mail_server.store.remove(user.login, "Trash", [m.uid for m in trash])
        app.service.backend("test").refresh_folder("Trash")  # the sync sees it gone
        await pilot.press("u")
        said = "The messages to put back are gone (removed on the server): nothing was undone."
        await wait_for(pilot, lambda: app.last_error == said)
        assert "Undone: deleted 1 message" not in notes
        assert len(mail_server.messages(user, "INBOX")) == 1


async def test_move_with_fuzzy_picker(mail_server):
    async with started(mail_server, 2) as (pilot, app, user, _notes):
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("a", "r", "c")  # fuzzy: "Archive"
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Archive")) == 1)
        await wait_for(pilot, lambda: _list(app).count == 1)


async def test_search_shows_results_as_a_folder(mail_server):
    async with running(mail_server) as (pilot, _notes):
        app = pilot.app
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"lunch", "enter")
        await settle(pilot)
        lst = _list(app)
        await wait_for(pilot, lambda: lst.count == 2)
        assert all("Lunch" in lst.row_at(i).subject for i in range(2))


async def test_undo_in_search_results_brings_the_message_back_into_them(mail_server):
    """d on a search result and u: the message is back in its folder and back in the
    results (it used to stay out of them until the search was typed again), and the
    title's count follows the rows shown."""
    async with running(mail_server) as (pilot, notes):
        app = pilot.app
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"lunch", "enter")
        lst = _list(app)
        await wait_for(pilot, lambda: app.folder == SEARCH and lst.count == 2)
        await settle(pilot)
        deleted = lst.current.id
        await pilot.press("d")
        await wait_for(pilot, lambda: "Deleted (u to undo)" in notes)
        await settle(pilot)
        assert lst.count == 1 and app.search_title == "Search: lunch (1)"
        await pilot.press("u")
        await wait_for(pilot, lambda: "Undone: deleted 1 message" in notes)
        await wait_for(pilot, lambda: lst.count == 2)
        assert deleted in {lst.row_at(i).id for i in range(2)}
        assert app.search_title == "Search: lunch (2)"


async def test_new_mail_arrives_by_idle(mail_server):
    async with started(mail_server, 1, idle=True) as (pilot, app, user, _notes):
        await wait_for(pilot, lambda: app.service.states()["test"].activity == "push")
        selected = _list(app).current.id
        msg = EmailMessage()
        msg["From"] = "someone@example.test"
        msg["To"] = user.email
        msg["Subject"] = "Pushed while open"
        msg.set_content("hello\n")
        mail_server.deliver(user, msg.as_bytes())
        await wait_for(pilot, lambda: _list(app).count == 2, timeout=20)
        assert any("Pushed while open" in _list(app).row_at(i).subject for i in range(2))
        assert _list(app).current.id == selected  # the new mail did not move the selection


async def test_offline_start_from_cache(mail_server):
    async with started(mail_server, 3) as (pilot, app, user, _notes):
        await pilot.press("enter")  # fetch one body into the cache
        await settle(pilot)
    store = app.service.store
    mail_server.stop()
    app = make_app(mail_server, user, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert _list(app).count == 3
        status = str(app.main.query_one(StatusBar).render())
        assert "refused the connection" in status and "retrying" in status
        assert app.service.states()["test"].state == "offline"
        await pilot.press("enter")  # the cached body shows offline
        await settle(pilot)
        assert "Great, see you there." in _reader_text(app)


async def test_search_finds_bodies_on_the_server(mail_server):
    """A word only in a body never downloaded: found by the server's SEARCH."""
    # narrow: no preview downloads
    async with started(mail_server, size=(90, 30)) as (pilot, app, _user, _notes):
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"invoice below", "enter")  # text of one body only
        await settle(pilot)
        lst = _list(app)
        await wait_for(pilot, lambda: lst.count == 1)
        assert lst.row_at(0).subject == "Invoice 2026-031"


async def test_a_burst_of_new_mail_while_reading_leaves_the_reader_on_its_message(mail_server):
    """Under 100 columns, more new mail than the list looks through for the selected
    message (50) arrives while one is read: the reader keeps showing it (it did not
    leave the folder), rather than jumping to whatever row the cursor is on then."""
    async with started(mail_server, 2, size=(80, 24)) as (pilot, app, user, _notes):
        lst = _list(app)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.main.query_one(ReaderPane)
        subject = reader.message_view.subject
        for i in range(60):
            msg = EmailMessage()
            msg["From"] = "burst@example.test"
            msg["To"] = user.email
            msg["Subject"] = f"Burst {i}"
            msg["Date"] = "Wed, 04 Mar 2026 08:00:00 +0000"
            msg.set_content("new\n")
            mail_server.deliver(user, msg.as_bytes())
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: lst.count == 62, timeout=30)
        await settle(pilot)
        assert app.main.reading and reader.message_view.subject == subject
        await pilot.press("s")  # acts on the message on screen, not on the cursor's row
        await wait_for(
            pilot,
            lambda: (
                [r.subject for r in app.service.source("test", "INBOX").rows(0, 62) if r.flagged]
                == [subject]
            ),
        )
