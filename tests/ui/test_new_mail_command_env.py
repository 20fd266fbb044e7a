"""new_mail_command in the app: every TUIMAIL_* variable describes the message delivered
on the bundled server, and a subject written as shell syntax is only ever a value (the
command line is the user's; the message never becomes part of it)."""

from __future__ import annotations

import asyncio
import os

from tests.ui.helpers import account_for, ready, seed, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.settings import UiSettings

NAMES = ("ACCOUNT", "FOLDER", "FROM", "FROM_NAME", "FROM_ADDRESS", "SUBJECT", "COUNT")


def _app_running(mail_server, user, command: str):
    """(service, app) of `user`'s account with push on and `command` as new_mail_command."""
    account = account_for(mail_server, user)
    password = Secret(user.password)
    service = MailService({account.name: account}, password_for=lambda _a: password, idle=True)
    app = TuimailApp(
        service,
        ui=UiSettings(mark_read_delay=-1),
        notify_setting="off",
        new_mail_command=command,
    )
    return service, app


async def test_the_command_gets_every_variable_and_runs_nothing_from_the_subject(
    mail_server, tmp_path
):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    trap = tmp_path / "pwned"
    subject = f"$(touch {trap}) `touch {trap}` ; touch {trap}"
    out = tmp_path / "env"
    fields = " ".join(f'"$TUIMAIL_{n}"' for n in NAMES)
    command = f"printf '%s\\n' {fields} > {out}"
    service, app = _app_running(mail_server, user, command)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: service.states()["test"].activity == "push", 30)
        mail_server.deliver(
            user,
            (
                f"From: Ann Example <ann@example.test>\r\nTo: {user.email}\r\n"
                f"Subject: {subject}\r\nMessage-ID: <env-1@example.test>\r\n\r\nHi\r\n"
            ).encode(),
        )
        await wait_for(pilot, lambda: out.exists() and out.read_text().count("\n") == 7, 30)
    values = dict(zip(NAMES, out.read_text().split("\n"), strict=False))
    assert values == {
        "ACCOUNT": "test",
        "FOLDER": "INBOX",
        "FROM": "Ann Example <ann@example.test>",
        "FROM_NAME": "Ann Example",
        "FROM_ADDRESS": "ann@example.test",
        "SUBJECT": subject,
        "COUNT": "1",
    }
    assert not trap.exists() and not os.path.exists("pwned")


async def test_a_command_still_running_when_the_app_quits_is_stopped(mail_server, tmp_path):
    """A new_mail_command that hangs is not left running after the app ends (its 60 s
    limit is kept by a thread that ends with the app)."""
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    pids = tmp_path / "pids"
    service, app = _app_running(mail_server, user, f"echo $$ >> {pids}; exec sleep 600")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: service.states()["test"].activity == "push", 30)
        mail_server.deliver(
            user, f"From: a@example.test\r\nTo: {user.email}\r\nSubject: s\r\n\r\nHi\r\n".encode()
        )
        await wait_for(pilot, lambda: pids.exists() and pids.read_text().strip() != "", 30)
    (pid,) = pids.read_text().split()
    gone = False
    for _ in range(100):  # reaped at once; give a loaded machine 10 s
        if not os.path.exists(f"/proc/{pid}"):
            gone = True
            break
        await asyncio.sleep(0.1)
    if not gone:
        os.kill(int(pid), 9)
    assert gone, "the command was left running after the app ended"
