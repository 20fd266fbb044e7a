"""Pilot test: a POP3 account in the app; a message moved into a local folder."""

from __future__ import annotations

from tests.pop3.test_pop3_fetch import message, pop3_account
from tests.ui.helpers import NOW, settle, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList


async def test_move_into_a_local_folder_with_the_move_dialog(mail_server, tmp_path):
    user = mail_server.new_user()
    for n in range(2):
        mail_server.deliver(user, message(n))
    service = MailService(
        {"pop": pop3_account(mail_server, user)},
        password_for=lambda _a: Secret(user.password),
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    service.create_folder("pop", "Projects")
    app = TuimailApp(service, now=NOW, start_sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        listing = app.screen.query_one(MessageList)
        await wait_for(pilot, lambda: listing.count == 2)
        subject = listing.current.subject

        await pilot.press("m")
        await pilot.pause()
        await pilot.press("p", "r", "o", "j")  # fuzzy: "Projects"
        await pilot.press("enter")
        await settle(pilot)

        await wait_for(pilot, lambda: listing.count == 1)
        moved = service.source("pop", "Projects").rows(0, 10)
        assert [r.subject for r in moved] == [subject]
        assert subject not in {r.subject for r in service.source("pop", "INBOX").rows(0, 10)}
        assert not service.errors, service.errors

    # Still known by its UIDL: another pass downloads nothing, the server keeps both.
    assert service.backend("pop").sync()
    assert service.source("pop", "INBOX").count() == 1
    assert service.source("pop", "Projects").count() == 1
    assert len(mail_server.messages(user)) == 2
