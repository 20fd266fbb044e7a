"""Search indexing of a single-part text/plain body without the full MIME parse (issue 19:
the full parse and render was 3/4 of a first offline sync's CPU). The cheap path must
index the same words the full parse finds (real-mail corpus), take only what it can read
(anything else goes to the full parse), and never fail on any bytes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_FILES
from tuimail.core.mime import parse_message, render_message
from tuimail.core.store.search import body_text, plain_text

WORDS = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return set(WORDS.findall(text.lower()))


def _full(raw: bytes) -> str:
    return render_message(parse_message(raw)).as_text()


def test_the_cheap_path_finds_the_words_the_full_parse_finds_in_real_mail() -> None:
    taken = 0
    for path in CORPUS_FILES:
        raw = path.read_bytes()
        text = plain_text(raw)
        if text is None:
            continue
        taken += 1
        missing = _words(text) - _words(_full(raw))
        assert not missing, f"{path.name}: {sorted(missing)[:10]}"
    assert taken >= 20  # the corpus has plenty of plain messages: the path is used


HEAD = b"From: a@x.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


@pytest.mark.parametrize(
    ("headers", "body", "text"),
    [
        (b"", b"plain words\r\nnext line\r\n", "plain words\nnext line\n"),
        (
            b"Content-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n",
            b"caf=E9 cr=\r\n=E8me\r\n",
            "café crème\n",
        ),
        (
            b'Content-Type: text/plain;\r\n charset="utf-8"; format=flowed\r\n'
            b"Content-Transfer-Encoding: base64\r\n",
            b"w6lsw6h2ZQ==\r\n",
            "élève",
        ),
        (b"Content-Type: text/plain; charset=utf-8\r\n", b"red \x1b[31mtext\r\n", None),
    ],
)
def test_what_the_cheap_path_reads(headers, body, text) -> None:
    raw = HEAD + headers + b"\r\n" + body
    got = plain_text(raw)
    if text is None:  # escapes are sanitised as the full parse does
        assert got is not None and "\x1b" not in got and _words(got) <= _words(_full(raw))
    else:
        assert got == text


@pytest.mark.parametrize(
    "headers",
    [
        b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"Content-Type: text/html; charset=utf-8\r\n",
        b"Content-Type: text/plain; charset*=utf-8''x\r\n",
        b"Content-Type: text/plain; format=flowed; delsp=yes\r\n",
        b"Content-Type: text/plain\r\nContent-Type: text/html\r\n",
        b"Content-Transfer-Encoding: x-uuencode\r\n",
    ],
)
def test_anything_else_takes_the_full_parse(headers) -> None:
    raw = HEAD + headers + b"\r\nbody words\r\n"
    assert plain_text(raw) is None
    assert "body" in body_text(raw)  # still indexed, by the full parse


def test_an_uuencoded_file_in_a_plain_body_takes_the_full_parse() -> None:
    raw = HEAD + b"\r\nsee the file\r\nbegin 644 a.txt\r\n#86)C\r\n`\r\nend\r\n"
    assert plain_text(raw) is None


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=300),
    st.sampled_from([b"", b"Content-Type: text/plain; charset=utf-8\r\n"]),
    st.sampled_from(
        [
            b"",
            b"Content-Transfer-Encoding: base64\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n",
        ]
    ),
)
def test_any_body_is_read_or_left_to_the_full_parse(body, ctype, encoding) -> None:
    text = plain_text(HEAD + ctype + encoding + b"\r\n" + body)
    assert text is None or isinstance(text, str)


def _decoded_whole(raw: bytes, charset: str | None, limit: int) -> str:
    """What the index kept before the ASCII shortcut: the whole body decoded, then cut."""
    from tuimail.core.mime.charsets import decode_bytes
    from tuimail.core.sanitize import sanitize

    body = raw.split(b"\r\n\r\n", 1)[1]
    text = decode_bytes(body, charset)[0][:limit].replace("\r\n", "\n")
    if text.isascii() and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):
        return text
    return sanitize(text, multiline=True)


@settings(max_examples=150, deadline=None)
@given(
    body=st.text(st.characters(max_codepoint=127), max_size=80),
    charset=st.sampled_from([None, "us-ascii", "utf-8", "iso-8859-15", "windows-1252", "utf-7"]),
    limit=st.integers(1, 40),
)
def test_an_ascii_body_longer_than_the_limit_is_indexed_as_when_decoded_whole(
    body: str, charset: str | None, limit: int
) -> None:
    """A long ASCII body is only read up to the limit (a 56 MB one is not decoded whole):
    the text is the one the whole decode gave, for every charset that takes the shortcut
    and those that do not (UTF-7 reads "+" apart)."""
    kind = b"Content-Type: text/plain" + (f"; charset={charset}".encode() if charset else b"")
    raw = HEAD + kind + b"\r\n\r\n" + body.encode()
    got = plain_text(raw, limit)
    if got is not None:
        assert got == _decoded_whole(raw, charset, limit)
    else:
        assert "begin " in body or charset == "utf-7"
