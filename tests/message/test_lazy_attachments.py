"""A big base64 attachment left out of the parse (.stubs) is decoded only when its bytes
are asked for: reading the message names it with its exact size, and saving it writes
exactly the bytes sent. A 4.5 MB message (over stubs.BIG_MESSAGE), made once."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from tuimail.core.mime import parse_message, render_message
from tuimail.core.mime.attachments import save_attachment
from tuimail.core.mime.parse import LazyAttachment


@pytest.fixture(scope="module")
def big() -> tuple[bytes, bytes]:
    data = random.Random(3).randbytes(3_400_001)  # not a whole number of base64 quanta
    raw = (
        b"From: a@example.test\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        b"Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--b1\r\n"
        b'Content-Type: application/pdf; name="report.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--b1--\r\n"
    )
    return raw, data


def test_a_big_attachment_is_named_and_sized_without_decoding_it(big) -> None:
    raw, data = big
    parsed = parse_message(raw)
    (attachment,) = parsed.attachments
    assert isinstance(attachment, LazyAttachment) and attachment._payload is None
    rendered = render_message(parsed)
    assert [(a.filename, a.size) for a in rendered.attachments] == [("report.pdf", len(data))]
    assert "See the attachment." in rendered.as_text()
    assert attachment._payload is None  # still not decoded


def test_a_big_attachment_saved_is_the_bytes_sent(big, tmp_path: Path) -> None:
    raw, data = big
    parsed = parse_message(raw)
    path = save_attachment(parsed, 1, tmp_path)
    assert path.read_bytes() == data
    assert parsed.attachments[0].size == len(parsed.attachments[0].payload) == len(data)
