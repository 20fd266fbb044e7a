"""Pilot tests: a POP3 account in the app; a local folder made and a message moved into
it, delete, ctrl+r."""

from __future__ import annotations

from tests.pop3.helpers import message, subjects_on_server, user_with
from tests.ui.helpers import NOW, settle, wait_for
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList


async def test_move_into_a_local_folder_with_the_move_dialog(mail_server, make_service):
    user = user_with(mail_server, 2)
    service = make_service(mail_server, user)
    app = TuimailApp(service, now=NOW, start_sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        listing = app.screen.query_one(MessageList)
        await wait_for(pilot, lambda: listing.count == 2)
        subject = listing.current.subject

        await pilot.press("N")  # a new folder, made with the app's own dialog
        await pilot.pause()
        await pilot.press(*"Projects", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "Projects" in service.folder_names("pop"))
        assert service.store.folder(("pop", "Projects")).local  # only on this computer

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


async def test_delete_key_then_ctrl_r_deletes_on_the_server_and_downloads_new(
    mail_server, make_service
):
    """With delete_on_server_when_deleted_locally: `d` in the app marks the message, and
    ctrl+r (check now) deletes it on the server and brings what arrived meanwhile."""
    user = user_with(mail_server, 2)
    service = make_service(mail_server, user, delete_on_server_when_deleted_locally=True)
    app = TuimailApp(service, now=NOW, start_sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        listing = app.screen.query_one(MessageList)
        await wait_for(pilot, lambda: listing.count == 2)
        doomed = listing.current.subject

        await pilot.press("d")
        await settle(pilot)
        await wait_for(pilot, lambda: listing.count == 1)
        assert [r.subject for r in service.source("pop", "Trash").rows(0, 10)] == [doomed]
        assert len(mail_server.messages(user)) == 2  # nothing on the server until a check

        mail_server.deliver(user, message(2))
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for(pilot, lambda: listing.count == 2)
        assert "message 2" in {r.subject for r in service.source("pop", "INBOX").rows(0, 10)}
        await wait_for(pilot, lambda: len(mail_server.messages(user)) == 2)
        assert not service.errors, service.errors
    left = subjects_on_server(mail_server, user)
    assert left == {"message 0", "message 1", "message 2"} - {doomed}


async def test_delete_key_without_the_option_keeps_the_server_copy(mail_server, make_service):
    user = user_with(mail_server, 1)
    service = make_service(mail_server, user)
    app = TuimailApp(service, now=NOW, start_sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        listing = app.screen.query_one(MessageList)
        await wait_for(pilot, lambda: listing.count == 1)
        await pilot.press("d")
        await settle(pilot)
        await wait_for(pilot, lambda: listing.count == 0)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert listing.count == 0  # deleted here stays deleted: not downloaded again
    assert service.backend("pop").sync()
    assert len(mail_server.messages(user)) == 1
    assert service.source("pop", "INBOX").count() == 0
