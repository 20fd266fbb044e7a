"""`tuimail sync` downloads POP3 accounts too, as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.pop3.helpers import message, run_cli, saved_account, start_cli
from tests.process import interrupt


def test_sync_downloads_pop3_once(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.deliver(user, message(2))
    saved_account(mail_server, user)

    first = run_cli("sync", "--json")
    assert first.returncode == 0, first.stderr
    (summary,) = json.loads(first.stdout)
    assert summary["new"] == 2 and summary["deleted_on_server"] == 0

    second = run_cli("sync")
    assert second.returncode == 0, second.stderr
    assert "0 new" in second.stdout

    listed = run_cli("list", "pop", "--json")
    assert listed.returncode == 0, listed.stderr
    assert user.password not in first.stdout + second.stdout + listed.stdout


def test_sync_reports_a_wrong_password_as_a_sentence(mail_server):
    user = mail_server.new_user()
    saved_account(mail_server, user, password="wrong-password")
    result = run_cli("sync")
    assert result.returncode == 1
    assert "refused the login for" in result.stderr
    assert "Traceback" not in result.stderr
    # a one-shot pass: what failed, as for IMAP; not the app's "not trying again until
    # the password is checked" (running sync again does try again)
    assert "not trying again" not in result.stderr


@pytest.mark.timeout(60)
def test_watch_polls_a_pop3_account_until_interrupted(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    saved_account(mail_server, user, poll_interval=1)
    proc = start_cli("watch", "pop")
    try:
        assert proc.stdout.readline().startswith("watching pop (POP3, every 1 s)")
        assert "message 1" in proc.stdout.readline()  # the first pass
        mail_server.deliver(user, message(2))
        line = proc.stdout.readline()  # a later poll
        assert "message 2" in line and "sender2@example.test" in line
    finally:
        _out, err = interrupt(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert len(mail_server.messages(user)) == 2  # left on the server


@pytest.mark.timeout(60)
def test_watch_names_the_message_that_came_not_the_newest_dated(mail_server):
    """New POP3 mail was announced as the first rows of the list (the newest by Date):
    after a message dated in the future (spam does that), every new message was printed,
    and handed to --exec and new_mail_command, as that one."""
    user = mail_server.new_user()
    future = b"Date: Mon, 1 Jan 2099 10:00:00 +0000\r\n"
    mail_server.deliver(
        user, message(1, extra=b"").replace(b"\r\n\r\n", b"\r\n" + future + b"\r\n", 1)
    )
    saved_account(mail_server, user, poll_interval=1)
    proc = start_cli("watch", "pop")
    try:
        assert proc.stdout.readline().startswith("watching pop (POP3, every 1 s)")
        assert "message 1" in proc.stdout.readline()  # the first pass
        late = b"Date: Tue, 2 Jan 2001 10:00:00 +0000\r\n"
        mail_server.deliver(user, message(2).replace(b"\r\n\r\n", b"\r\n" + late + b"\r\n", 1))
        line = proc.stdout.readline()  # a later poll
        assert "message 2" in line and "sender2@example.test" in line, line
    finally:
        _out, err = interrupt(proc)
    assert proc.returncode == 0, err


@pytest.mark.timeout(60)
def test_watch_stops_at_a_wrong_password_with_a_sentence_and_never_retries(mail_server):
    """A rejected password is not tried again every poll (lock-out risk): one login, one
    sentence that says so (not "connection lost"), exit status 1."""
    user = mail_server.new_user()
    saved_account(mail_server, user, password="wrong-password", poll_interval=1)
    proc = start_cli("watch", "pop")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, (out, err)
    assert "refused the login for" in err and "not trying again" in err, err
    assert "connection lost" not in err and "trying again later" not in err
    assert "Traceback" not in err and "wrong-password" not in out + err
    log = mail_server.protocol_server("pop3").auth_log
    logins = [a for a in log if a.login == user.login]
    assert len(logins) == 1, logins


def test_a_pop3_account_polls_every_five_minutes_by_default(tmp_path):
    from tuimail.core.config import load_config

    path = tmp_path / "config.toml"
    path.write_text(
        '[accounts.home]\nemail = "me@example.test"\nprotocol = "pop3"\n'
        'incoming = { host = "pop.example.test", port = 995, security = "tls" }\n'
        'outgoing = { host = "smtp.example.test", port = 465, security = "tls" }\n'
    )
    (account,) = load_config(path).accounts.values()
    assert account.protocol == "pop3" and account.poll_interval == 300
    assert account.leave_on_server and account.delete_after_days == 0
    assert not account.delete_on_server_when_deleted_locally
