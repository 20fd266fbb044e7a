"""Hostile sizes and shapes finish quickly with the 'too complex' fallback."""

from __future__ import annotations

import base64
import time

import pytest

from tuimail.core.mime import parse_message, render_message
from tuimail.words.notes import reader_note, reader_notes

# The 2 s, with slack, in CPU seconds of this thread (as PARSE_BUDGET): other
# processes on a loaded machine do not count, so the verdict does not depend on the load.
LIMIT = 2.0 * 2.5


def nested(depth: int) -> bytes:
    out = [b"From: a@b\r\nSubject: nested\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"]
    out += [
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i)
        for i in range(1, depth)
    ]
    out.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n" % (depth - 1))
    out += [b"--b%d--\r\n" % i for i in range(depth - 1, -1, -1)]
    return b"".join(out)


def many_parts(n: int) -> bytes:
    head = b"From: a@b\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
    body = b"".join(b"--zz\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(n))
    return head + body + b"--zz--\r\n"


CASES = {
    "nested-1000": lambda: nested(1000),
    "parts-50000": lambda: many_parts(50_000),
    "header-10MB": lambda: (
        b"From: a@b\r\nSubject: big\r\nX-Big: " + b"a" * (10 << 20) + b"\r\n\r\nbody\r\n"
    ),
    "many-headers": lambda: b"From: a@b\r\n" + b"X-H: v\r\n" * (1 << 20) + b"\r\nbody\r\n",
    "body-20MB": lambda: (
        b"From: a@b\r\nContent-Type: text/plain\r\n\r\n"
        + (b"x" * 76 + b"\r\n") * ((20 << 20) // 78)
    ),
    "headers-in-parts": lambda: (
        b"From: a@b\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
        + (b"--z\r\n" + b"X: y\r\n" * 500 + b"\r\nhi\r\n") * 1500
    ),
    "one-line-20MB": lambda: (
        b"From: a@b\r\nContent-Type: text/html\r\n\r\n<p>" + b"y " * (10 << 20)
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_bounded_work(name: str) -> None:
    raw = CASES[name]()
    start = time.thread_time()
    rendered = render_message(parse_message(raw))
    text = rendered.as_text()
    elapsed = time.thread_time() - start
    assert elapsed < LIMIT, f"{name} took {elapsed:.2f}s"
    if name in ("nested-1000", "parts-50000", "header-10MB", "many-headers", "headers-in-parts"):
        said = reader_notes(rendered)
        assert any("too complex, showing raw (truncated)" in n.lower() for n in said)
        assert len(text) < 1_000_000


def test_moderate_nesting_and_big_attachment_still_parse() -> None:
    raw = nested(30)
    assert "deep text" in render_message(parse_message(raw)).as_text()
    payload = base64.encodebytes(b"\0" * (15 << 20))
    big = (
        b"From: a@b\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--q\r\nContent-Type: application/octet-stream; name=x.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + payload
        + b"--q--\r\n"
    )
    start = time.thread_time()
    parsed = parse_message(big)
    assert time.thread_time() - start < LIMIT
    assert parsed.attachments[0].size == 15 << 20 and not parsed.too_complex


def test_huge_part_headers_are_refused_without_the_clock(monkeypatch) -> None:
    """The verdict for a message must not depend on the machine's speed: with the CPU
    deadline out of the way, the header-heavy message is still refused by its size."""
    from tuimail.core.mime import parse as parse_module

    monkeypatch.setattr(parse_module, "PARSE_BUDGET", 3600.0)
    parsed = parse_message(CASES["headers-in-parts"]())
    assert parsed.too_complex
    assert any("part headers larger than 1 MB" in reader_note(n) for n in parsed.notes)
    # A part whose first line is body text (no header section) is not counted as headers.
    raw = (
        b"From: a@b\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
        + (b"--z\r\n" + b"x" * 5000 + b"\r\n") * 300
        + b"--z--\r\n"
    )
    assert not parse_message(raw).too_complex


def test_html_nested_past_the_parsers_limit_is_shown_whole() -> None:
    """A long thread of quoted replies nests elements 256 deep and more (a gmail_quote
    div and a blockquote per reply): libxml2 stops there, and the reader showed the
    message empty (no word of it lost and no note). Now its text is shown, with the
    note that the HTML could not be laid out."""
    from tuimail.core.mime.notes import note
    from tuimail.words.notes import message_text

    replies = "".join(f"<div><blockquote>reply {i}" for i in range(200))
    html = f"<html><body>{replies}the first message</body></html>"
    raw = b"From: a@b\r\nSubject: thread\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    text = message_text(render_message(parse_message(raw + html.encode())))
    assert "reply 0" in text and "reply 199" in text and "the first message" in text, text
    unlaid = reader_note(note("html-unlaid"))
    assert unlaid and unlaid in text, text
