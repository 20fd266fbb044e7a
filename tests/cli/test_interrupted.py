"""Ctrl-C (SIGINT) in a command: one sentence saying what is kept, exit 130, never a
traceback or a crash, and nothing lost (a message being sent stays in the outbox; what
a sync wrote stays in the store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.cli.helpers import configure
from tuimail.core.logs import log_path
from tuimail.core.outbox import Outbox
from tuimail.core.store import Store


def _start(*argv: str, stdin: bytes = b"") -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    proc.stdin.write(stdin)
    proc.stdin.close()
    proc.stdin = None  # communicate() must not flush it again
    return proc


def _wait(predicate, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert proc.poll() is None, f"tuimail ended before {what}"
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.05)


def _interrupt(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode()


@pytest.mark.timeout(120)
def test_ctrl_c_while_sending_keeps_the_message_and_says_where(mail_server) -> None:
    """It ended with 130 and not a word: was the message sent, queued, lost?"""
    configure(mail_server, mail_server.new_user())
    mail_server.faults.add(protocol="smtp", kind="silent")  # connected, never greeted
    proc = _start("send", "bob@example.org", stdin=b"Subject: interrupted\n\nbody\n")
    box = Outbox("work")
    _wait(lambda: any(e.state == "sending" for e in box.entries()), proc, "sending")
    status, err = _interrupt(proc)
    assert status == 130 and "Traceback" not in err
    (entry,) = box.entries()
    assert f"interrupted before the message went out; it stays in the outbox ({entry.id})" in err
    assert entry.state == "retrying" and entry.recipients == ["bob@example.org"]


@pytest.mark.timeout(120)
def test_ctrl_c_during_a_sync_says_what_is_kept(mail_server) -> None:
    configure(mail_server, mail_server.new_user())
    mail_server.faults.add(protocol="imap", kind="silent")
    proc = _start("sync")
    _wait(lambda: log_path().exists() and "sync" in log_path().read_text(), proc, "started")
    status, err = _interrupt(proc)
    assert status == 130 and "Traceback" not in err
    assert "interrupted" in err


def test_closing_the_store_leaves_a_running_threads_connection_alone(tmp_path) -> None:
    """Store.close() closed every thread's connection, also one a sync pass (left running
    by Ctrl-C) was stepping through: the process crashed (SIGSEGV)."""
    store = Store(tmp_path / "s.sqlite3")
    opened, closed, result = threading.Event(), threading.Event(), []

    def pass_still_running() -> None:
        with store.transaction() as conn:  # as a pass writes: its connection held
            opened.set()
            closed.wait(30)
            result.append(conn.execute("SELECT count(*) FROM accounts").fetchone()[0])

    thread = threading.Thread(target=pass_still_running, daemon=True)
    thread.start()
    assert opened.wait(30)
    store.close()
    closed.set()
    thread.join(30)
    assert result == [0]


def test_the_quick_exit_ends_the_process_with_only_daemon_threads_left() -> None:
    """With a daemon thread still running, finish() returned and the interpreter's
    finalisation ran under it (where the interrupted sync crashed)."""
    code = (
        "import threading, time\n"
        "from tuimail.cli.quick_exit import finish\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "finish(130)\n"
        "print('returned')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 130 and b"returned" not in done.stdout
