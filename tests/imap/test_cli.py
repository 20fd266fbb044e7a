"""`tuimail sync | list | read | watch` against the bundled server."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

from tests.imap.helpers import account_for, message
from tests.process import interrupt
from tuimail.__main__ import main
from tuimail.core.config import save_account


def _configure(mail_server, user) -> None:
    account = account_for(mail_server, user, name="work")
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    save_account(account)


def test_sync_list_read(mail_server, capsys) -> None:
    user = mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(user, message(i, "cli"))
    mail_server.deliver(
        user,
        b"From: x@example.test\r\nSubject: evil \x1b[31mred\r\nMessage-ID: <e@x>\r\n\r\nbody \x1b]0;owned\x07 here\r\n",
    )
    _configure(mail_server, user)

    assert main(["sync", "work", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result[0]["account"] == "work" and result[0]["new"] == 4 and result[0]["errors"] == []

    assert main(["sync"]) == 0
    assert "work: 6 folders, 0 new, 0 changed, 0 removed in" in capsys.readouterr().out

    assert main(["list", "work", "--limit", "2", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 2 and {m["uid"] for m in listed} <= {1, 2, 3, 4}
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "cli 3" in text and "\x1b" not in text

    assert main(["read", "2", "--account", "work"]) == 0
    out = capsys.readouterr().out
    assert "Body of 2." in out and "cli 2" in out
    assert main(["read", "4"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "here" in out
    assert main(["read", "99"]) == 2
    assert "no message with UID 99" in capsys.readouterr().err
    assert main(["sync", "nosuch"]) == 2
    assert "no account named nosuch" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_watch_prints_new_mail_until_interrupted(mail_server) -> None:
    user = mail_server.new_user()
    _configure(mail_server, user)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert proc.stdout.readline().startswith("watching work INBOX")
        mail_server.deliver(user, message(7, "watched"))
        line = proc.stdout.readline()
        assert "watched 7" in line and "Sender 7" in line
    finally:
        interrupt(proc)
    assert proc.returncode == 0


@pytest.mark.timeout(60)
def test_watch_stops_at_a_refused_password_after_one_login(mail_server) -> None:
    """`tuimail watch` with a wrong password: one LOGIN, a sentence that says the login
    was refused (not "connection lost"), exit 1; it used to retry every minute."""
    user = mail_server.new_user()
    account = account_for(mail_server, user, name="work")
    account.password_command = "printf %s wrong-password"
    save_account(account)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    out, err = proc.communicate(timeout=45)
    assert proc.returncode == 1, (out, err)
    assert "refused the login" in err and "not trying again" in err, err
    assert "connection lost" not in err and "Traceback" not in err
    assert "wrong-password" not in out + err
    attempts = [a for a in mail_server.protocol_server("imap").auth_log if a.login == user.login]
    assert len(attempts) == 1 and not attempts[0].success


@pytest.mark.timeout(60)
def test_watch_json_ends_with_a_stopped_event_at_a_refused_password(mail_server) -> None:
    user = mail_server.new_user()
    account = account_for(mail_server, user, name="work")
    account.password_command = "printf %s wrong-password"
    save_account(account)
    proc = subprocess.run(
        [sys.executable, "-m", "tuimail", "watch", "work", "--json"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
        timeout=45,
    )
    assert proc.returncode == 1, proc
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert events[-1]["event"] == "stopped" and events[-1]["account"] == "work"
    assert "refused the login" in events[-1]["detail"]
    assert not any(e["event"] == "disconnected" for e in events)


def test_a_password_outside_ascii_logs_in(mail_server, capsys) -> None:
    """imaplib writes LOGIN's strings in ASCII: a password such as "pässwort" never left,
    and the failure was said as the server sending "bytes that are not valid". It goes
    with AUTHENTICATE PLAIN (UTF-8) now."""
    user = mail_server.add_user("umlaut", 'pässwört "q" \\ ☃')
    mail_server.deliver(user, message(1, "utf8"))
    _configure(mail_server, user)
    assert main(["sync", "work"]) == 0, capsys.readouterr().err
    assert main(["list", "work"]) == 0
    assert "utf8 1" in capsys.readouterr().out


def test_a_store_that_cannot_be_written_is_said_so(mail_server, tmp_path) -> None:
    """SQLite failing to write (a full disk; here a file size limit) was said as
    "Something went wrong: disk I/O error", the words kept for tuimail's own bugs."""
    import resource

    user = mail_server.new_user()
    big = message(1, "big") + (b"y" * 70 + b"\r\n") * 4000
    mail_server.deliver(user, big)
    _configure(mail_server, user)
    assert main(["sync", "work"]) == 0
    limit = 128 * 1024  # caching the 290 KB message goes past it

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "tuimail", "read", "1", "--account", "work"],
        capture_output=True,
        text=True,
        timeout=90,
        preexec_fn=small_files,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-300:]
    assert "local store could not be written" in result.stderr, result.stderr
    assert "Something went wrong" not in result.stderr and "Traceback" not in result.stderr
