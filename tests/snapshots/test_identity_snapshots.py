"""The composer answering a message sent to one of the account's identities: From is that
identity with its signature, and the From choice lists every identity of every account."""

from __future__ import annotations

from textual.widgets import Select

from tests.snapshots.helpers import steady
from tests.ui.helpers import NOW, account_for, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.settings import UiSettings

WORK = "alice.work@example.test"


def _app(mail_server) -> TuimailApp:
    user, other = mail_server.new_user(), mail_server.new_user()
    mail_server.deliver(
        user,
        (
            f"From: Bob <bob@elsewhere.example>\r\nTo: {WORK}\r\nSubject: Budget\r\n"
            "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <budget@elsewhere.example>"
            "\r\n\r\nNumbers?\r\n"
        ).encode(),
    )
    account = account_for(mail_server, user)
    account.signature = "Alice at home"
    account.extra["identities"] = [
        {"email": WORK, "name": "Alice at Work", "signature": "Alice, Team Lead"}
    ]
    accounts = {"test": account, "home": account_for(mail_server, other, "home")}
    passwords = {"test": Secret(user.password), "home": Secret(other.password)}
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    return TuimailApp(service, now=NOW, ui=UiSettings(mark_read_delay=-1))


def test_reply_from_identity_with_the_from_choice_open(snap_compare, mail_server):
    app = _app(mail_server)

    async def reply(pilot) -> None:
        await steady(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen), 20)
        app.screen.query_one("#compose-from", Select).focus()
        await pilot.press("enter")  # the list of identities
        await steady(pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=reply)
