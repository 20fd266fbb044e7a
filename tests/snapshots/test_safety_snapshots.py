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


class TestKeyChanged:
    """Diagnose when a trusted server key changed: both hashes, one button, for the
    incoming and outgoing server alike (fixed results: the real checks report times)."""

    def test_trust_the_new_key_box(self, snap_compare):
        from tuimail.core.account import Account, ServerSettings
        from tuimail.core.doctor import CheckResult
        from tuimail.core.key_change import KeyChange
        from tuimail.core.secrets import Secret
        from tuimail.ui.app import TuimailApp
        from tuimail.ui.screens.diagnose import DiagnoseScreen

        old, new = "ab" * 32, "5a973c0d646a740e138a35380cd9b21346f32b6450f0db7352b5ef756a7ddf56"
        account = Account(
            name="work",
            email="ana@example.org",
            incoming=ServerSettings("imap.example.org", 993, "tls"),
            outgoing=ServerSettings("smtp.example.org", 465, "tls"),
        )
        seen = (
            "could not secure the connection: the server's key changed: it is not the one "
            f"you chose to trust (trusted SHA-256 {old}, the server's now {new})"
        )
        results = [
            CheckResult("tls", "Incoming server (IMAP) imap.example.org:993", "failure", seen),
            CheckResult("tls", "Outgoing server (SMTP) smtp.example.org:465", "failure", seen),
        ]

        def runner(account, password, *, send=False, on_result=None):
            for result in results:
                on_result(result)
            return results

        app = TuimailApp(
            None,
            wizard=lambda: DiagnoseScreen(account, password=lambda _a: Secret("x"), runner=runner),
        )

        async def run(pilot) -> None:
            screen = pilot.app.screen
            await wait_for(pilot, lambda: not screen.running)
            screen.key_changes = [
                KeyChange("incoming", "imap.example.org", 993, old, new),
                KeyChange("outgoing", "smtp.example.org", 465, old, new),
            ]
            screen.show_key_changes()
            await _steady(pilot)

        assert snap_compare(app, terminal_size=(120, 40), run_before=run)
