"""Real Postfix without 8BITMIME in its EHLO (smtpd_discard_ehlo_keywords=8bitmime):
8-bit mail arrives in Dovecot as 7-bit data, each part decoding to what was written, and
the Sent copy is the message as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sending.helpers import account_for, parse, tuimail, with_password

pytestmark = pytest.mark.interop

ATTACHMENT = b"\r\n".join(bytes(range(128, 256))[i : i + 40] for i in range(0, 128, 40)) + b"\r\n"


def test_8bit_mail_through_a_postfix_without_8bitmime(dovecot_peer, tmp_path: Path) -> None:
    alice, bob = dovecot_peer.new_user(), dovecot_peer.new_user()
    account = account_for(dovecot_peer, alice, name="work")
    account.outgoing.port = dovecot_peer.ports.smtp_tls_7bit
    with_password(account, tmp_path, alice.password)
    raw = (
        (
            f"From: {alice.email}\r\nTo: Jörg <{bob.email}>\r\nSubject: Grüße\r\n"
            "Message-ID: <7bit-1@example.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
            "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße, café\r\n"
            "--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n"
            'Content-Disposition: attachment; filename="d.bin"\r\n\r\n'
        ).encode()
        + ATTACHMENT
        + b"\r\n--XX--\r\n"
    )
    message = tmp_path / "m.eml"
    message.write_bytes(raw)
    result = tuimail("send", "--account", "work", str(message))
    assert result.returncode == 0, result.stderr.decode()
    got = dovecot_peer.wait_for_message(bob, lambda r: b"<7bit-1@example.test>" in r, 20)
    assert got.isascii(), got[:2000]
    msg = parse(got)
    assert str(msg["Subject"]) == "Grüße" and msg["To"].addresses[0].display_name == "Jörg"
    text, attachment = msg.iter_parts()
    assert text.get_payload(decode=True) == "Grüße, café".encode()  # CRLF: the delimiter's
    assert attachment.get_payload(decode=True) == ATTACHMENT
    (copy,) = [m for m in dovecot_peer.messages(alice, "Sent") if b"<7bit-1@example.test>" in m]
    assert ATTACHMENT in copy and "Subject: Grüße".encode() in copy
