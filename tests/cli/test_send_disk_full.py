"""`tuimail send` when the outbox cannot be written (a full disk; here a file size limit,
which fails the write the same way): one sentence saying nothing was sent or queued,
exit 1, and no message left in the outbox without its state."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys

import pytest

from tests.cli.helpers import configure
from tuimail.core.config import save_account
from tuimail.core.outbox import Outbox


def _send_limited(args: list[str], message: bytes, limit: int) -> subprocess.CompletedProcess:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "tuimail", "send", *args],
        input=message,
        capture_output=True,
        timeout=90,
        env=os.environ.copy(),
        preexec_fn=limited,
    )


@pytest.mark.parametrize(
    "recipients, body",
    [
        (1, 60_000),  # the message itself cannot be written
        (400, 10),  # the message can, its state (every recipient) cannot
    ],
)
def test_an_outbox_that_cannot_be_written_queues_nothing(
    mail_server, recipients: int, body: int
) -> None:
    configure(mail_server, mail_server.new_user())
    to = [f"r{i}@example.org" for i in range(recipients)]
    message = b"Subject: s\n\n" + b"x" * body + b"\n"
    done = _send_limited(to, message, 8_000)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "not sent: the message could not be written to the outbox" in err
    assert "Nothing was sent or queued" in err and "Traceback" not in err
    box = Outbox("work")
    assert box.entries() == [] and list(box.dir.glob("*.eml")) == []


def test_no_password_and_an_outbox_that_cannot_be_written_says_nothing_was_queued(
    mail_server,
) -> None:
    """Without a password the message is kept in the outbox; when that write failed too
    (a full disk) it was a traceback, not a sentence."""
    account = configure(mail_server, mail_server.new_user())
    account.password_command = "exit 3"
    save_account(account)
    done = _send_limited(["r@example.org"], b"Subject: s\n\n" + b"x" * 60_000 + b"\n", 8_000)
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err, err
    assert "could not be written to the outbox" in err and "Nothing was sent or queued" in err
    assert "kept in the outbox" not in err
    assert list(Outbox("work").dir.glob("*.eml")) == []
