"""`tuimail sync` downloads POP3 accounts too, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.pop3.test_pop3_fetch import message, pop3_account
from tuimail.core.config import save_account


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tuimail", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_sync_downloads_pop3_once(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.deliver(user, message(2))
    account = pop3_account(mail_server, user)
    account.password_command = f"printf %s {user.password}"
    save_account(account)

    first = run("sync", "--json")
    assert first.returncode == 0, first.stderr
    (summary,) = json.loads(first.stdout)
    assert summary["new"] == 2 and summary["deleted_on_server"] == 0

    second = run("sync")
    assert second.returncode == 0, second.stderr
    assert "0 new" in second.stdout

    listed = run("list", "pop", "--json")
    assert listed.returncode == 0, listed.stderr
    assert user.password not in first.stdout + second.stdout + listed.stdout


def test_sync_reports_a_wrong_password_as_a_sentence(mail_server):
    user = mail_server.new_user()
    account = pop3_account(mail_server, user)
    account.password_command = "printf %s wrong-password"
    save_account(account)
    result = run("sync")
    assert result.returncode == 1
    assert "login failed" in result.stderr
    assert "Traceback" not in result.stderr
