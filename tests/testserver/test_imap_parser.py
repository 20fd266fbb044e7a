"""Property tests of the bundled IMAP server's parsers: any input gives a result or a
BadCommand (which the session turns into BAD), never another exception."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from testserver.imap.address import parse_address_list
from testserver.imap.fetch import Item, bodystructure_of, envelope_of, parse_items, section_data
from testserver.imap.mime import Part
from testserver.imap.parser import (
    BadCommand,
    format_seqset,
    mutf7_decode,
    mutf7_encode,
    parse_seqset,
    qstring,
    resolve_uids,
    tokenize,
)
from testserver.imap.search import Context, parse_search
from testserver.mailstore import StoredMessage

IMAP_BYTES = st.lists(
    st.sampled_from(
        [b" ", b"(", b")", b'"', b"\\", b"{3}\r\n", b"{2+}\r\n", b"[", b"]", b"<", b">", b"*", b":"]
        + [b"1", b"2:*", b"ALL", b"NOT", b"OR", b"UID", b"BODY", b"HEADER", b"SINCE", b"1-Jan-2020"]
        + [b"BODY[1.MIME]", b"BODY.PEEK[HEADER.FIELDS (A)]<0.5>", b"FLAGS", b"x", b"\xff"]
    ),
    max_size=30,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), IMAP_BYTES))
def test_tokenize_only_raises_badcommand(data):
    try:
        tokenize(data)
    except BadCommand:
        pass


@settings(max_examples=300, deadline=None)
@given(IMAP_BYTES)
def test_search_and_fetch_parsers_only_raise_badcommand(data):
    try:
        tokens = tokenize(data)
    except BadCommand:
        return
    message = StoredMessage(1, b"Subject: x\r\n\r\nbody\r\n", set(), datetime.now(UTC), 1)
    try:
        pred = parse_search(tokens, Context(1, 1), lambda s: s)
        pred(1, message)
    except BadCommand:
        pass
    try:
        parse_items(tokens[0] if tokens else "")
    except BadCommand:
        pass


MIME_PIECES = st.lists(
    st.sampled_from(
        [
            b"Content-Type: multipart/mixed; boundary=b\r\n",
            b"Content-Type: message/rfc822\r\n",
            b'Content-Type: text/plain; charset="x\r\n',
            b"Content-Transfer-Encoding: base64\r\n",
            b"Content-Disposition: attachment; filename*=utf-8''a%20b\r\n",
            b"Content-Language: en, de\r\n",
            b"From: A <a@b>, (c) d@e; g: h@i;\r\n",
            b"To: undisclosed-recipients:;\r\n",
            b"\r\n",
            b"--b\r\n",
            b"--b--\r\n",
            b"text line\r\n",
            b" folded\r\n",
            b"\xff\xfe",
        ]
    ),
    max_size=25,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(MIME_PIECES, st.binary(max_size=300)))
def test_mime_envelope_bodystructure_sections_never_fail(raw):
    part = Part(raw)
    bodystructure_of(part, True)
    bodystructure_of(part, False)
    envelope_of(part.fields)
    for path in ((), (1,), (1, 1), (2, 1, 3)):
        for spec in ("", "HEADER", "TEXT", "MIME", "HEADER.FIELDS"):
            if spec == "MIME" and not path:
                continue
            section_data(raw, Item("BODY[]", path, spec, ("FROM",) if "FIELDS" in spec else ()))


@given(st.text(max_size=120))
def test_address_parser_never_fails(text):
    for address in parse_address_list(text):
        assert len(address) == 4 and all(v is None or isinstance(v, str) for v in address)


@given(st.text(max_size=40))
def test_mutf7_round_trip(name):
    assert mutf7_decode(mutf7_encode(name)) == name


@given(st.sets(st.integers(min_value=1, max_value=500), max_size=60))
def test_seqset_round_trip(numbers):
    uids = sorted(numbers)
    if not uids:
        return
    assert resolve_uids(parse_seqset(format_seqset(uids)), uids) == uids


def test_quoting():
    assert qstring("plain") == b'"plain"'
    assert qstring('a"b\\c') == b'"a\\"b\\\\c"'
    assert qstring("café") == b"{5}\r\ncaf\xc3\xa9"
    assert qstring("two\r\nlines") == b"{10}\r\ntwo\r\nlines"
