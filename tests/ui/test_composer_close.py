"""Closing the composer never throws a message away silently: unchanged closes at once,
changed asks (save draft / discard / keep editing), and a message the server refused to
take now is already safe in the outbox, so closing then needs no question."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.widgets import TextArea

from tests.ui.helpers import make_app, open_composer, ready, seed, wait_for
from tuimail.core.outbox import Outbox
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.dialogs import ChoiceDialog


@asynccontextmanager
async def _app(server, seeded: int = 0) -> AsyncIterator[tuple]:
    """A new user on `server` with `seeded` messages and the app on it, its first sync
    on screen; yields (user, app, pilot)."""
    user = server.new_user()
    if seeded:
        seed(server, user, seeded)
    app = make_app(server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        yield user, app, pilot


async def _write(pilot, body: str) -> ComposerScreen:
    """Open the composer and write `body` in it; returns the composer."""
    screen = await open_composer(pilot)
    screen.query_one("#compose-body", TextArea).text = body
    return screen


async def _ask(pilot, key: str) -> None:
    """Press `key` (Escape, Ctrl+Q) in a changed composer: the keep-it question opens."""
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChoiceDialog))


async def _closed(pilot) -> None:
    """Neither the composer nor its question is on screen any more."""
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, (ComposerScreen, ChoiceDialog)))


def _body(screen: ComposerScreen) -> str:
    return screen.query_one("#compose-body", TextArea).text


async def test_close_asks_only_when_something_would_be_lost(mail_server):
    async with _app(mail_server, seeded=2) as (user, app, pilot):
        await open_composer(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposerScreen))

        screen = await _write(pilot, "Half a thought.\n")
        await _ask(pilot, "escape")
        await pilot.press("k")  # keep editing: back, text intact
        await wait_for(pilot, lambda: app.screen is screen)
        assert _body(screen) == "Half a thought.\n"

        await _ask(pilot, "escape")
        await pilot.press("escape")  # Escape on the question is "keep editing" too
        await wait_for(pilot, lambda: app.screen is screen)

        await _ask(pilot, "escape")
        await pilot.press("s")  # save draft: it reaches the server's Drafts, then closes
        await _closed(pilot)
        await wait_for(pilot, lambda: bool(mail_server.messages(user, "Drafts")), timeout=20)
        assert b"Half a thought." in mail_server.messages(user, "Drafts")[0]

        await _write(pilot, "Never mind.\n")
        await _ask(pilot, "escape")
        await pilot.press("d")  # discard
        await _closed(pilot)
        assert len(mail_server.messages(user, "Drafts")) == 1


async def test_refused_send_waits_in_outbox_and_closes_without_question(mail_server):
    bob = mail_server.new_user()
    async with _app(mail_server, seeded=1) as (_user, app, pilot):
        mail_server.faults.add(protocol="smtp", kind="reply", command="CONNECT", code=421,
                               message="4.3.2 Too busy")  # fmt: skip
        screen = await _write(pilot, "Queued.\n")
        screen.query_one("#compose-to").value = bob.email
        screen.query_one("#compose-subject").value = "Try again later"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(Outbox("test").entries()) == 1, timeout=20)
        # sent by itself later: the composer closes (a second Send queued it twice)
        await _closed(pilot)
        assert [e.state for e in Outbox("test").entries()] == ["retrying"]


async def test_ctrl_q_in_a_changed_composer_asks_and_quits_only_once_the_draft_is_saved(
    mail_server,
):
    """Ctrl+Q used to end the app at once, and the message being written was gone."""
    async with _app(mail_server, seeded=1) as (user, app, pilot):
        screen = await _write(pilot, "Do not lose me.\n")
        await _ask(pilot, "ctrl+q")
        assert app.is_running
        await pilot.press("k")  # keep editing
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.is_running
        await _ask(pilot, "ctrl+q")
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.is_running, timeout=30)
    drafts = mail_server.messages(user, "Drafts")
    assert len(drafts) == 1 and b"Do not lose me." in drafts[0]


async def test_ctrl_q_with_nothing_typed_in_the_composer_quits_at_once(mail_server):
    async with _app(mail_server) as (_user, app, pilot):
        await open_composer(pilot)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_a_hang_up_keeps_the_message_being_written_as_a_draft(mail_server):
    """SIGHUP (the SSH connection dropped) used to end tuimail at once and the text was
    lost; now it is saved as a draft (locally and in the server's Drafts), then tuimail
    ends."""
    import os
    import signal

    user = mail_server.new_user()
    app = make_app(mail_server, user)
    # Were the app not to take SIGHUP, this test (not the test run) sees it.
    previous = signal.signal(signal.SIGHUP, lambda *_: None)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await _write(pilot, "Written before the line dropped.\n")
            os.kill(os.getpid(), signal.SIGHUP)
            await wait_for(pilot, lambda: not app.is_running, timeout=30)
    finally:
        signal.signal(signal.SIGHUP, previous)
    drafts = mail_server.messages(user, "Drafts")
    assert len(drafts) == 1 and b"Written before the line dropped." in drafts[0]


async def test_ctrl_q_again_while_its_question_is_open_asks_no_second_question(mail_server):
    """Each further quit request (Ctrl+Q, the app's quit action) used to push another
    "keep it before quitting?" question on top of the open one, so one answer left
    another identical question behind."""
    async with _app(mail_server) as (_user, app, pilot):
        screen = await _write(pilot, "One question is enough.\n")
        await _ask(pilot, "ctrl+q")
        await pilot.press("ctrl+q", "ctrl+q")
        await app.run_action("quit")  # the app's quit, however it is asked for again
        await pilot.pause()
        assert sum(isinstance(s, ChoiceDialog) for s in app.screen_stack) == 1
        await pilot.press("k")  # keep editing: straight back to the composer
        await wait_for(pilot, lambda: app.screen is screen)
        assert _body(screen) == "One question is enough.\n"
        assert app.is_running
