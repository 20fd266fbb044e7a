"""Property tests: no input makes parsing raise or rendering emit unsafe characters."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.mime import parse_message, raw_source, render_message, summarize
from tuimail.core.sanitize import sanitize

UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)
SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

# Pieces that steer the generator into MIME-shaped input, hostile bytes included.
FRAGMENTS = [
    b"From: a@b\r\n",
    b"Subject: =?utf-8?b?G1sybQ==?=\r\n",
    b"Subject: \x1b[2J\x9b\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n",
    b"Content-Type: multipart/alternative; boundary=b\r\n",
    b"Content-Type: text/html; charset=utf-8\r\n",
    b"Content-Type: text/plain; charset=x-bogus\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: text/calendar\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Disposition: attachment; filename*=utf-8''%E2%80%AE%1B.exe\r\n",
    b"\r\n",
    b"--b\r\n",
    b"--b--\r\n",
    b"<p>\x1b]0;x\x07<a href='x'>l</a><blockquote>q</blockquote>",
    b"\xe2\x80\xae\xc2\x9b\xef\xbb\xbf",
    b"=1B=9B=E2=80=AE",
    b"G1sybQ==\r\n",
    b"> quoted\r\n",
    b"-- \r\n",
    b"begin 644 x\r\n#0V%T\r\n`\r\nend\r\n",
]
mime_like = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=40)), max_size=30
).map(b"".join)


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_parse_and_render_safely(raw: bytes) -> None:
    check(raw)


@SETTINGS
@given(mime_like)
def test_mime_shaped_bytes_parse_and_render_safely(raw: bytes) -> None:
    check(raw)


def check(raw: bytes) -> None:
    parsed = parse_message(raw)
    rendered = render_message(parsed)
    out = rendered.as_text() + rendered.as_text(show_quotes=False)
    assert not UNSAFE.search(out)
    assert not UNSAFE.search(raw_source(raw))
    s = summarize(raw)
    for text in [s.subject, s.from_name, s.from_addr, *s.references]:
        assert not UNSAFE.search(text) and "\n" not in text and "\t" not in text


@SETTINGS
@given(st.text(max_size=300))
def test_sanitize_output_is_always_safe(text: str) -> None:
    single = sanitize(text)
    assert not UNSAFE.search(single) and "\n" not in single and "\t" not in single
    assert not UNSAFE.search(sanitize(text, multiline=True))
