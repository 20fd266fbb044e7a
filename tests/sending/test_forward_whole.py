"""Forwarding mail the reader cannot take in whole (MIME nested deeper than it follows, a
text longer than it shows): the recipient still gets all of it, never a part."""

from __future__ import annotations

from email.message import EmailMessage

from tests.sending.helpers import account_for, make_account, parse
from tuimail.core.compose import forward, message_bytes
from tuimail.core.mime import parse as parse_module
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret

TIMEOUT = 20.0


def _nested(depth: int, subject: str) -> bytes:
    """A message whose text and PDF sit `depth` multiparts down."""
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    inner = (
        b'Content-Type: multipart/mixed; boundary="in"\r\n\r\n--in\r\n'
        b"Content-Type: text/plain\r\n\r\nthe deepest words\r\n--in\r\n"
        b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"'
        b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--in--\r\n"
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return (
        f"From: far@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n".encode()
        + opening
        + inner
        + closing
    )


def _long_text(subject: str, size: int) -> bytes:
    """A plain text (a log, a dump) of `size` bytes and a last line."""
    line = b"0123456789 the log goes on and on\r\n"
    return (
        f"From: far@example.org\r\nSubject: {subject}\r\n\r\n".encode()
        + line * (size // len(line))
        + b"THE LAST LINE\r\n"
    )


def _attached_messages(sent: EmailMessage) -> list[bytes]:
    """The bytes of every message attached to `sent` (as message/rfc822 or as a file)."""
    out = []
    for part in sent.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            out.append(part.get_payload()[0].as_bytes())
        else:
            out.append(part.get_payload(decode=True))
    return out


async def test_an_inline_forward_of_mail_the_reader_cannot_show_whole_carries_it_all(
    mail_peer, monkeypatch
) -> None:
    """A text past what the reader shows (2 MB; 64 KB here, to stay quick) went out cut
    short without a word; a message nested 300 deep made the forward fail
    (RecursionError). The original now goes along, attached whole, beside the quoted text."""
    monkeypatch.setattr(parse_module, "MAX_TEXT_CHARS", 64 * 1024)
    alice, carol = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice)
    for subject, original in (
        ("long", _long_text("long", 100_000)),
        ("nested", _nested(300, "nested")),
    ):
        mail_peer.deliver(alice, original)
        at_alice = mail_peer.wait_for_message(
            alice, lambda raw, s=subject: f"Subject: {s}".encode() in raw, TIMEOUT
        )
        draft = forward(at_alice, account)
        draft.to = [carol.email]
        raw, sender, rcpts = message_bytes(draft, account)
        entry = await send_now(raw, sender, rcpts, account, Secret(alice.password))
        assert entry.state == "sent", entry
        got = parse(
            mail_peer.wait_for_message(
                carol, lambda r, s=subject: f"Subject: Fwd: {s}".encode() in r, TIMEOUT
            )
        )
        kept = _attached_messages(got)
        assert any(b"the deepest words" in k or b"THE LAST LINE" in k for k in kept), subject
        assert [k.replace(b"\r\n", b"\n") for k in kept] == [at_alice.replace(b"\r\n", b"\n")]


def test_a_message_nested_deeper_than_the_stdlib_reads_is_forwarded_whole() -> None:
    """1000 levels: the inline forward carried neither its text nor its PDF (the stdlib
    gives up on it, and so does the reader), and attaching it failed (the stdlib's parser
    ran out of recursion). Its exact bytes go as a file."""
    account = make_account("me@example.test")
    original = _nested(1000, "very deep")
    draft = forward(original, account)
    draft.to = ["bob@example.org"]
    raw, _, _ = message_bytes(draft, account)
    assert _attached_messages(parse(raw)) == [original]
