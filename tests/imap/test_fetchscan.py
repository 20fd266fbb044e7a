"""The bulk FETCH reader (tuimail.core.imap.fetchscan, issue 19) reads what imaplib reads:
the same messages from any well-formed answer (items in any order, unsolicited responses
between them, literals containing anything), whatever pieces the bytes arrive in; the
other untagged responses kept as imaplib keeps them; nothing after the tagged line
consumed; and every hostile shape refused typed, as before."""

from __future__ import annotations

import imaplib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.imap.fetch_stream import TAG, reference, wire
from tuimail.core.connect import ImapProtocolViolation
from tuimail.core.errors import ConnectionLost, ProtocolViolation
from tuimail.core.imap.fetchscan import read_answer
from tuimail.core.imap.sync import (
    _internaldate,
    _internaldate_parsed,
    messages_from_fetches,
    messages_from_imaplib,
)

SECTION = b"BODY[HEADER.FIELDS (FROM TO SUBJECT)]"
_FLAGS = st.lists(st.sampled_from([b"\\Seen", b"\\Flagged", b"$Label1", b"Old", b"\\*"]))
_DATES = st.sampled_from(
    [b"05-Dec-2026 00:34:21 +0000", b" 1-Jan-2024 10:00:00 -0130", b"31-Feb-2024 99:99:99 +9999",
     b"", b"not a date", b"01-Foo-2024 10:00:00 +0000"]
)  # fmt: skip
_NUMBERS = st.one_of(st.integers(0, 1 << 33), st.sampled_from([1 << 63, (1 << 64) + 1]))
_HEADERS = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([b"Subject: a)\r\n\r\n", b"X: {5}\r\n", b"* 1 FETCH (UID 9)\r\n", b""]),
)


@st.composite
def _fetch(draw, seq: int) -> bytes:
    """One `* seq FETCH (...)` with the asked-for items in any order (maybe some absent)."""
    items = [
        b"UID %d" % draw(_NUMBERS),
        b"FLAGS (" + b" ".join(draw(_FLAGS)) + b")",
        b'INTERNALDATE "' + draw(_DATES) + b'"',
        b"RFC822.SIZE %d" % draw(_NUMBERS),
        b"MODSEQ (%d)" % draw(_NUMBERS),
    ]
    header = draw(_HEADERS)
    kind = draw(st.sampled_from(["literal", "literal", "nil", "none"]))
    if kind == "literal":
        items.append(SECTION + b" {%d}\r\n" % len(header) + header)
    elif kind == "nil":
        items.append(SECTION + b" NIL")
    if draw(st.booleans()):  # else the order asked for (the one-match path)
        items = draw(st.permutations(items))
    if draw(st.booleans()):
        items = items[: draw(st.integers(max(1, len(items) - 2), len(items)))]
    return b"* %d FETCH (" % seq + b" ".join(items) + b")\r\n"


_UNSOLICITED = st.sampled_from(
    [b"* 3 EXISTS\r\n", b"* 2 EXPUNGE\r\n", b"* OK [ALERT] look {here}\r\n", b"* 1 RECENT\r\n",
     b"* 4 FETCH (FLAGS (\\Seen))\r\n", b"* OK [HIGHESTMODSEQ 77] fine\r\n",
     b"* VANISHED (EARLIER) 1:3\r\n", b"* NO [OVERQUOTA] {3}\r\nabc trailer\r\n", b"+ go on\r\n"]
)  # fmt: skip


@st.composite
def _answers(draw) -> bytes:
    parts = []
    for seq in range(1, draw(st.integers(0, 6)) + 1):
        if draw(st.booleans()):
            parts.append(draw(_UNSOLICITED))
        parts.append(draw(_fetch(seq)))
    ending = draw(st.sampled_from([b"OK done", b"OK [READ-ONLY] done", b"NO [LIMIT] too much"]))
    return b"".join(parts) + TAG + b" " + ending + b"\r\n"


def _ours(data: bytes, chunks: list[int] | None = None, buffer: int = 8192):
    imap = wire(data, chunks, buffer)
    typ, text, fetches = read_answer(imap, TAG, "UID")
    return imap, typ, text, fetches


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _answers(),
    st.lists(st.integers(1, 40), max_size=5),
    st.sampled_from([1, 7, 64, 8192]),
    st.booleans(),
)
def test_the_bulk_reader_reads_what_imaplib_reads(data, chunks, buffer, modseq) -> None:
    imap, typ, text, fetches = _ours(data, chunks, buffer)
    ref_typ, ref_fetch, ref_untagged = reference(data)
    assert typ == ref_typ
    assert messages_from_fetches(fetches, modseq) == messages_from_imaplib(ref_fetch, modseq)
    assert imap.untagged_responses == ref_untagged
    assert TAG not in imap.tagged_commands


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _answers(),
    st.lists(st.integers(1, 40), max_size=5),
    st.booleans(),
    st.one_of(st.none(), st.frozensets(st.integers(0, 12))),
)
def test_messages_made_during_the_read_are_the_ones_made_after(data, chunks, modseq, wanted):
    """fetch_headers makes each plain response's NewMessage while reading
    (sync.plain_messages) instead of a Fetch first: the same messages, in the same order,
    with the same UIDs left out, whatever the answer holds and however it is cut."""
    from tuimail.core.imap.sync import plain_messages

    imap = wire(data, chunks)
    typ, _text, items = read_answer(imap, TAG, "UID", plain_messages(modseq, wanted))
    assert typ == reference(data)[0]
    made = messages_from_fetches(items, modseq, wanted)
    assert made == messages_from_fetches(_ours(data, chunks)[3], modseq, wanted)
    assert made == messages_from_imaplib(reference(data)[1], modseq, wanted)


@settings(max_examples=60, deadline=None)
@given(_answers(), st.binary(max_size=30))
def test_nothing_after_the_tagged_line_is_consumed(data, after) -> None:
    imap, *_ = _ours(data + after, [3, 11])
    assert imap.file.read() == after


NEXT = b"A8"  # a command sent after TAG, before TAG's answer was read


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answers(), _answers(), st.lists(st.integers(1, 40), max_size=5), st.booleans())
def test_two_answers_in_flight_read_in_turn_are_each_answer(first, second, chunks, reorder):
    """Answers to two commands sent one ahead (tuimail.core.imap.ahead), however the
    bytes are cut: read in turn, they give the messages and results each gives read
    alone. The later command may be completed first (RFC 3501 5.5): its FETCH responses
    then come with the earlier answer and its tagged line is kept for its own read."""
    body, _, ending = second.rpartition(TAG + b" ")
    later = NEXT + b" " + ending
    first_body, _, first_ending = first.rpartition(TAG + b" ")
    if reorder:
        data = first_body + body + later + TAG + b" " + first_ending
    else:
        data = first + body + later
    imap = wire(data, chunks)
    imap.tagged_commands[NEXT] = None
    typ, text, fetches = read_answer(imap, TAG, "UID", ahead=[NEXT])
    typ2, text2, fetches2 = read_answer(imap, NEXT, "UID")
    assert (typ, typ2) == (reference(first)[0], reference(second)[0])
    assert text2 == ending[ending.index(b" ") + 1 : -2]
    assert not reorder or fetches2 == []
    both = messages_from_fetches(fetches + fetches2, True)
    alone = messages_from_imaplib(reference(first)[1] + reference(second)[1], True)
    assert both == alone
    assert imap.tagged_commands == {} and imap.file.read() == b""


def test_a_literal_split_at_every_byte_reads_the_same() -> None:
    header = b"From: a@b.c\r\nSubject: x) {3}\r\n\r\n"
    data = (
        b"* 1 FETCH (UID 5 FLAGS (\\Seen) " + SECTION + b" {%d}\r\n" % len(header) + header
        + b' INTERNALDATE "05-Dec-2026 00:34:21 +0000" RFC822.SIZE 12)\r\n'
        + b"* 2 FETCH (UID 6 FLAGS () INTERNALDATE \"05-Dec-2026 00:34:21 +0000\" "
        + b"RFC822.SIZE 9 " + SECTION + b" {%d}\r\n" % len(header) + header + b")\r\n"
        + TAG + b" OK done\r\n"
    )  # fmt: skip
    whole = messages_from_fetches(_ours(data)[3], False)
    assert [m.uid for m in whole] == [5, 6] and whole[0].header == header
    for cut in range(1, len(data)):
        imap = wire(data, [cut, len(data)], buffer=max(1, cut))
        assert messages_from_fetches(read_answer(imap, TAG, "UID")[2], False) == whole


def test_a_quoted_header_is_read_with_its_escapes() -> None:
    data = b"* 1 FETCH (UID 3 " + SECTION + b' "Subject: \\"q\\"")\r\n' + TAG + b" OK x\r\n"
    (fetch,) = _ours(data)[3]
    assert fetch.uid == 3 and fetch.header == b'Subject: "q"'


def test_sizes_and_uids_beyond_64_bits_are_numbers_not_crashes() -> None:
    data = (
        b"* 1 FETCH (UID %d RFC822.SIZE %d " % (1 << 63, 1 << 64) + SECTION + b" {0}\r\n)\r\n"
        + b"* 2 FETCH (UID 7 RFC822.SIZE %d " % (1 << 63) + SECTION + b" {0}\r\n)\r\n"
        + TAG + b" OK x\r\n"
    )  # fmt: skip
    messages = messages_from_fetches(_ours(data)[3], False)
    assert [(m.uid, m.size) for m in messages] == [(7, 1 << 63)]  # not a UID: skipped


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"* 1 FETCH (UID 1 " + SECTION + b" {9223372036854775808}\r\n", ImapProtocolViolation),
        (b"* 1 FETCH (UID 1 " + SECTION + b" {10}\r\nFrom: a", ConnectionLost),
        (b"* 1 FETCH (UID 1", ConnectionLost),
        (b"", ConnectionLost),
        (b"this is not imap\r\n", ProtocolViolation),
        (b"A9 OK a tag we never sent\r\n", ProtocolViolation),
        (b"* 1 FETCH (UID 1 " + b"x" * (imaplib._MAXLINE + 10) + b")\r\n", ProtocolViolation),
    ],
)
def test_hostile_answers_are_refused_typed(data, error) -> None:
    imap = wire(data, [5, 4096])
    with pytest.raises(error):
        read_answer(imap, TAG, "UID")
    assert TAG not in imap.tagged_commands


def test_bye_ends_the_command_as_imaplib_does() -> None:
    imap = wire(b"* BYE shutting down\r\n" + TAG + b" OK x\r\n")
    with pytest.raises(imaplib.IMAP4.abort, match="shutting down"):
        read_answer(imap, TAG, "UID")


def test_bad_is_imaplibs_error_and_no_is_returned() -> None:
    with pytest.raises(imaplib.IMAP4.error):
        read_answer(wire(TAG + b" BAD nope\r\n"), TAG, "UID")
    assert read_answer(wire(TAG + b" NO [LIMIT] later\r\n"), TAG, "UID")[:2] == (
        "NO",
        b"[LIMIT] later",
    )


def test_a_flood_is_bounded_by_the_response_limit(monkeypatch) -> None:
    from tuimail.core import connect

    monkeypatch.setattr(connect, "MAX_RESPONSE", 10_000)
    imap = wire(b"* 1 EXISTS\r\n" * 5000 + TAG + b" OK\r\n", [700])
    with pytest.raises(ProtocolViolation):
        read_answer(imap, TAG, "UID")


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 31), st.sampled_from([b"Jan", b"Feb", b"Dec", b"Foo"]), st.integers(0, 9999),
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.sampled_from(b"+-"),
    st.integers(0, 9999), st.booleans(),
)  # fmt: skip
def test_internaldate_by_position_is_the_parsed_value(d, mon, y, hh, mm, ss, sign, zone, pad):
    day = (b"%2d" if pad else b"%02d") % d
    value = day + b"-" + mon + b"-%04d %02d:%02d:%02d " % (y, hh, mm, ss) + bytes([sign])
    value += b"%04d" % zone
    assert _internaldate(value) == _internaldate_parsed(value)


def test_over_the_wire_both_readers_give_the_same_messages(mail_peer) -> None:
    """Against the bundled server and Dovecot: the bulk reader and imaplib's way give the
    same messages (encoded, 8-bit, flagged, with and without MODSEQ)."""
    from tests.imap.helpers import account_for, message, other_client
    from tuimail.core.imap.session import close_quietly, connect
    from tuimail.core.imap.sync import fetch_headers, fetch_headers_imaplib

    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in range(1, 16):
        raw = message(i, subject="=?utf-8?q?R=C3=A9union?=" if i % 3 else "caf\xe9 8-bit")
        other.append("INBOX", raw, flags=[b"\\Seen", b"$Label"] if i % 2 else [])
    other.logout()
    client = connect(account_for(mail_peer, user), user.password, timeout=10)
    try:
        client.select_folder("INBOX", readonly=True)
        for modseq in (False, True):
            ours = fetch_headers(client, "1:*", modseq)
            assert len(ours) == 15
            assert ours == fetch_headers_imaplib(client, "1:*", modseq)
            assert fetch_headers(client, "5:9", modseq) == [m for m in ours if 5 <= m.uid <= 9]
    finally:
        close_quietly(client)


def test_the_usual_answers_never_need_the_old_expressions(monkeypatch) -> None:
    """Flags with backslashes, MODSEQ before or after the header, items in another order:
    all parsed by the scanner itself (the old regular expressions are for odd shapes)."""
    from tuimail.core.imap import fetchscan

    def refuse(*args):
        raise AssertionError("legacy_fields used")

    monkeypatch.setattr(fetchscan, "legacy_fields", refuse)
    header = b"Subject: x\r\n\r\n"
    literal = SECTION + b" {%d}\r\n" % len(header) + header
    data = (
        b'* 1 FETCH (UID 4 FLAGS (\\Seen \\Recent $X) INTERNALDATE "05-Dec-2026 00:34:21 +0000" '
        b"RFC822.SIZE 12 MODSEQ (9) " + literal + b")\r\n"
        b'* 2 FETCH (UID 5 FLAGS () INTERNALDATE "05-Dec-2026 00:34:21 +0000" RFC822.SIZE 3 '
        + literal + b" MODSEQ (10))\r\n"
        b'* 3 FETCH (FLAGS (\\Answered) UID 6 RFC822.SIZE 3 INTERNALDATE "x" ' + literal + b")\r\n"
        + TAG + b" OK done\r\n"
    )  # fmt: skip
    fetches = read_answer(wire(data), TAG, "UID")[2]
    assert [(f.uid, f.flags, f.modseq, f.header) for f in fetches] == [
        (4, b"\\Seen \\Recent $X", 9, header),
        (5, b"", 10, header),
        (6, b"\\Answered", None, header),
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.lists(st.integers(1, 300), min_size=1, max_size=4), st.booleans())
def test_plain_responses_cut_by_a_buffer_end_take_the_fast_path(count, chunks, modseq) -> None:
    """Responses of the usual shape are read whole by the scanner's run even when the
    bytes arrive cut anywhere (the line reader is left the tagged line alone), and give
    the messages imaplib's reading gives."""
    from tuimail.core.imap import fetchscan

    header = b"From: a@b.c\r\nSubject: x) {3}\r\n\r\n"
    data = b"".join(
        b'* %d FETCH (UID %d FLAGS (\\Seen $X) INTERNALDATE " 5-Dec-2026 00:34:21 +0100" '
        b"RFC822.SIZE %d " % (i, 100 + i, 1000 + i)
        + (b"MODSEQ (%d) " % (7 + i) if modseq and i % 2 else b"")
        + SECTION + b" {%d}\r\n" % len(header) + header
        + (b" MODSEQ (%d)" % (9 + i) if modseq and not i % 2 else b"") + b")\r\n"
        for i in range(1, count + 1)
    ) + TAG + b" OK done\r\n"  # fmt: skip
    lines = []
    original = fetchscan._Reader.line

    def line(self):
        lines.append(original(self))
        return lines[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fetchscan._Reader, "line", line)
        imap = wire(data + b"* 1 EXISTS\r\n", chunks, buffer=max(chunks))
        typ, _text, fetches = read_answer(imap, TAG, "UID")
    assert typ == "OK" and lines == [TAG + b" OK done"]
    ours = messages_from_fetches(fetches, modseq)
    assert ours == messages_from_imaplib(reference(data)[1], modseq)
    assert [m.uid for m in ours] == list(range(101, 101 + count))
    assert imap.file.read() == b"* 1 EXISTS\r\n"  # nothing after the tagged line taken


def test_a_new_message_is_the_namedtuple_it_stands_for() -> None:
    from tuimail.core.imap.sync import _new_message
    from tuimail.core.store import NewMessage

    fields = (7, ("\\Seen",), b"Subject: x\r\n", 12, 1.5, 3, "")
    made = _new_message(fields)
    assert type(made) is NewMessage and made == NewMessage(*fields)
    assert made.note == "" and made.modseq == 3


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([b" 5-Dec-2026", b"31-Feb-2024", b"01-Foo-2024", b"1-Jan-2024", b"05-Dec-26"]),
    st.sampled_from([b" ", b"-", b"  "]),
    st.sampled_from([b"00:34", b"23:59", b"99:99", b"0:34", b"00-34"]),
    st.sampled_from([b":", b" ", b"::"]),
    st.sampled_from([b"21", b"00", b"9x", b"-1", b" 1", b"+1", b"1"]),
    st.sampled_from([b" +0100", b" -0130", b" +9999", b"+0100", b" 0100", b" +01x0"]),
)  # fmt: skip
def test_remembered_date_parts_give_the_parsed_value(day, gap, minute, colon, seconds, zone):
    """Parts of INTERNALDATE values met before are remembered; a value built from known
    parts around something else (other separators, seconds that are not two digits, a
    day that is not one) is still what the full parse makes of it, the first time and
    the next."""
    for known in (b" 5-Dec-2026 00:34:21 +0100", b"31-Feb-2024 23:59:00 -0130"):
        assert _internaldate(known) == _internaldate_parsed(known)
    value = day + gap + minute + colon + seconds + zone
    assert _internaldate(value) == _internaldate_parsed(value)
    assert _internaldate(value) == _internaldate_parsed(value)
