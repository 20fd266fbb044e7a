"""The UID-set parser for ESEARCH answers (untrusted server input): random sets come back
as they were; hostile forms are a ProtocolViolation, decided before anything is expanded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.errors import ProtocolViolation
from tuimail.core.imap.sync import uid_set
from tuimail.core.imap.uidlist import MAX_UID, parse_esearch, parse_sequence_set

uids = st.lists(
    st.one_of(st.integers(1, 300), st.integers(MAX_UID - 300, MAX_UID)), min_size=1, unique=True
)


@given(uids)
def test_random_sets_round_trip(numbers: list[int]) -> None:
    text = uid_set(numbers).encode()
    assert parse_sequence_set(text, len(numbers)) == sorted(numbers)
    answer = b'(TAG "A7") UID MIN 1 ALL ' + text + b" COUNT 3"
    assert parse_esearch(answer, len(numbers)) == sorted(numbers)


@given(uids)
def test_one_uid_over_the_bound_is_refused(numbers: list[int]) -> None:
    with pytest.raises(ProtocolViolation):
        parse_sequence_set(uid_set(numbers).encode(), len(numbers) - 1)


@pytest.mark.parametrize(
    "hostile",
    [
        b"*",
        b"1:*",
        b"0",
        b"0:5",
        b"4294967296",
        b"1:99999999999999999999",
        b"",
        b"1,,2",
        b"1:3 7",
        b"-1",
        b"\xd9\xa1",  # an Arabic-Indic digit one: not an IMAP number
        b"1:4294967295",  # expanding would take 2^32 numbers
        b"garbage",
    ],
)
def test_hostile_sets_are_protocol_violations(hostile: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        parse_sequence_set(hostile, 1000)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(b"9:7", [7, 8, 9]), (b"5,3", [3, 5]), (b"1:5,4", [1, 2, 3, 4, 5]), (b"8,2:1,8", [1, 2, 8])],
)
def test_reversed_ranges_and_parts_in_any_order_are_the_same_set(
    answer: bytes, expected: list[int]
) -> None:
    """RFC 3501: `9:7` is the set `7:9`; a server may list parts in any order."""
    assert parse_sequence_set(answer, 1000) == expected


@given(st.binary(max_size=60))
def test_any_bytes_give_a_bounded_list_or_a_violation(data: bytes) -> None:
    try:
        out = parse_sequence_set(data, 1000)
    except ProtocolViolation:
        return
    assert 0 < len(out) <= 1000 and out == sorted(set(out))


def test_an_answer_without_all_matched_nothing() -> None:
    assert parse_esearch(b'(TAG "A5") UID', 10) == []
    assert parse_esearch(b'(TAG "A5") UID COUNT 0', 10) == []
    with pytest.raises(ProtocolViolation):
        parse_esearch(b'(TAG "A5") UID ALL', 10)
