"""The `* STATUS` lines of a LIST-STATUS answer (RFC 5819) as imaplib hands them over: any
astring a server may write for the name (quoted with escapes, a literal, an atom with `]`
or `[`) reads back as written, with its numbers; nothing else is ever raised."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.imap.liststatus import (
    ITEM_RANGES,
    BadStatusLine,
    parse_status_line,
    statuses_for,
)
from tuimail.core.imap.names import ListEntry

WANTED = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY", b"HIGHESTMODSEQ"]
_ATOM_SAFE = re.compile(rb"^[^\s(){\"\\%*]+$")


def _entry(wire: bytes) -> ListEntry:
    return ListEntry((), "/", wire, wire.decode("utf-8", "replace"))


def _items(values: dict[bytes, int]) -> bytes:
    return b"(" + b" ".join(k + b" " + str(v).encode() for k, v in values.items()) + b")"


def as_imaplib(wire: bytes, items: bytes, form: str) -> list:
    """The untagged STATUS data imaplib keeps for one line naming `wire` in `form`."""
    if form == "literal":
        return [(b"{%d}" % len(wire), wire), b" " + items]
    if form == "atom":
        return [wire + b" " + items]
    quoted = wire.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    return [b'"' + quoted + b'" ' + items]


_NAMES = st.one_of(
    st.text(min_size=1, max_size=20).map(lambda t: t.encode("utf-8")),
    st.binary(min_size=1, max_size=20),
    st.sampled_from([b"a]b[c", b"INBOX", b"Caf&AOk-", b'with "quotes"', b"back\\slash", b"NIL"]),
).filter(lambda w: not (set(w) & {0, 10, 13}))
_VALUES = st.fixed_dictionaries(
    {key: st.integers(low, high) for key, (low, high) in ITEM_RANGES.items()}
)


@settings(max_examples=100, deadline=None)
@given(_NAMES, _VALUES, st.sampled_from(["quoted", "literal", "atom"]))
def test_a_status_line_reads_back_its_name_and_numbers(wire, values, form) -> None:
    if form == "atom" and not _ATOM_SAFE.match(wire):
        form = "quoted"
    data = as_imaplib(wire, _items(values), form)
    if form == "literal":
        parsed = parse_status_line(data[0][0], data[0][1], data[1])
    else:
        parsed = parse_status_line(data[0])
    assert parsed == (wire, values)
    assert statuses_for(data, [_entry(wire)], WANTED) == {_entry(wire).name: values}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60), st.none() | st.binary(max_size=20), st.none() | st.binary())
def test_any_bytes_raise_nothing_but_bad_status_line(line, literal, rest) -> None:
    try:
        parse_status_line(line, literal, rest)
    except BadStatusLine:
        pass


_ITEM = st.one_of(
    st.binary(max_size=40),
    st.none(),
    st.tuples(st.binary(max_size=8), st.binary(max_size=8)),
    st.tuples(st.just(b"{3}"), st.sampled_from([b"abc", b"a]b"])),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_ITEM, max_size=8))
def test_any_untagged_data_gives_statuses_only_for_listed_folders(data) -> None:
    entries = [_entry(b"abc"), _entry(b"a]b")]
    statuses = statuses_for(data, entries, WANTED)
    assert set(statuses) <= {"abc", "a]b"}
    for status in statuses.values():
        assert set(status) == set(WANTED)


GOOD = b"(MESSAGES 3 UIDNEXT 9 UIDVALIDITY 7 HIGHESTMODSEQ 12)"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([b"abc " + GOOD], {"abc"}),
        ([b"abc " + GOOD, b"abc " + GOOD], set()),  # twice: none
        ([b"abc " + GOOD, b"abc (MESSAGES 3)"], set()),  # twice, one short
        ([b"abc (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 0 HIGHESTMODSEQ 1)"], set()),
        ([b"abc (MESSAGES 3 UIDNEXT 4294967296 UIDVALIDITY 7 HIGHESTMODSEQ 1)"], set()),
        ([b"abc (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 7 HIGHESTMODSEQ 9223372036854775808)"], set()),
        ([b"abc (MESSAGES -1 UIDNEXT 9 UIDVALIDITY 7 HIGHESTMODSEQ 1)"], set()),
        ([b"abc (MESSAGES 3 MESSAGES 3 UIDNEXT 9 UIDVALIDITY 7 HIGHESTMODSEQ 1)"], set()),
        ([b"abc (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 7 HIGHESTMODSEQ)"], set()),
        ([b"abc (MESSAGES (3) UIDNEXT 9 UIDVALIDITY 7 HIGHESTMODSEQ 1)"], set()),
        ([b"zzz " + GOOD, b"a]b " + GOOD], {"a]b"}),  # zzz is not listed
        ([b'"a]b" ' + GOOD, b"ABC " + GOOD], {"a]b"}),  # names are bytes: ABC is not abc
        ([(b"{3}", b"abc"), b" " + GOOD], {"abc"}),
        ([(b"{3}", b"abc"), (b" (MESSAGES {1}", b"3"), b")", b"a]b " + GOOD], {"a]b"}),
        ([b"{3}", b"abc " + GOOD], {"abc"}),  # a literal that never came
        ([b'"abc ' + GOOD], set()),  # unterminated
    ],
)
def test_only_one_readable_line_in_range_gives_a_folder_its_status(data, expected) -> None:
    entries = [_entry(b"abc"), _entry(b"a]b")]
    assert set(statuses_for(data, entries, WANTED)) == expected


def test_inbox_in_any_case_is_the_listed_inbox() -> None:
    listed = ListEntry((), "/", b"Inbox", "INBOX")
    assert statuses_for([b"INBOX " + GOOD], [listed], WANTED) == {
        "INBOX": {b"MESSAGES": 3, b"UIDNEXT": 9, b"UIDVALIDITY": 7, b"HIGHESTMODSEQ": 12}
    }
