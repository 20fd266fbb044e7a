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


@pytest.mark.timeout(90)
def test_watch_exec_runs_the_command_per_message_with_the_environment(mail_server, tmp_path):
    user = mail_server.new_user()
    configure(mail_server, user)
    out = tmp_path / "hook.log"
    command = f'printf "%s|%s\\n" "$TUIMAIL_FROM" "$TUIMAIL_SUBJECT" >> {out}'
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work", "--exec", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        cwd=tmp_path,
    )
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
