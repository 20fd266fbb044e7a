"""A big message goes out a chunk at a time (tuimail.core.smtp_data: DATA written in
pieces) and its Sent copy without imaplib's line-end pass (sent_copy._append): the
recipient gets the same bytes, lines that start with a dot and bare line ends included,
and Sent holds the message as it was. The thresholds are lowered so a 60 KB message
takes both paths; the wire bytes equal aiosmtplib's for any message (hypothesis)."""

from __future__ import annotations

import pytest
from aiosmtplib.protocol import LINE_ENDINGS_REGEX, PERIOD_REGEX
from hypothesis import given, settings
from hypothesis import strategies as st
from imapclient import IMAPClient

from tests.sending.helpers import account_for
from tuimail.core import sent_copy, smtp_data
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret
from tuimail.core.sent_copy import find_folder, login

TIMEOUT = 30.0


def _aiosmtplib_wire(message: bytes) -> bytes:
    """What aiosmtplib's own DATA writes after the command (its expressions)."""
    message = PERIOD_REGEX.sub(b"..", LINE_ENDINGS_REGEX.sub(b"\r\n", message))
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message + b".\r\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b".", b"..", b"\r", b"\n", b"\r\n", b"x" * 9]), max_size=30))
def test_the_chunks_are_the_bytes_aiosmtplib_writes(pieces: list[bytes]) -> None:
    message = b"".join(pieces)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(smtp_data, "CHUNK", 5)
        assert b"".join(smtp_data.wire_chunks(message)) == _aiosmtplib_wire(message)


def _message(sender: str, recipient: str) -> bytes:
    lines = [b".a line starting with a dot %d" % i for i in range(0, 800, 7)]
    body = b"\r\n".join(b"line %05d of the big one, not short at all" % i for i in range(1500))
    return (
        (
            f"From: {sender}\r\nTo: {recipient}\r\nSubject: big\r\n"
            "Message-ID: <big-send@example.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        ).encode()
        + b"\r\n".join(lines)
        + b"\r\n.\r\n..\r\n"
        + body
        + b"\r\n"
    )


async def test_a_big_message_arrives_and_is_kept_in_sent_as_written(mail_peer, monkeypatch):
    monkeypatch.setattr(smtp_data, "CHUNK", 4096)
    monkeypatch.setattr(sent_copy, "_BIG", 4096)
    monkeypatch.setattr(IMAPClient, "append", lambda *a, **k: pytest.fail("whole APPEND"))
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice)
    raw = _message(alice.email, bob.email)
    assert len(raw) > 60_000
    entry = await send_now(raw, alice.email, [bob.email], account, Secret(alice.password))
    assert entry.state == "sent", entry.last_error
    assert entry.copy is not None and entry.copy["outcome"] == "saved"
    got = mail_peer.wait_for_message(bob, lambda m: b"<big-send@example.test>" in m, TIMEOUT)
    assert got.partition(b"\r\n\r\n")[2] == raw.partition(b"\r\n\r\n")[2]
    client = login(account, Secret(alice.password))
    try:
        client.select_folder(find_folder(client, "sent"), readonly=True)
        (uid,) = client.search(["HEADER", "Message-ID", "<big-send@example.test>"])
        kept = client.fetch([uid], [b"BODY.PEEK[]"])[uid][b"BODY[]"]
    finally:
        client.logout()
    assert kept == raw
