"""Snapshots of the issue-16 safety screens: the questions before deleting for ever and
marking everything read, the empty-subject question, a reopened draft and a forward in
the composer (attachments listed). Same conventions as test_snapshots.py. Update after a
reviewed rendering change: pytest tests/snapshots/test_safety_snapshots.py --snapshot-update
"""

from __future__ import annotations

from email.message import EmailMessage

from tests.snapshots.helpers import steady as _steady
from tests.ui.helpers import make_app, seed, wait_for
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.dialogs import ConfirmDialog
from tuimail.ui.widgets.message_list import MessageList


def _draft(to: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Test User <test@example.test>"
    msg["To"] = to
    msg["Cc"] = "Carol Example <carol@example.test>"
    msg["Subject"] = "Plans for the offsite"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg["Message-ID"] = "<draft-1@example.test>"
    msg.set_content("Day one: talks.\nDay two: the lake.\n")
    msg.add_attachment(b"agenda\n", maintype="text", subtype="plain", filename="agenda.txt")
    return msg.as_bytes()


async def _question(pilot, *keys: str) -> None:
    await _steady(pilot)
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
    await _steady(pilot)


async def _composer(pilot, *keys: str) -> None:
    await _steady(pilot)
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen), timeout=20)
    await _steady(pilot)


class TestQuestions:
    """Nothing is lost without a question first."""

    def test_delete_for_ever_in_trash(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 1)
        app = make_app(mail_server, user)

        async def run(pilot) -> None:
            await _steady(pilot)
            app.open_folder("test", "Trash")
            await _question(pilot, "d")

        mail_server.deliver(user, _draft("bob@example.test"), folder="Trash")
        assert snap_compare(app, terminal_size=(100, 24), run_before=run)

    def test_mark_all_read(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 3)
        app = make_app(mail_server, user)
        assert snap_compare(
            app, terminal_size=(80, 24), run_before=lambda pilot: _question(pilot, "A")
        )

    def test_send_without_a_subject(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 1)
        app = make_app(mail_server, user)

        async def run(pilot) -> None:
            await _composer(pilot, "c")
            app.screen.query_one("#compose-to").value = "bob@example.test"
            await _question(pilot, "ctrl+s")

        assert snap_compare(app, terminal_size=(100, 24), run_before=run)


class TestComposer:
    """What the composer shows when it opens on an existing message."""

    def test_reopened_draft(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 1)
        mail_server.deliver(user, _draft("bob@example.test"), folder="Drafts")
        app = make_app(mail_server, user)

        async def run(pilot) -> None:
            await _steady(pilot)
            app.open_folder("test", "Drafts")
            await wait_for(pilot, lambda: app.main.query_one(MessageList).count == 1)
            await _composer(pilot, "enter")

        assert snap_compare(app, terminal_size=(100, 24), run_before=run)

    def test_forward_with_its_attachment(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)
        app = make_app(mail_server, user)

        async def run(pilot) -> None:
            await _steady(pilot)
            await pilot.press("j", "j", "j", "j")  # "Quarterly report draft" has report.txt
            await _composer(pilot, "f")

        assert snap_compare(app, terminal_size=(100, 24), run_before=run)
