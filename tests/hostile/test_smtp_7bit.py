"""A server without 8BITMIME (RFC 6152 section 3) is given 7-bit data only: 8-bit parts go
as quoted-printable or base64 and UTF-8 headers as encoded words, meaning the same; the
Sent copy keeps the message as it was written."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import SmtpScript
from tuimail.core.outbox import Outbox

pytestmark = pytest.mark.timeout(60)

NO_8BITMIME = b"250-smtp.example.test\r\n250 AUTH PLAIN\r\n"
# Every byte but CR and LF, in lines that fit (the data an 8bit part can carry).
ATTACHMENT = (
    b"\r\n".join(
        bytes(b for b in range(256) if b not in (10, 13))[i : i + 90] for i in range(0, 254, 90)
    )
    + b"\r\n.\r\nFrom here\r\n"
)
TEXT = "Grüße, Jörg\r\n.\r\nZweite Zeile: café\r\n"
MESSAGE = (
    (
        "From: Bob <bob@example.test>\r\nTo: Jörg <joerg@example.org>\r\nSubject: Grüße\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        "--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{TEXT}\r\n"
        "--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n"
        'Content-Disposition: attachment; filename="daten.bin"\r\n\r\n'
    ).encode()
    + ATTACHMENT
    + b"\r\n--XX--\r\n"
)


def _unstuffed(delivered: bytes) -> bytes:
    """The scripted server keeps the lines as they came: undo SMTP's dot-stuffing."""
    lines = delivered.split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


def test_8bit_mail_goes_as_7bit_to_a_server_without_8bitmime(scripted, cli, tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    script = SmtpScript({"EHLO": lambda c, a: c.send(NO_8BITMIME)})
    with scripted(script) as server:
        account = save(server, "smtp")
        run = cli("send", "-t", str(path))
        assert run.code == 0, run.err
    (delivered,) = script.delivered
    assert delivered.isascii()
    mail = [c for c in script.commands if c.upper().startswith(b"MAIL")]
    assert b"8BITMIME" not in mail[0].upper() and b"SMTPUTF8" not in mail[0].upper()
    msg = BytesParser(policy=policy.default).parsebytes(_unstuffed(delivered) + b"\r\n")
    assert str(msg["subject"]) == "Grüße" and msg["to"].addresses[0].display_name == "Jörg"
    text, attachment = msg.iter_parts()
    assert text.get_payload(decode=True) == TEXT.encode()
    assert attachment.get_filename() == "daten.bin"
    assert attachment.get_payload(decode=True) == ATTACHMENT
    # What was written is what Sent keeps (the local copy: no IMAP server here).
    (kept,) = Outbox(account.name).sent_dir.glob("*.eml")
    assert b"Subject: Gr\xc3\xbc\xc3\x9fe" in kept.read_bytes()
    assert ATTACHMENT in kept.read_bytes()


def test_8bit_mail_goes_as_it_is_to_a_server_with_8bitmime(scripted, cli, tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    script = SmtpScript()  # offers 8BITMIME
    with scripted(script) as server:
        save(server, "smtp")
        assert cli("send", "-t", str(path)).code == 0
    (delivered,) = script.delivered
    assert ATTACHMENT.removesuffix(b"\r\n").replace(b"\r\n.", b"\r\n..") in delivered
    mail = [c for c in script.commands if c.upper().startswith(b"MAIL")]
    assert b"BODY=8BITMIME" in mail[0].upper()


def test_mail_too_deep_to_convert_still_goes_with_ascii_headers(scripted, cli, tmp_path) -> None:
    """A message the stdlib cannot take apart (nesting deeper than Python's recursion limit)
    goes as it was, but its UTF-8 header block is still written in ASCII: no SMTPUTF8 was
    asked for, so no raw UTF-8 header may go out."""
    depth = 1200
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(depth)
    )
    raw = (
        (
            "From: Bob <bob@example.test>\r\nTo: Jörg <joerg@example.org>\r\nSubject: Grüße\r\n"
            "MIME-Version: 1.0\r\n"
        ).encode()
        + nested
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\nh\xc3\xa9\r\n"
    )
    path = tmp_path / "deep.eml"
    path.write_bytes(raw)
    script = SmtpScript({"EHLO": lambda c, a: c.send(NO_8BITMIME)})
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", "-t", str(path))
        assert run.code == 0, run.err
    (delivered,) = script.delivered
    head, _, body = delivered.partition(b"\r\n\r\n")
    assert head.isascii() and b"Subject: =?utf-8?" in head
    assert body.endswith(b"h\xc3\xa9") or body.endswith(b"h\xc3\xa9\r\n")
    mail = [c for c in script.commands if c.upper().startswith(b"MAIL")]
    assert b"SMTPUTF8" not in mail[0].upper()
