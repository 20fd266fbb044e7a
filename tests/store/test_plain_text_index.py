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
