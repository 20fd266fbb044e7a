"""Audit of issue 8, setup wizard: the "password command" choice through to a saved
account that a later start of `tuimail` logs in with (the other wizard tests save with
"ask each session"), against the bundled server over TLS."""

from __future__ import annotations

import shlex

from textual.widgets import Input

from tests.ui.helpers import seed, settle, wait_for
from tests.ui.wizard_helpers import SIZE, choose, log_of, manual, put, verify, wizard_for
from tuimail.core import secrets
from tuimail.core.config import load_config
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.screens.wizard import WizardScreen
from tuimail.ui.widgets.message_list import MessageList


async def test_password_command_choice_is_saved_and_used_at_the_next_start(
    mail_server, monkeypatch, tmp_path
):
    from tuimail.cli.app import run_app

    user = mail_server.new_user()
    seed(mail_server, user, 2)
    # A shell pipeline, as users write them (`pass show x | head -1`): run by sh -c.
    secret_file = tmp_path / "pw"
    secret_file.write_text(f"{user.password}\nsecond line\n")
    command = f"cat {shlex.quote(str(secret_file))} | head -n 1"
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        put(screen, email=user.email, password=user.password)
        manual(screen, mail_server)
        await verify(pilot, screen)
        assert screen.verified, log_of(screen)
        choose(screen, "storage", "command")
        await pilot.pause()
        await pilot.press("ctrl+s")  # no command typed yet: a sentence, nothing saved
        await wait_for(pilot, lambda: "Enter the password command" in log_of(screen))
        assert isinstance(app.screen, WizardScreen) and not load_config().accounts
        screen.query_one("#wiz-command", Input).value = command
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        saved = next(iter(load_config().accounts.values()))
        assert saved.password_command == command
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        await wait_for(pilot, lambda: app.screen.query_one(MessageList).count == 2)
    # A new start of `tuimail`: nothing remembered from the session, only the command.
    secrets.SESSION.forget(saved)
    started: list[TuimailApp] = []
    monkeypatch.setattr(TuimailApp, "run", lambda self: started.append(self))
    assert run_app() == 0
    app = started[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)  # no password dialog was needed
        assert app.screen.query_one(MessageList).count == 2
        assert app.service.states()[saved.name].state != "error"
