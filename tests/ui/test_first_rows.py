"""At start the inbox's first rows are read with the folders (one worker, one frame;
issue 19: the warm start to the first painted list): the folder tree never shows the
folders while the list is still empty, and the rows are the inbox's, newest first."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import settle, wait_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import NewMessage, Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList


def _app(tmp_path: Path) -> TuimailApp:
    store = Store(tmp_path / "s.db")
    for name, count in (("Archive", 40), ("INBOX", 12)):
        folder = store.upsert_folder(
            "work", name, delimiter="/", role="inbox" if name == "INBOX" else None
        )
        store.add_messages(
            folder,
            [
                NewMessage(
                    i + 1,
                    (),
                    (
                        f"From: A <a@x.test>\r\nSubject: {name} {i}\r\n"
                        f"Message-ID: <{name}{i}@x.test>\r\n"
                        f"Date: Mon, 1 Jan 2024 10:{i:02d}:00 +0000\r\n\r\n"
                    ).encode(),
                )
                for i in range(count)
            ],
        )
    account = Account(  # never contacted: the app starts without syncing
        name="work",
        email="me@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )
    service = MailService(
        {"work": account}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    return TuimailApp(service, start_sync=False)


async def test_the_folders_and_the_inbox_rows_appear_together(tmp_path, monkeypatch):
    app = _app(tmp_path)
    rows_when_folders_shown: list[int] = []
    set_folders = FolderTree.set_folders

    def recorded(tree, folders, selected):
        rows_when_folders_shown.append(tree.screen.query_one(MessageList).count)
        return set_folders(tree, folders, selected)

    monkeypatch.setattr(FolderTree, "set_folders", recorded)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(
            pilot, lambda: app.main is not None and app.main.query_one(MessageList).count
        )
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        assert (app.account, app.folder) == ("work", "INBOX")
        assert lst.count == 12 and lst.row_at(0).subject == "INBOX 11"
        assert app.sub_title == "work — INBOX"
        # the same callback shows both: no frame has the folders without the rows
        assert rows_when_folders_shown[0] == 12
        # later reads still work as before: another folder, then back
        app.open_folder("work", "Archive")
        await wait_for(pilot, lambda: lst.count == 40)
        app.open_folder("work", "INBOX")
        await wait_for(pilot, lambda: lst.count == 12)
