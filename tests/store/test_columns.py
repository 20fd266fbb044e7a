"""The one-pass header route (tuimail.core.store.columns, issue 19) gives exactly the full
parser's summary: on every message of the corpus, the hostile messages, and Hypothesis-made
header blocks (encoded words, raw 8-bit bytes, folding, CR/LF variants, repeated and mbox
"From " fields, values over the column limits), with its caches cold and warm."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_FILES
from tests.isolation import hostile_mail
from tuimail.core.mime.headers import _QHEX, _decode_q, blank_line_match, split_header_block
from tuimail.core.store.columns import (
    blank_line_at,
    first_fields,
    first_fields_regex,
    summarize_columns,
)
from tuimail.core.store.headers import summarize_header, summarize_header_full

MESSAGES = sorted((Path(__file__).resolve().parents[1] / "data" / "messages").glob("*.eml"))


def _same(raw: bytes) -> None:
    expected = summarize_header_full(raw)
    assert summarize_header(raw) == expected
    assert summarize_header(raw) == expected  # the caches warm now


def test_every_corpus_message_and_its_header_block_summarise_alike() -> None:
    files = [*CORPUS_FILES, *MESSAGES]
    assert len(files) > 200
    for path in files:
        raw = path.read_bytes()
        _same(raw)
        _same(split_header_block(raw)[0] + b"\r\n\r\n")


def test_hostile_messages_summarise_alike() -> None:
    for raw in (
        hostile_mail.utf8_addresses(),
        hostile_mail.absurd_size(),
        hostile_mail.nested(50),
        hostile_mail.huge_header(1 << 20),
    ):
        _same(raw)


_NAMES = st.sampled_from(
    [b"From", b"from", b"FROM ", b"To", b"Cc", b"cc", b"Subject", b"SUBJECT", b"Date",
     b"Message-ID", b"Message-Id", b"In-Reply-To", b"References", b"Content-Type",
     b"Content-Disposition", b"X-Mailer", b"Received", b"X:Y"]
)  # fmt: skip
_PIECES = st.sampled_from(
    [b"=?utf-8?q?J=C3=B6rg_M=C3=BCller?=", b"=?UTF-8?B?w4lsaXNl?=", b"=?iso-8859-1?q?Caf=E9?=",
     b"=?koi8-r?b?8NLJ18XU?=", b"=?bogus?q?x=ZZ=4?=", b"=?utf-8?q?=0D=0A=1B[31m?=", b"=?",
     b"?=", b'"Doe, J"', b"<a@b.c>", b"<id@x>", b", ", b" ", b"\t", b"x@y.z", b"caf\xc3\xa9",
     b"Ren\xe9", b"(comment)", b"\xe2\x80\xae", b"\x1b[2J", b"Mon, 1 Jan 2024 10:00:00 +0000",
     b"32 Foo 2024", b"multipart/mixed; boundary=x", b"name*=x.pdf", b"attachment", b"\x00",
     b"\r\n ", b"\n\t", b"\r", b"Fri Jan  5 10:00:00 2024", b"x" * 600, b"\xf0\x9f\x8f\xb4"]
)  # fmt: skip
_IDS = st.lists(
    st.sampled_from([b"<a@b>", b"<x.y=z@host>", b"<>", b"<a b>", b"<" + b"i" * 998 + b">", b"a@b"]),
    max_size=205,
).map(lambda ids: b" ".join(ids))
_VALUES = st.lists(
    st.one_of(_PIECES, st.binary(max_size=8).filter(lambda b: b"\n" not in b)),
    max_size=10,
).map(b"".join)
_ENDINGS = st.sampled_from([b"\r\n", b"\n", b"\r"])


@st.composite
def _blocks(draw) -> bytes:
    eol = draw(_ENDINGS)
    fields = draw(st.lists(st.tuples(_NAMES, st.one_of(_VALUES, _IDS)), max_size=12))
    block = b"".join(name + b": " + value + eol for name, value in fields)
    if draw(st.booleans()):
        block = b"From someone@example.com Mon Jan  1 10:00:00 2024" + eol + block
    return block + draw(st.sampled_from([b"", eol, eol + eol + b"body", b"\r\n\r\n"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_blocks())
def test_any_header_block_summarises_alike(raw: bytes) -> None:
    _same(raw)


_CRLF_LINES = st.lists(
    st.one_of(
        st.tuples(_NAMES, st.sampled_from([b":", b" :", b"\t:", b": ", b"::"]), _VALUES),
        st.tuples(st.binary(max_size=12), st.just(b""), st.binary(max_size=8)),
        st.tuples(_NAMES, st.just(b""), st.sampled_from([b"", b" x", b"\tx"])),  # no colon
        st.tuples(
            st.sampled_from([b"", b" ", b"\t", b"From x Mon Jan  1 10"]), st.just(b""), _VALUES
        ),
    ),
    max_size=14,
).map(lambda lines: b"\r\n".join(a + b + c for a, b, c in lines))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CRLF_LINES, st.sampled_from([b"", b"\r\n", b"\r\n\r\n", b"\r\n\r\nbody: x\r\n"]))
@example(b"from", b"")
@example(b"Subject\r\nSubject: the real one", b"\r\n")
@example(b"\r\nSubject: after a first empty line", b"\r\n\r\n")  # not the blank line
@example(b"", b"\r\n\r\n")
@example(b"To: a\r\n\r\nSubject: in the body", b"")
def test_plain_crlf_lines_pick_the_fields_the_regex_picks(block: bytes, end: bytes) -> None:
    """The split of a CRLF block (what servers send) is the regex's answer, whatever the
    lines hold (blanks before the colon, junk, lines without a colon, folding, lone CR
    or LF: the last three take the regex)."""
    raw = block + end
    assert first_fields(raw) == first_fields_regex(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_summarise_alike(raw: bytes) -> None:
    _same(raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\r", b"\n", b"a", b":", b" "]), max_size=30).map(b"".join))
def test_the_blank_line_is_found_where_the_regex_finds_it(raw: bytes) -> None:
    match = blank_line_match(raw)
    assert blank_line_at(raw) == (match.start() if match else -1)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="=_0123456789abcdefABCDEFgxyz é", max_size=40),
        st.text(max_size=20).filter(lambda t: "?" not in t and not any(c.isspace() for c in t)),
    )
)
def test_q_decoding_is_the_regex_decoding(payload: str) -> None:
    raw = payload.replace("_", " ").encode("latin-1", "replace")
    assert _decode_q(payload) == _QHEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def test_a_cut_column_says_so_as_the_full_route_does() -> None:
    refs = b" ".join(b"<%d%s@x>" % (i, b"r" * 990) for i in range(20))
    raw = b"Subject: =?utf-8?q?" + b"a" * 3000 + b"?=\r\nReferences: " + refs + b"\r\n\r\n"
    summary = summarize_columns(raw)
    assert summary == summarize_header_full(raw)
    assert len(summary.references) == 16000 and summary.note
    assert re.fullmatch("a{2000}", summary.subject)  # cut by the parser itself: no note


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.binary(max_size=6)), max_size=6).map(b"".join))
def test_one_encoded_word_decodes_as_the_general_way(raw: bytes) -> None:
    from tuimail.core.mime.charsets import decode_header_bytes
    from tuimail.core.mime.headers import decode_rfc2047, decode_rfc2047_words

    text = decode_header_bytes(raw)
    assert decode_rfc2047(text) == decode_rfc2047_words(text)


def test_the_last_resort_parser_loads_when_needed_and_reads_a_header() -> None:
    from tuimail.core.store.headers import _fallback

    summary = _fallback(b"From: A <a@b.c>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n")
    assert (summary.from_addr, summary.subject) == ("a@b.c", "café")


def test_the_unsafe_check_is_the_regex() -> None:
    """summarize_header's three scans decide as the regex they replaced. What either
    looks for is one or two bytes long, so every pair of bytes (and every byte) alone and
    inside a plain header line is every case (500 random ones took ~3 s)."""
    from tuimail.core.store.headers import _UNSAFE, _unsafe

    pairs = (bytes((a, b)) for a in range(256) for b in range(256))
    for part in [b"", *(bytes((a,)) for a in range(256)), *pairs]:
        for raw in (part, b"Subject: " + part + b" x\r\n"):
            assert _unsafe(raw) == (_UNSAFE.search(raw) is not None), raw


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([b"=?utf-8?q?", b"=?UTF-8?Q?", b"=?utf-8?b?", b"=?utf8?q?", b"=?UTF-8*en?q?"]),
    st.lists(
        st.sampled_from([b"caf=C3=A9", b"caf=E9", b"=FF=FE", b"_", b"w4lsaXNl", b"=ED=A0=80",
                         b"=F0=9F=8F=B4", b"=C3", b"", b"abc"]),
        max_size=4,
    ).map(b"".join),
    st.sampled_from([b"", b" tail", b"head "]),
)  # fmt: skip
def test_a_utf8_word_decodes_as_the_general_way(start: bytes, payload: bytes, around: bytes):
    """A UTF-8 word is decoded directly when its bytes are valid UTF-8 and by
    decode_bytes otherwise (invalid, surrogates, cut sequences): the general way's text
    either way."""
    from tuimail.core.mime.headers import decode_rfc2047, decode_rfc2047_words

    text = (around + start + payload + b"?=" + around[::-1]).decode("latin-1")
    assert decode_rfc2047(text) == decode_rfc2047_words(text)
