"""The folders and the inbox's first rows are read from the store as the app starts
(tuimail.ui.first_read), so the main screen shows them when it mounts, without a worker
and a frame of its own (issue 19). A read that failed or is not done is done in the
worker as before: the list is shown either way, once."""

from __future__ import annotations

import threading

from tests.ui.helpers import NOW, account_for, make_app, ready, seed, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.settings import UiSettings
from tuimail.ui.widgets.message_list import MessageList


async def _store_with_mail(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    async with make_app(mail_server, user).run_test(size=(120, 40)) as pilot:
        await ready(pilot)  # the store now holds the inbox's rows
    return user


def _service(mail_server, user) -> MailService:
    account = account_for(mail_server, user)
    password = Secret(user.password)
    return MailService({account.name: account}, password_for=lambda _a: password)


def _app(service: MailService) -> TuimailApp:
    """The app as make_app makes it, on `service` (its first read starts here)."""
    ui = UiSettings(mark_read_delay=-1)
    return TuimailApp(service, now=NOW, start_sync=False, ui=ui, sync_fallback=0.1)


def _workers_when_first_shown(app) -> list[list[str]]:
    """The names of the app's workers at the moment each list is shown."""
    seen: list[list[str]] = []
    shown = app._freeze_start_objects  # called as a list is shown

    def record() -> None:
        seen.append([worker.name for worker in app.workers])
        shown()

    app._freeze_start_objects = record
    return seen


async def test_the_rows_read_at_start_are_shown_without_a_worker(mail_server):
    user = await _store_with_mail(mail_server)
    app = make_app(mail_server, user, sync=False)
    app.FIRST_READ_WAIT = 60  # the read begun at start is waited for, however slow
    seen = _workers_when_first_shown(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(seen))
        assert "folders" not in seen[0]
        assert app.main.query_one(MessageList).count == 3


async def test_a_failed_first_read_is_read_again_in_the_worker(mail_server):
    user = await _store_with_mail(mail_server)
    service = _service(mail_server, user)
    real = service.folders
    calls = []

    def folders():
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            raise OSError("the store is busy")
        return real()

    service.folders = folders  # the start's read fails
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app._shown_list != ())
        assert app.main.query_one(MessageList).count == 3
        assert len(calls) == 2  # the start's (failed), the worker's


async def test_a_first_read_not_done_is_waited_for_by_the_worker(mail_server):
    user = await _store_with_mail(mail_server)
    service = _service(mail_server, user)
    real = service.folders
    release = threading.Event()
    calls = []

    def folders():
        calls.append(1)
        release.wait(60)  # the start's read is slow
        return real()

    service.folders = folders
    app = _app(service)
    app.FIRST_READ_WAIT = 0  # the main screen does not wait for it
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._folder_reads.busy)  # the worker waits for it
        assert app._shown_list == ()
        release.set()
        await wait_for(pilot, lambda: app._shown_list != ())
        assert app.main.query_one(MessageList).count == 3
        assert calls == [1]  # read once
