"""New mail while the app runs: the terminal is told (OSC 777 here; the sender and subject
cleaned), new_mail_command runs with the message in its environment; the theme chosen in
the app is saved in the config and used at the next start."""

from __future__ import annotations

from tests.ui.helpers import account_for, make_app, ready, seed, wait_for
from tuimail.core.config import load_config, save_account
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.settings import UiSettings

NEW = (
    b"From: Ann <ann@example.test>\r\nTo: t@example.test\r\n"
    b"Subject: Lunch; \x1b]0;evil\x07today?\r\nMessage-ID: <new-1@example.test>\r\n\r\nHi\r\n"
)


def _app(server, user, **kwargs) -> TuimailApp:
    account = account_for(server, user)
    password = Secret(user.password)
    service = MailService({account.name: account}, password_for=lambda _a: password, idle=True)
    return TuimailApp(service, ui=UiSettings(mark_read_delay=-1), **kwargs)


async def test_new_mail_tells_the_terminal_and_runs_the_command(mail_server, tmp_path):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    out = tmp_path / "hook"
    command = f'printf "%s|%s" "$TUIMAIL_FROM_ADDRESS" "$TUIMAIL_SUBJECT" > {out}'
    app = _app(mail_server, user, notify_setting="osc777", new_mail_command=command)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.service.states()["test"].activity == "push", 30)
        mail_server.deliver(user, NEW)
        await wait_for(pilot, lambda: app.terminal_notes, 30)
        sequence = app.terminal_notes[0]
        assert sequence.startswith("\x1b]777;notify;New mail from Ann;Lunch, ")
        inner = sequence[len("\x1b]777;") : -2]  # nothing can end or extend the sequence
        assert inner.count(";") == 2 and not any(ord(c) < 32 for c in inner)
        assert sequence.endswith("today?\x1b\\")
        await wait_for(pilot, lambda: out.exists() and out.read_text(), 30)
        address, subject = out.read_text().split("|")
        assert address == "ann@example.test" and subject.startswith("Lunch; ")
        assert "\x1b" not in subject and subject.endswith("today?")


async def test_notify_off_tells_the_terminal_nothing(mail_server):
    user = mail_server.new_user()
    app = _app(mail_server, user, notify_setting="off")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.service.states()["test"].activity == "push", 30)
        mail_server.deliver(user, NEW)
        await wait_for(pilot, lambda: app.main.query_one("MessageList").count == 1, 30)
        assert app.terminal_notes == []


async def test_the_theme_chosen_is_saved_and_used_next_time(mail_server, tmp_path):
    from tuimail.cli.app import _theme_saver

    user = mail_server.new_user()
    path = tmp_path / "config.toml"
    save_account(account_for(mail_server, user), path)
    app = make_app(mail_server, user)
    app._save_theme = _theme_saver(path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        app.theme = "nord"
        await wait_for(pilot, lambda: load_config(path).settings.get("theme") == "nord")
    config = load_config(path)
    assert "test" in config.accounts  # the rest of the file is kept
    again = _app(mail_server, user, theme=config.settings["theme"])
    async with again.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert again.theme == "nord"
