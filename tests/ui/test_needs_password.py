"""A refused password in the app (issue 13): the status bar says the login was refused and
that nothing is tried again, and no second login happens by itself; ctrl+r with the right
password brings the account online."""

from __future__ import annotations

import threading

from tests.ui.helpers import account_for, ready, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.status import StatusBar

from .helpers import NOW


def _status(app) -> str:
    """The status bar's words, and its tooltip: the whole sentence of an account said
    there in a few words (a refused login's does not fit one line)."""
    bar = app.main.query_one(StatusBar)
    return f"{bar.render()}\n{bar.tooltip or ''}"


def _logins(server, user) -> list:
    return [a for a in server.protocol_server("imap").auth_log if a.login == user.login]


async def test_a_refused_password_says_so_and_waits_for_the_user(mail_server):
    user = mail_server.new_user()
    account = account_for(mail_server, user)
    passwords = ["wrong", user.password]
    service = MailService(
        {account.name: account},
        password_for=lambda _a: Secret(passwords[0]),
        idle=True,
        retry_after=0.2,
    )
    app = TuimailApp(service, now=NOW, start_sync=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "refused the login" in _status(app))
        status = _status(app)
        assert "! test:" in status and "not trying again" in status, status
        assert "connection" not in status and "retrying in" not in status
        threading.Event().wait(1.0)  # many retry periods (0.2 s): nothing happens
        await pilot.pause()
        assert len(_logins(mail_server, user)) == 1
        passwords.pop(0)  # the user fixed the password, then asks for a sync
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: service.states()["test"].activity == "push", timeout=30)
        assert "refused" not in _status(app)
        tries = [a.success for a in _logins(mail_server, user)]
        assert tries[0] is False and all(tries[1:])  # the sync and push connections


async def test_a_refused_password_typed_here_is_asked_for_again(mail_server):
    """The password came from the app's own question: after the refusal the question comes
    back (one login per answer), and the right answer brings the account online."""
    from textual.widgets import Input

    from tuimail.ui.screens.dialogs import InputDialog

    user = mail_server.new_user()
    account = account_for(mail_server, user)
    service = MailService({account.name: account}, idle=False, retry_after=0.2)
    app = TuimailApp(service, now=NOW, start_sync=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog), timeout=30)
        app.screen.query_one(Input).value = "wrong"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(_logins(mail_server, user)) == 1, timeout=30)
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog), timeout=30)
        assert len(_logins(mail_server, user)) == 1  # asked, not retried by itself
        app.screen.query_one(Input).value = user.password
        await pilot.press("enter")
        await wait_for(pilot, lambda: service.states()["test"].phase == "online", timeout=30)
        tries = [a.success for a in _logins(mail_server, user)]
        assert tries[0] is False and tries[1] is True


async def test_a_password_given_to_diagnose_brings_the_account_online(mail_server):
    """Regression: the password question answered with Esc, then H (Diagnose) asked for
    it again and logged in with it, and yet the account stayed "no password" until
    Ctrl+R. Leaving Diagnose now syncs an account waiting for the password it was given."""
    from textual.widgets import Input

    from tuimail.ui.screens.diagnose import DiagnoseScreen
    from tuimail.ui.screens.dialogs import InputDialog

    user = mail_server.new_user()
    account = account_for(mail_server, user)
    service = MailService({account.name: account}, idle=False, retry_after=60)
    app = TuimailApp(service, now=NOW, start_sync=True)
    app.doctor_options = {"timeout": 10, "nameserver": f"{mail_server.host}:{mail_server.dns_port}"}
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog), timeout=30)
        await pilot.press("escape")  # no password now
        await wait_for(pilot, lambda: service.states()["test"].phase == "needs-password")
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog), timeout=30)
        app.screen.query_one(Input).value = user.password
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
        await wait_for(pilot, lambda: len(_logins(mail_server, user)) >= 1, timeout=30)
        await pilot.press("escape")
        await wait_for(pilot, lambda: service.states()["test"].phase == "online", timeout=30)
        assert not isinstance(app.screen, InputDialog)  # not asked a third time
