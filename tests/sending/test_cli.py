"""`tuimail send` and `tuimail outbox` run as the user runs them (a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.sending.helpers import (
    account_for,
    closed_port,
    make_account,
    parse,
    tuimail,
    with_password,
)
from tuimail.cli.send import prepare
from tuimail.core.config import save_account


def test_prepare_removes_bcc_and_keeps_body_bytes() -> None:
    account = make_account()
    raw = (
        b"To: a@other.test\nBcc: hidden@other.test,\n  more@other.test\n"
        b"Cc: =?utf-8?q?C=C3=A9line?= <c@other.test>\nSubject: x\n\n.\n..\nbody \xc3\xa9\n"
    )
    out, rcpts = prepare(raw, account)
    assert rcpts == ["a@other.test", "c@other.test", "hidden@other.test", "more@other.test"]
    head, body = out.split(b"\r\n\r\n", 1)
    assert b"hidden" not in out and b"more@" not in out and b"Bcc" not in head
    assert body == b".\r\n..\r\nbody \xc3\xa9\r\n"
    msg = parse(out)
    assert msg["From"] == "me@example.test"
    assert msg["Message-ID"].endswith("@example.test>") and msg["Date"]


def test_cli_send_delivers_and_outbox_is_empty(mail_peer, tmp_path: Path) -> None:
    alice, bob, carol = mail_peer.new_user(), mail_peer.new_user(), mail_peer.new_user()
    with_password(account_for(mail_peer, alice, name="work"), tmp_path, alice.password)
    message = tmp_path / "m.eml"
    message.write_bytes(
        f"From: {alice.email}\nTo: {bob.email}\nBcc: {carol.email}\n"
        "Subject: from the command line\nMessage-ID: <cli-1@example.test>\n\nhi\n.\n".encode()
    )
    result = tuimail("send", "--account", "work", str(message))
    assert result.returncode == 0, result.stderr.decode()
    assert f"Sent to {bob.email}, {carol.email}" in result.stdout.decode()
    for user in (bob, carol):
        got = mail_peer.wait_for_message(user, lambda r: b"<cli-1@example.test>" in r, 20)
        assert parse(got)["Bcc"] is None
        assert parse(got).get_content().replace("\r\n", "\n") == "hi\n.\n"
    # The sender's record in Sent names the blind recipient (it went out without).
    (copy,) = [m for m in mail_peer.messages(alice, "Sent") if b"<cli-1@example.test>" in m]
    assert parse(copy)["Bcc"] == carol.email and parse(copy)["To"] == bob.email
    listing = tuimail("outbox", "--json")
    assert listing.returncode == 0 and json.loads(listing.stdout) == []


def test_cli_send_failure_keeps_message_and_exits_nonzero(tmp_path: Path) -> None:
    account = make_account(name="work", smtp_port=closed_port(), security="starttls")
    with_password(account, tmp_path, "pw")
    result = tuimail("send", stdin=b"To: a@other.test\nSubject: later\n\ntext\n")
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "not sent: will retry: could not reach 127.0.0.1" in err
    assert "stays in the outbox" in err
    (entry,) = json.loads(tuimail("outbox", "--json").stdout)
    assert entry["state"] == "retrying" and entry["recipients"] == ["a@other.test"]
    text = tuimail("outbox").stdout.decode()
    assert entry["id"] in text and "will retry" in text and "later" in text
    retried = tuimail("outbox", "--retry", "--json")
    assert retried.returncode == 1
    (again,) = json.loads(retried.stdout)
    assert again["attempts"] == 2
    assert tuimail("outbox", "--remove", entry["id"]).returncode == 0
    assert json.loads(tuimail("outbox", "--json").stdout) == []


def test_cli_send_without_recipients_or_account() -> None:
    result = tuimail("send", stdin=b"Subject: x\n\nbody\n")
    assert result.returncode == 2  # a configuration error
    assert "no account is configured" in result.stderr.decode()
    save_account(make_account(name="work"))
    result = tuimail("send", stdin=b"Subject: x\n\nbody\n")
    assert result.returncode == 2  # a usage error
    assert "no recipients" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


@given(
    st.binary(max_size=400),
    st.lists(st.sampled_from(["a@b.example", "jörg@bücher.example", "x@y.example"]), max_size=3),
    st.booleans(),
)
def test_prepare_takes_any_input_and_never_sends_bcc(raw: bytes, args: list, mbox: bool) -> None:
    account = make_account()
    if mbox:
        raw = b"From 123 Mon Sep 17 00:00:00 2001\n" + raw
    out, rcpts = prepare(raw, account, recipients=args)
    head = out.split(b"\r\n\r\n", 1)[0]
    assert not any(
        line.lower().startswith((b"bcc:", b"resent-bcc:")) for line in head.split(b"\r\n")
    )
    assert not out.startswith(b"From 123 ")
    assert all(r in rcpts for r in args)
    assert len({r.lower() for r in rcpts}) == len(rcpts)


def test_a_message_the_outbox_cannot_hold_is_said_as_the_outbox_not_the_output(
    tmp_path: Path,
) -> None:
    """A full disk (here: a file size limit) while putting the message in the outbox was
    said as "could not write the output", as if standard output had failed: nothing said
    that the message was not kept. Now the sentence names the outbox file."""
    import resource
    import subprocess
    import sys

    account = make_account(name="work", smtp_port=closed_port(), security="starttls")
    with_password(account, tmp_path, "pw")
    limit = 64 * 1024  # the log and the store stay under it; the message does not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "tuimail", "send", "a@other.test"],
        input=b"Subject: big\n\n" + (b"x" * 70 + b"\n") * (2 * limit // 71),
        capture_output=True,
        timeout=90,
        preexec_fn=small_files,
        check=False,
    )
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "could not be written" in err and "outbox" in err and "the output" not in err, err
    assert "Traceback" not in err
    assert json.loads(tuimail("outbox", "--json").stdout) == []  # no half-written entry


def test_messages_of_an_account_no_longer_configured_stay_in_sight(tmp_path: Path) -> None:
    """An account removed (or renamed in config.toml) while a message waited in its
    outbox: `tuimail outbox` said "The outbox is empty." and the message sat on disk,
    never sent and never shown. Now it is listed, with what to do, and can be removed."""
    account = make_account(name="work", smtp_port=closed_port(), security="starttls")
    with_password(account, tmp_path, "pw")
    assert tuimail("send", stdin=b"To: a@other.test\nSubject: later\n\ntext\n").returncode == 1
    removed = tuimail("account", "remove", "work")
    assert removed.returncode == 0, removed.stderr
    assert "1 unsent message waits in its outbox" in removed.stdout.decode()
    listing = tuimail("outbox").stdout.decode()
    assert "later" in listing and "no longer configured" in listing, listing
    (entry,) = json.loads(tuimail("outbox", "--json").stdout)
    assert entry["account"] == "work" and entry["account_configured"] is False
    resend = tuimail("outbox", "--resend", entry["id"])
    assert resend.returncode == 2 and "no longer configured" in resend.stderr.decode()
    assert tuimail("outbox", "--remove", entry["id"]).returncode == 0
    assert json.loads(tuimail("outbox", "--json").stdout) == []


def test_cli_remove_leaves_a_message_being_sent_right_now(tmp_path: Path) -> None:
    """Another tuimail holds the message's send lock: --remove says so, exits 1, and the
    message stays (it may be going out this very moment)."""
    from tuimail.core.outbox import Outbox

    make_account(name="work", smtp_port=closed_port(), security="starttls")
    raw = b"From: me@example.test\r\nTo: a@other.test\r\nSubject: busy\r\n\r\ntext\r\n"
    box = Outbox("work")
    entry = box.enqueue(raw, "me@example.test", ["a@other.test"])
    with box._locked(entry.id) as mine:
        assert mine
        busy = tuimail("outbox", "--remove", entry.id)
    assert busy.returncode == 1 and "being sent right now" in busy.stderr.decode()
    assert [e.id for e in box.entries()] == [entry.id]
    assert tuimail("outbox", "--remove", entry.id).returncode == 0
    assert box.entries() == []
