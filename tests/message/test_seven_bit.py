"""`seven_bit`: any 8-bit message becomes 7-bit data whose parts decode to what they were."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.mime.seven_bit import seven_bit

# Lines an 8bit part can hold: no CR or LF inside, CRLF between them.
LINE = st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
CONTENT = st.lists(LINE, min_size=1, max_size=8).map(lambda lines: b"\r\n".join(lines) + b"\r\n")


def _message(text: bytes, data: bytes, subject: str) -> bytes:
    return (
        b"Subject: " + subject.replace("\r", "").replace("\n", "").encode() + b"\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=b="\r\n\r\n'
        b"--=b=\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text + b"\r\n--=b=\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + data
        + b"\r\n--=b=--\r\n"
    )


@settings(max_examples=60, deadline=None)
@given(CONTENT, CONTENT, st.text(max_size=30))
def test_every_part_decodes_to_what_it_was(text: bytes, data: bytes, subject: str) -> None:
    if b"--=b=" in text + data:
        return
    out = seven_bit(_message(text, data, subject))
    assert out.isascii()
    first, second = BytesParser(policy=policy.default).parsebytes(out).iter_parts()
    assert first.get_payload(decode=True) == text
    assert second.get_payload(decode=True) == data


def test_an_ascii_message_is_the_same_bytes() -> None:
    raw = _message(b"plain\r\n", b"data\r\n", "hello")
    assert seven_bit(raw) is raw


def test_8bit_text_without_mime_headers_says_its_charset() -> None:
    out = seven_bit(b"Subject: x\r\n\r\nh\xc3\xa9llo\r\n")
    msg = BytesParser(policy=policy.default).parsebytes(out)
    assert out.isascii() and msg.get_content_charset() == "utf-8"
    assert msg.get_payload(decode=True) == b"h\xc3\xa9llo\r\n"
    latin = BytesParser(policy=policy.default).parsebytes(seven_bit(b"Subject: x\r\n\r\nh\xe9\r\n"))
    assert latin.get_content_charset() == "unknown-8bit"
    assert latin.get_payload(decode=True) == b"h\xe9\r\n"


def test_8bit_text_around_the_parts_does_not_stay_8bit() -> None:
    raw = (
        _message(b"text\r\n", b"d\xc3\xa4ta\r\n", "x").replace(
            b"\r\n\r\n--=b=\r\n", b"\r\n\r\nPr\xc3\xa4ambel\r\n--=b=\r\n", 1
        )
        + b"Epilog \xc3\xa4\r\n"
    )
    out = seven_bit(raw)
    assert out.isascii()
    _text, data = BytesParser(policy=policy.default).parsebytes(out).iter_parts()
    assert data.get_payload(decode=True) == b"d\xc3\xa4ta\r\n"
