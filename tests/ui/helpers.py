"""Helpers for the UI tests: an app on the bundled server, and waiting on conditions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from textual import events
from textual.command import CommandInput, CommandList, CommandPalette

from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.demo import SAMPLES, sample
from tuimail.ui.screens.dialogs import ConfirmDialog, InputDialog
from tuimail.ui.settings import UiSettings
from tuimail.ui.widgets.prompt_line import PromptLine

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def account_for(server, user, name: str = "test") -> Account:
    return Account(
        name=name,
        email=user.email,
        display_name="Test User",
        incoming=ServerSettings(server.host, server.ports.imap_tls, "tls"),
        outgoing=ServerSettings(server.host, server.ports.smtp_starttls, "starttls"),
        ca_file=server.ca_file,
    )


def seed(server, user, count: int | None = None) -> None:
    items = SAMPLES if count is None else SAMPLES[:count]
    for i, item in enumerate(items):
        server.deliver(user, sample(len(items) - i, *item, to=user.email))


def make_app(
    server,
    user,
    *,
    idle: bool = False,
    sync: bool = True,
    store=None,
    retry_after: float = 60,
    mark_read_delay: float = -1,
):
    """The app on the bundled server. A preview never marks a message read by itself
    (mark_read_delay -1) unless a test asks: a timer must not change a picture. On an
    empty store (no list to paint first) the first sync starts after 0.1 s, not 1 s."""
    account = account_for(server, user)
    password = Secret(user.password)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: password,
        idle=idle,
        store=store,
        retry_after=retry_after,  # long: a snapshot must not catch a second attempt
    )
    return TuimailApp(
        service,
        now=NOW,
        start_sync=sync,
        ui=UiSettings(mark_read_delay=mark_read_delay),
        sync_fallback=0.1,
    )


def asking(app):
    """The input a question is typed into: a dialog box's, or the main screen's prompt
    line (the search) while it is open; None when nothing asks."""
    from textual.widgets import Input

    screen = app.screen
    if isinstance(screen, InputDialog):
        return screen.query_one(Input)
    main = app.main
    if main is not None and screen is main and main.query_one(PromptLine).is_open:
        return main.query_one(PromptLine).input
    return None


def record_notes(app) -> list[str]:
    """The text of every toast `app` shows from now on, in order (a live list)."""
    notes: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return notes


def record_restyles(app) -> list:
    """Every node `app` restyles from now on (a class or pseudo-class changed, a screen
    resumed): a live list."""
    nodes: list = []
    original = app.update_styles

    def update_styles(node, animate: bool = True) -> None:
        nodes.append(node)
        original(node, animate=animate)

    app.update_styles = update_styles
    return nodes


class Started(NamedTuple):
    """What `started` yields: the pilot, the app, its user on the server, and the text
    of every toast since the start (a live list)."""

    pilot: Any
    app: TuimailApp
    user: Any
    notes: list[str]


@asynccontextmanager
async def started(
    server,
    count: int | None = None,
    *,
    size: tuple[int, int] = (120, 40),
    user: Any = None,
    **options: Any,
) -> AsyncIterator[Started]:
    """`user` (a new one if None) on the bundled `server` given the first `count` demo
    samples (all: None, none: 0), the app on it (make_app's `options`) run headless at
    `size` until its first sync is on screen, toasts recorded from the start."""
    user = server.new_user() if user is None else user
    seed(server, user, count)
    app = make_app(server, user, **options)
    notes = record_notes(app)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        yield Started(pilot, app, user, notes)


@asynccontextmanager
async def running(
    server, deliver: Callable = seed, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple]:
    """`started` with the mail given by `deliver(server, user)` (the demo samples);
    yields (pilot, notes)."""
    user = server.new_user()
    deliver(server, user)
    async with started(server, 0, size=size, user=user) as run:
        yield run.pilot, run.notes


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def settle(pilot) -> None:
    """Wait for workers to finish and the screen to repaint. A worker's result may start
    another (the folders read opens the inbox, whose rows are read in turn): wait until
    none is left running."""
    for _ in range(50):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await asyncio.sleep(0)
        if all(w.is_finished for w in pilot.app.workers):
            return


async def idling_on(pilot, app, folder: str, account: str = "test") -> None:
    """Open `folder` in `app` (made with idle=True) and wait until its watcher idles on
    it (the server's news about it now reach the app at once)."""
    from tuimail.core.imap.idle import WatchState

    backend = app.service.backend(account)
    await wait_for(pilot, lambda: backend._watcher is not None, 30)
    events: list = []
    backend._watcher.subscribe(events.append)
    app.open_folder(account, folder)

    def idle(event) -> bool:
        return isinstance(event, WatchState) and event.folder == folder and event.state == "idle"

    await wait_for(pilot, lambda: any(map(idle, events)), 30)


async def ready(pilot) -> None:
    """The first sync finished and the screen caught up."""
    await wait_for(pilot, lambda: pilot.app.synced, timeout=30)
    await settle(pilot)


async def open_composer(
    pilot, to: str | None = None, subject: str | None = None, body: str | None = None
):
    """Press c and return the composer screen, with the fields given filled in."""
    from textual.widgets import TextArea

    from tuimail.ui.screens.composer import ComposerScreen

    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    screen = pilot.app.screen
    if to is not None:
        screen.query_one("#compose-to").value = to
    if subject is not None:
        screen.query_one("#compose-subject").value = subject
    if body is not None:
        screen.query_one("#compose-body", TextArea).text = body
    return screen


async def run_from_palette(
    pilot, title: str, confirm: bool = False, *, opens_screen: bool = False
) -> None:
    """Ctrl+P, the title into the palette's search (as if pasted: one search, not one per
    typed key, each of which searches every command), highlight the command with exactly
    that title, Enter (and y to the question it asks, with `confirm`). Then back on the
    screen it started from, unless the command `opens_screen`."""
    app = pilot.app
    before = app.screen
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    app.screen.query_one(CommandInput).value = title
    commands = app.screen.query_one(CommandList)

    def index() -> int | None:
        for i in range(commands.option_count):
            if str(commands.get_option_at_index(i).hit.text) == title:
                return i
        return None

    await wait_for(pilot, lambda: index() is not None)
    commands.highlighted = index()
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
    await pilot.pause()
    if app.screen is not before and isinstance(app.screen, ConfirmDialog) and confirm:
        await pilot.press("y")
    if not opens_screen:
        await wait_for(pilot, lambda: app.screen is before)
    await pilot.pause()


def type_burst(app, keys: list[tuple[str, str]]) -> None:
    """Queue every key at once, as a terminal's read of a burst delivers them (pilot.press
    waits after each key, which hides the race). `keys`: (key, character) pairs."""
    for key, char in keys:
        app.post_message(events.Key(key, char))


def chars(text: str) -> list[tuple[str, str]]:
    """`text` as (key, character) pairs for `type_burst`."""
    return [(c, c) for c in text]


def refused_move(account: str):
    """The service's event for a move the server refused, with its long words (a
    last-action error a status bar at 80 columns cannot show whole)."""
    from tuimail.core.errors import Refused
    from tuimail.core.runtime import ServiceEvent

    said = "[TRYCREATE] Mailbox doesn't exist: Archive/2024/Clients"
    error = Refused(protocol="imap", server_text=said)
    return ServiceEvent("error", account, "INBOX", error=error, action="move")
