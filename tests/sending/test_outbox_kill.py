"""`tuimail send` killed outright (kill -9): after the server took the message, while the
copy to Sent was being saved, the message is delivered, not waiting (never sent again,
never listed as waiting for ever); between writing the message and its state, it stays
listed and says why it cannot be sent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import platformdirs
import pytest

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.core.outbox import Outbox
from tuimail.words.outbox import outbox_reason


def _state_files() -> list[dict]:
    box = platformdirs.user_data_dir("tuimail")
    folder = os.path.join(box, "outbox", "work")
    if not os.path.isdir(folder):
        return []
    states = []
    for name in os.listdir(folder):
        if name.endswith(".json"):
            try:
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    states.append(json.load(f))
            except (OSError, ValueError):  # being replaced right now
                continue
    return states


@pytest.mark.timeout(120)
def test_send_killed_while_copying_to_sent_is_delivered_not_waiting(mail_server, capsys):
    sender, rcpt = mail_server.new_user(), mail_server.new_user()
    configure(mail_server, sender)
    # The IMAP server accepts and never answers: the copy to Sent hangs after delivery.
    mail_server.faults.add(protocol="imap", kind="silent")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "send", rcpt.email],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    try:
        proc.stdin.write(b"Subject: killed while copying\n\nbody\n")
        proc.stdin.close()
        deadline = time.monotonic() + 60
        while not any(s.get("state") == "sent" for s in _state_files()):
            assert proc.poll() is None, "tuimail send ended before it was killed"
            assert time.monotonic() < deadline, "the message was never recorded as sent"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    mail_server.faults.clear()

    assert main(["outbox", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["outbox", "--retry"]) == 0
    assert "The outbox is empty" in capsys.readouterr().out
    delivered = [m for m in mail_server.messages(rcpt) if b"killed while copying" in m]
    assert len(delivered) == 1
    kept = os.path.join(platformdirs.user_data_dir("tuimail"), "sent", "work")
    states = [n for n in os.listdir(kept) if n.endswith(".json")]
    assert len(states) == 1
    with open(os.path.join(kept, states[0]), encoding="utf-8") as f:
        assert json.load(f)["copy"] == {"outcome": "interrupted"}


def test_resending_a_message_whose_state_was_never_written_says_why_not(mail_server, capsys):
    """Killed between writing the message and its state: `outbox --resend ID` said
    "Something went wrong: 'ID'" (a KeyError); the entry is listed with its subject."""
    user = mail_server.new_user()
    account = configure(mail_server, user)
    box = Outbox(account.name)
    entry = box.enqueue(b"Subject: half queued\r\n\r\nbody\r\n", user.email, [user.email])
    os.unlink(box.dir / f"{entry.id}.json")

    assert main(["outbox", "--resend", entry.id]) == 1
    out, err = capsys.readouterr()
    assert out == f"{entry.id}: failed: {outbox_reason(box.get(entry.id))}\n" and err == ""
    assert not (box.dir / f"{entry.id}.json").exists()  # still nobody to send it to
    assert main(["outbox"]) == 0
    assert f"{entry.id}  [work]  to (recipients not recorded)  half queued\n" in (
        capsys.readouterr().out
    )
    assert main(["outbox"]) == 0
    assert f"{entry.id}  [work]  to (recipients not recorded)  half queued\n" in (
        capsys.readouterr().out
    )
    assert main(["outbox", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["subject"] == "half queued" and listed["failure"]["reason"] == "orphan"
    assert mail_server.messages(user) == []
