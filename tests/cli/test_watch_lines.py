"""`tuimail watch` prints one short line per new message, however long its headers:
a 2 MB subject and a 500 KB sender name used to come out as a line of thousands of
characters (the store's bound, not the terminal's)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.helpers import configure
from tests.process import interrupt


@pytest.mark.timeout(90)
def test_watch_prints_a_bounded_line_for_huge_headers(mail_server) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert "watching" in proc.stdout.readline()
        mail_server.deliver(
            user,
            b"From: " + "Ñ".encode() * 250_000 + b" <big@example.test>\r\n"
            b"Subject: " + "主题".encode() * 5_000 + b"\r\nMessage-ID: <big@x>\r\n\r\nx\r\n",
        )
        line = proc.stdout.readline()
    finally:
        interrupt(proc)
    assert line.startswith("work INBOX 1 ") and "ÑÑÑ...: " in line
    assert len(line) < 300, len(line)
