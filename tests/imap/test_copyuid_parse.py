"""Reading a server's COPYUID (untrusted): a usable answer or None, never an exception,
never a pairing beyond what was asked."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.imap.copyuid import CopyUid, parse, take


def test_ranges_pair_up_in_order() -> None:
    assert parse(b"77 4,7:9 20:23", [4, 7, 8, 9]) == CopyUid(77, {4: 20, 7: 21, 8: 22, 9: 23})
    assert parse(b"77 9:7 3:1", [7, 8, 9]) == CopyUid(77, {7: 1, 8: 2, 9: 3})


def test_a_server_may_copy_fewer_than_asked() -> None:
    assert parse(b"5 2 10", [1, 2]) == CopyUid(5, {2: 10})


def test_unusable_answers_are_none() -> None:
    asked = [1, 2]
    for text in (
        None,
        b"",
        b"5 1:2",
        b"5 1:2 10:11 12",
        b"5 1:2 10",  # counts differ
        b"5 1,1 10:11",  # a source twice
        b"5 1:2 10,10",
        b"5 3 10",  # never asked for
        b"5 1:4294967295 1:4294967295",  # counted, never expanded
        b"0 1 10",
        b"5 1 4294967296",
        b"5 1 *",
        b"5 01 10",
        b"5  1 10",
        b"-5 1 10",
    ):
        assert parse(text, asked) is None, text


@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(
        st.binary(max_size=60),
        st.lists(
            st.sampled_from([b"1", b"2", b"3", b":", b",", b" ", b"*", b"4294967295", b"0"]),
            max_size=20,
        ).map(b"".join),
    ),
    asked=st.lists(st.integers(1, 5), max_size=4),
)
def test_any_answer_is_read_safely(text: bytes, asked: list[int]) -> None:
    answer = parse(text, asked)
    if answer is not None:
        assert set(answer.pairs) <= set(asked)
        assert len(set(answer.pairs.values())) == len(answer.pairs)
        assert all(1 <= uid <= 0xFFFFFFFF for uid in answer.pairs.values())


def _client(said: list) -> SimpleNamespace:
    return SimpleNamespace(_imap=SimpleNamespace(untagged_responses={"COPYUID": said}))


def test_take_reads_the_code_once_and_only_when_the_server_is_consistent() -> None:
    client = _client([b"5 1 10"])
    assert take(client) == b"5 1 10"
    assert take(client) is None  # used up: never read again for the next command
    assert take(_client([b"5 1 10", b"5 1 10"])) == b"5 1 10"  # tagged and untagged alike
    assert take(_client([b"5 1 10", b"5 1 11"])) is None  # it contradicts itself
    assert take(_client([b"5 1 10] Moved [X"])) == b"5 1 10"  # imaplib's greedy match
    assert take(_client([(b"5 1 {2}", b"10")])) is None
