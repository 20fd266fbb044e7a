"""New mail costs the app's event loop one read of the folders and one reload of the
list, not two of each (issue 19: at 100k messages each read is a stall the user feels):
the "new-mail" event that follows "messages" only notifies, and the list's context comes
from the folders already read."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import settle
from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService, ServiceEvent
from tuimail.core.store import NewMessage, Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList


def _account() -> Account:
    # Never contacted: the app starts without syncing.
    return Account(
        name="work",
        email="me@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )


def _header(i: int) -> bytes:
    return (
        f"From: A <a@x.test>\r\nSubject: note {i}\r\nMessage-ID: <n{i}@x.test>\r\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
    ).encode()


async def test_new_mail_reads_the_folders_once_and_shows_the_message(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("work", "INBOX", delimiter="/", role="inbox")
    store.add_messages(inbox, [NewMessage(i, (), _header(i)) for i in range(1, 6)])
    service = MailService(
        {"work": _account()}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    app = TuimailApp(service, start_sync=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        assert lst.count == 5
        reads: list[int] = []
        folders = service.folders
        service.folders = lambda *a, **k: reads.append(1) or folders(*a, **k)
        store.add_messages(inbox, [NewMessage(6, (), _header(6))])  # the watcher's work
        app._handle_event(ServiceEvent("messages", "work", "INBOX"))
        app._handle_event(ServiceEvent("new-mail", "work", "INBOX", count=1))
        await settle(pilot)
        assert lst.count == 6  # the new message is listed
        assert len(reads) == 1
        assert any("1 new message" in str(n.message) for n in app._notifications)
    store.close()
