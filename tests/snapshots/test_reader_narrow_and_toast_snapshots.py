"""Snapshots of the screens and states the first snapshot files did not picture: the wide
reader (quotes folded, links numbered), the raw source, the narrow folder view, the
new-mail toast after an IDLE push, and a wizard error told as a sentence.

Same conventions as test_snapshots.py: fixed sizes, demo messages with fixed dates, a
fixed clock, cursors not blinking, workers awaited and conditions waited for (never a
bare sleep). Update after a reviewed rendering change:
pytest tests/snapshots/test_reader_narrow_and_toast_snapshots.py --snapshot-update
"""

from __future__ import annotations

from email.message import EmailMessage

from textual.widgets import Input

from tests.snapshots.helpers import steady
from tests.ui.helpers import make_app, seed, wait_for
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.words.status import state as state_words


def _reader_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.main.query_one(ReaderPane).children)


class TestReader:
    """The reader pane beside the list, and the raw source."""

    def test_wide_reader_quotes_folded(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)

        async def preview(pilot) -> None:
            await steady(pilot)
            await pilot.press("j", "j", "j")  # "Re: Lunch on Thursday?" quotes its question
            await wait_for(pilot, lambda: "2 quoted lines hidden" in _reader_text(pilot.app))
            lst = pilot.app.main.query_one(MessageList)
            await wait_for(pilot, lambda: lst.current.seen)  # mark_read_delay 0: read at once
            await steady(pilot)

        app = make_app(mail_server, user, mark_read_delay=0)
        assert snap_compare(app, terminal_size=(160, 40), run_before=preview)

    def test_raw_source(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)

        async def raw(pilot) -> None:
            await steady(pilot)
            # "Re: Lunch on Thursday?": single part (the demo's multipart message gets a
            # random MIME boundary each run, which a picture of its source would show)
            await pilot.press("j", "j", "j", "V")
            reader = pilot.app.main.query_one(ReaderPane)
            await wait_for(pilot, lambda: reader.raw is not None)
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(80, 24), run_before=raw)


class TestNarrow:
    """Under 100 columns the folder tree is a view of its own (Tab)."""

    def test_folder_view_80x24(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)

        async def folders(pilot) -> None:
            await steady(pilot)
            await pilot.press("tab")
            tree = pilot.app.main.query_one(FolderTree)
            await wait_for(pilot, lambda: tree.display and tree.has_focus)
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(80, 24), run_before=folders)


class TestNewMail:
    """A message pushed by IDLE while the app is open: the toast, the list, push state."""

    def test_new_mail_toast(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 2)
        app = make_app(mail_server, user, idle=True)

        async def pushed(pilot) -> None:
            state = lambda: state_words(app.service.states()["test"])  # noqa: E731
            await steady(pilot)
            await wait_for(pilot, lambda: state() == "push connected", timeout=20)
            msg = EmailMessage()
            msg["From"] = "Erin Example <erin@example.test>"
            msg["To"] = user.email
            msg["Subject"] = "Pushed while open"
            msg["Date"] = "Mon, 02 Mar 2026 11:30:00 +0000"
            msg["Message-ID"] = "<pushed@example.test>"
            msg.set_content("Hello.\n")
            mail_server.deliver(user, msg.as_bytes())
            toasts = lambda: [str(n.message) for n in app._notifications]  # noqa: E731
            await wait_for(pilot, lambda: "1 new message in test" in toasts(), timeout=20)
            lst = app.main.query_one(MessageList)
            await wait_for(pilot, lambda: lst.count == 3)
            await wait_for(pilot, lambda: state() == "push connected", timeout=20)
            await steady(pilot)

        assert snap_compare(app, terminal_size=(100, 24), run_before=pushed)


class TestWizardStates:
    def test_wizard_error_sentence(self, snap_compare):
        async def wrong(pilot) -> None:
            await steady(pilot)
            screen = pilot.app.screen
            screen.query_one("#wiz-email", Input).value = "not-an-address"
            await pilot.click("#wiz-detect")
            await wait_for(
                pilot,
                lambda: (
                    "Enter your whole email address"
                    in str(screen.query_one("#wizard-log").render())
                ),
            )
            await steady(pilot)

        assert snap_compare(TuimailApp(None), terminal_size=(100, 40), run_before=wrong)
