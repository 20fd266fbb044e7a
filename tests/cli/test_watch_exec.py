"""`tuimail watch --exec CMD`: the command runs once per new message with the sender and
subject in TUIMAIL_* variables; a subject full of shell syntax is never run."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.cli.helpers import configure
from tests.process import interrupt

HOSTILE = "$(touch pwned) `touch pwned2`; rm -rf nothing"


def _watch(command: str, cwd) -> subprocess.Popen:
    """`tuimail watch work --exec COMMAND` as a child process, its output read as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work", "--exec", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        cwd=cwd,
    )


@pytest.mark.timeout(90)
def test_watch_exec_runs_the_command_per_message_with_the_environment(mail_server, tmp_path):
    user = mail_server.new_user()
    configure(mail_server, user)
    out = tmp_path / "hook.log"
    command = f'printf "%s|%s\\n" "$TUIMAIL_FROM" "$TUIMAIL_SUBJECT" >> {out}'
    proc = _watch(command, tmp_path)
    try:
        assert "watching" in proc.stdout.readline()
        mail_server.deliver(
            user,
            (
                "From: Ann <ann@example.test>\r\nTo: b@example.test\r\n"
                f"Subject: {HOSTILE}\r\nMessage-ID: <h1@example.test>\r\n\r\nbody\r\n"
            ).encode(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (out.exists() and out.read_text()):
            time.sleep(0.1)
    finally:
        interrupt(proc)
    assert out.read_text() == f"Ann <ann@example.test>|{HOSTILE}\n"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


@pytest.mark.timeout(120)
def test_ctrl_c_stops_a_hanging_exec_command_and_starts_no_more(mail_server, tmp_path):
    """A command that hangs never holds `tuimail watch` after Ctrl-C: it is stopped with its
    process group (not left running), and the messages still waiting for it get no command
    (before, watch waited up to 60 s per message, then ran the next one)."""
    user = mail_server.new_user()
    configure(mail_server, user)
    pids = tmp_path / "pids"
    command = f"echo $$ >> {pids}; exec sleep 600"
    proc = _watch(command, tmp_path)
    try:
        assert "watching" in proc.stdout.readline()
        for n in (1, 2):
            mail_server.deliver(
                user,
                f"From: a@example.test\r\nSubject: s{n}\r\nMessage-ID: <w{n}@x>\r\n\r\nb\r\n".encode(),
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (pids.exists() and pids.read_text()):
            time.sleep(0.1)
        (first,) = [int(p) for p in pids.read_text().split()]
        proc.send_signal(2)  # Ctrl-C
        # well inside the 60 s a command is given: watch did not wait for the command
        proc.wait(timeout=40)
    finally:
        interrupt(proc)
    assert proc.returncode == 0, proc.stderr.read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{first}"):
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{first}"), "the hanging command was left running"
    assert pids.read_text().split() == [str(first)]  # no command for the waiting message
