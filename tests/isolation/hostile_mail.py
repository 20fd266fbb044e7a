"""Messages that once took their whole folder down with them, built for the isolation tests.

Each builder returns raw bytes ready for `MailServer.deliver`."""

from __future__ import annotations

from tests.corpus import CORPUS_DIR

# A real message (spamscope's mail_test_12) whose To: is an RFC 6532 UTF-8 address.
UTF8_CORPUS = CORPUS_DIR / "spamscope-mail_test_12.eml"


def utf8_addresses() -> bytes:
    """The corpus message, its UTF-8 address given a display name as well (the shape real
    internationalised mail has, "Name <local@domain>", which made the summary raise)."""
    raw = UTF8_CORPUS.read_bytes()
    plain = "\nTo: danglüe@email.com".encode()
    assert plain in raw
    return raw.replace(plain, "\nTo: Dänglüe Ünïcode <danglüe@email.com>".encode(), 1)


def absurd_size() -> bytes:
    """An ordinary message; the server is told (fault `odd_size`) to report it as 2**64."""
    return (
        b"From: Big <big@example.test>\r\nTo: r@example.test\r\nSubject: absurd size\r\n"
        b"Message-ID: <absurd-size@example.test>\r\n"
        b"Date: Mon, 1 Jan 2024 11:00:00 +0000\r\n\r\nsmall really\r\n"
    )


def nested(depth: int = 1000) -> bytes:
    """multipart/mixed inside multipart/mixed, `depth` levels deep, text at the bottom."""
    body = b"Content-Type: text/plain\r\n\r\nthe innermost text\r\n"
    for level in range(depth):
        boundary = b"level-%d" % level
        body = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--'
            + boundary + b"\r\n" + body + b"\r\n--" + boundary + b"--\r\n"
        )  # fmt: skip
    return (
        b"From: Deep <deep@example.test>\r\nTo: r@example.test\r\nSubject: nested deep\r\n"
        b"Message-ID: <nested@example.test>\r\nDate: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
        b"MIME-Version: 1.0\r\n" + body
    )


def huge_header(size: int = 10 << 20) -> bytes:
    """A Subject of `size` bytes (folded into 998-byte lines, as a header may be)."""
    words = b"\r\n ".join([b"x" * 990] * (size // 993))
    return (
        b"From: Huge <huge@example.test>\r\nTo: r@example.test\r\nSubject: huge " + words
        + b"\r\nMessage-ID: <huge@example.test>\r\nDate: Mon, 1 Jan 2024 13:00:00 +0000\r\n"
        b"\r\nbody\r\n"
    )  # fmt: skip
