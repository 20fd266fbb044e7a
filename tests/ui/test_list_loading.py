"""The list is read off the UI thread (issue 19) and stays consistent: the title and the
rows change together, a quick second folder switch lands on the folder chosen last (the
first one's rows never show), and new mail keeps the selected message selected."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tests.ui.helpers import settle, wait_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService, ServiceEvent
from tuimail.core.store import NewMessage, Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList

FOLDERS = {"INBOX": 30, "Archive": 250, "Lists": 7}  # Archive: more than a page of rows


def _account() -> Account:
    # Never contacted: the app starts without syncing.
    return Account(
        name="work",
        email="me@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )


def _header(folder: str, i: int) -> bytes:
    return (
        f"From: A{i} <a{i}@x.test>\r\nSubject: {folder} {i}\r\n"
        f"Message-ID: <{folder}{i}@x.test>\r\nDate: Mon, 1 Jan 2024 10:{i % 60:02d}:00 +0000\r\n\r\n"
    ).encode()


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.db")
    for name, count in FOLDERS.items():
        role = "inbox" if name == "INBOX" else None
        folder = store.upsert_folder("work", name, delimiter="/", role=role)
        store.add_messages(folder, [NewMessage(i, (), _header(name, i)) for i in range(count)])
    return store


def _service(store: Store) -> MailService:
    return MailService(
        {"work": _account()}, password_for=lambda a: Secret("x"), idle=False, store=store
    )


def _app(store: Store) -> tuple[TuimailApp, MailService]:
    service = _service(store)
    return TuimailApp(service, start_sync=False), service


def _shown(app: TuimailApp) -> tuple[str, set[str]]:
    """(the folder the title names, the folders of the rows on screen)."""
    lst = app.main.query_one(MessageList)
    height = lst.size.height
    top = lst.scroll_offset.y
    rows = [lst.row_at(i) for i in range(top, min(lst.count, top + height))]
    return app.sub_title.rsplit(" — ", 1)[-1], {r.folder for r in rows if r is not None}


async def _watch(app: TuimailApp, seen: list, stop: asyncio.Event) -> None:
    """What the screen shows, sampled more often than it is painted."""
    while not stop.is_set():
        seen.append(_shown(app))
        await asyncio.sleep(0.002)  # more often than the screen paints (60 Hz)


async def test_quick_switches_land_on_the_last_folder_with_title_and_rows_together(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    app, _service = _app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert _shown(app) == ("INBOX", {"INBOX"})
        seen: list = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(app, seen, stop))
        for folder in ("Archive", "Lists", "INBOX", "Archive", "Lists"):  # no waiting
            app.open_folder("work", folder)
        await settle(pilot)
        stop.set()
        await watcher
        lst = app.main.query_one(MessageList)
        assert (app.account, app.folder) == ("work", "Lists")
        assert _shown(app) == ("Lists", {"Lists"}) and lst.count == FOLDERS["Lists"]
        assert lst.cursor == 0 and lst.current.subject == "Lists 6"
        # never the rows of one folder under the title of another
        assert all(rows <= {title} for title, rows in seen), seen
    store.close()


async def test_a_slow_first_folder_never_shows_after_a_second_choice(tmp_path: Path) -> None:
    store = _store(tmp_path)
    app, service = _app(store)
    release = threading.Event()
    source = service.source

    def slow_source(account, folder, *args, **kwargs):  # the worker's read of Archive waits
        if folder == "Archive":
            release.wait(10)
        return source(account, folder, *args, **kwargs)

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        service.source = slow_source
        seen: list = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(app, seen, stop))
        app.open_folder("work", "Archive")
        await pilot.pause(0.1)
        assert _shown(app) == ("INBOX", {"INBOX"})  # still the folder before, whole
        app.open_folder("work", "Lists")  # while Archive is still being read
        release.set()
        await settle(pilot)
        stop.set()
        await watcher
        assert _shown(app) == ("Lists", {"Lists"})
        assert not any("Archive" in rows or title == "Archive" for title, rows in seen)
    store.close()


async def test_new_mail_keeps_the_selected_message_under_the_cursor(tmp_path: Path) -> None:
    store = _store(tmp_path)
    app, service = _app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.open_folder("work", "Archive")
        await wait_for(pilot, lambda: _shown(app)[0] == "Archive")
        lst = app.main.query_one(MessageList)
        lst.move_cursor(205)  # on the second page of rows
        chosen = lst.current
        archive = store.folder_id("work", "Archive")
        store.add_messages(archive, [NewMessage(999, (), _header("Archive", 59))])  # newest
        app.handle_event(ServiceEvent("messages", "work", "Archive"))
        await settle(pilot)
        assert lst.count == FOLDERS["Archive"] + 1
        assert lst.current.id == chosen.id and lst.cursor == 206
    store.close()


async def test_sorted_by_sender_the_last_page_is_the_last_sender(tmp_path: Path) -> None:
    store = _store(tmp_path)
    app, _service = _app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.open_folder("work", "Archive")
        await wait_for(pilot, lambda: _shown(app)[0] == "Archive")
        await pilot.press("o")  # by sender: sorted once off the loop, pages read by id
        lst = app.main.query_one(MessageList)
        # the cursor stays on its message (the newest, A last by sender); the list sorted
        await wait_for(pilot, lambda: lst.row_at(0).sender == "A0" and lst.source.sort == "from")
        senders = sorted((f"A{i}" for i in range(FOLDERS["Archive"])), key=str.lower)
        await pilot.press("G")
        assert lst.cursor == FOLDERS["Archive"] - 1 and lst.current.sender == senders[-1]
        assert [lst.row_at(i).sender for i in range(lst.count)] == senders
    store.close()


async def test_a_failed_job_is_told_and_not_taken_for_a_success(tmp_path: Path) -> None:
    """A job's error is caught in its thread (Textual would format a traceback of it on
    the UI thread) and still told; a failed user job does not clear the error shown."""
    from tuimail.core.service import ServiceError

    store = _store(tmp_path)
    app, _service = _app(store)

    def fails() -> None:
        raise ServiceError("The folder is gone.")

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.work(fails, "move", lambda _r: app.notify("never"))
        await settle(pilot)
        assert app.last_error == "The folder is gone."
        assert not any("never" in str(n.message) for n in app._notifications)
    store.close()


async def test_threads_a_store_change_during_a_switch_keeps_the_old_title(
    tmp_path: Path,
) -> None:
    """Threads on: the new folder's tree is built in a worker; a store change meanwhile
    re-reads the folders but the title stays with the rows still shown."""
    store = _store(tmp_path)
    app, service = _app(store)
    release = threading.Event()
    source = service.source

    def slow_tree(account, folder, *args, **kwargs):
        if folder == "Archive" and kwargs.get("threaded"):
            release.wait(10)
        return source(account, folder, *args, **kwargs)

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        service.source = slow_tree
        seen: list = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(app, seen, stop))
        app.open_folder("work", "Archive")
        app.handle_event(ServiceEvent("folders", "work"))  # a store change meanwhile
        await wait_for(pilot, lambda: not app._folder_reads.busy)
        assert _shown(app) == ("INBOX", {"INBOX"})
        release.set()
        await settle(pilot)
        stop.set()
        await watcher
        assert _shown(app) == ("Archive", {"Archive"})
        assert all(rows <= {title} for title, rows in seen), seen
    store.close()


async def test_the_first_sync_starts_after_the_first_rows_are_on_screen(tmp_path: Path) -> None:
    """The sync's thread would share the GIL with the first paint: it starts once the
    first rows are shown, however long reading them takes (here 0.4 s)."""
    service = _service(_store(tmp_path))
    source = service.source

    def slow_source(*args, **kwargs):
        threading.Event().wait(0.4)
        return source(*args, **kwargs)

    service.source = slow_source  # type: ignore[method-assign]
    shown_at_start: list = []
    started = threading.Event()
    app = TuimailApp(service, start_sync=True)

    def start() -> None:  # records what the screen showed when the sync began
        shown_at_start.append(_shown(app)[1])
        started.set()

    service.start = start  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, started.is_set, timeout=30)
        assert shown_at_start == [{"INBOX"}]


async def _archive_renamed_while_open(pilot, store: Store) -> None:
    """Archive opened and shown; then renamed to Archive-2024 in the store, as a sync
    after another client's rename leaves it (the app not told yet)."""
    app = pilot.app
    await settle(pilot)
    app.open_folder("work", "Archive")
    await settle(pilot)
    assert _shown(app) == ("Archive", {"Archive"})
    store.rename_folder(store.folder_id("work", "Archive"), "Archive-2024")


async def test_an_open_folder_renamed_elsewhere_gives_way_to_the_inbox(tmp_path: Path) -> None:
    """Another client renamed (or deleted) the folder on screen: when the folders are read
    again, the app says so and shows the account's inbox, not an empty list titled with
    a name the server no longer has."""
    store = _store(tmp_path)
    app, _service = _app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await _archive_renamed_while_open(pilot, store)
        app.refresh_folders()
        await settle(pilot)
        assert _shown(app) == ("INBOX", {"INBOX"})
        assert any("Archive" in str(n.message) for n in app._notifications)


async def test_an_open_folder_renamed_elsewhere_is_followed_to_its_new_name(
    tmp_path: Path,
) -> None:
    """When the server told the new name (IDLE with NOTIFY: the runtime's "folders"
    event carries `renamed_to`), the app shows the folder under that name, not the
    inbox, and says so."""
    store = _store(tmp_path)
    app, _service = _app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await _archive_renamed_while_open(pilot, store)
        app.handle_event(ServiceEvent("folders", "work", "Archive", renamed_to="Archive-2024"))
        await settle(pilot)
        assert _shown(app) == ("Archive-2024", {"Archive-2024"})
        assert any("renamed to Archive-2024" in str(n.message) for n in app._notifications)
