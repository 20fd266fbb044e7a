"""The stable header key and the UIDL listing, on whatever bytes a server sends."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.pop3 import parse_list, parse_uidl_listing, uidl_keys
from tuimail.core.pop3_keys import (
    SERVER_FIELDS,
    body_hash,
    body_size,
    header_lines,
    header_size,
    raw_header_lines,
    raw_lines,
    stable_hash,
    stable_key,
)

# A line as poplib gives it: no LF (it splits on it), any other byte, CR included.
line = st.binary(max_size=80).filter(lambda b: b"\n" not in b)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VISIBLE = "".join(chr(c) for c in range(0x21, 0x7F))
name = st.builds(
    lambda first, rest: (first + rest).encode(),
    st.sampled_from(_LETTERS),
    st.text(alphabet=_LETTERS + "0123456789-", max_size=15),
)
value = st.lists(st.text(alphabet=_VISIBLE, min_size=1, max_size=10), min_size=1, max_size=5).map(
    lambda words: " ".join(words).encode()
)
plain_field = st.tuples(name, value).filter(lambda f: f[0].lower() not in SERVER_FIELDS)
server_field = st.tuples(
    st.sampled_from(sorted(SERVER_FIELDS)).map(lambda n: n.title()),
    st.text(alphabet=_VISIBLE + " ", max_size=12).map(str.encode),
)


def header(fields_: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [n + b": " + v for n, v in fields_]


@settings(max_examples=80, deadline=None)
@given(st.lists(line, max_size=30))
def test_any_header_lines_hash_without_error(lines):
    digest = stable_hash(header_lines(lines))
    assert len(digest) == 64 and stable_key(digest).startswith("s:")


@settings(max_examples=80, deadline=None)
@given(st.lists(line, max_size=30), st.lists(line, max_size=5))
def test_the_stored_message_gives_the_key_its_top_gave(top, body):
    """What commit computes from the stored message equals what a TOP gives."""
    head = header_lines(top)
    raw = b"\r\n".join([*head, b"", *body]) + b"\r\n"
    assert stable_hash(raw_header_lines(raw)) == stable_hash(head)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(plain_field, min_size=1, max_size=8),
    st.lists(server_field, min_size=1, max_size=5),
    st.data(),
)
def test_fields_servers_write_change_nothing(fields_, added, data):
    """Status:, X-UID: and the like, added anywhere or changed, keep the key."""
    mixed = list(fields_)
    for field in added:
        mixed.insert(data.draw(st.integers(0, len(mixed))), field)
    assert stable_hash(header(mixed)) == stable_hash(header(fields_))


@settings(max_examples=80, deadline=None)
@given(st.lists(plain_field, min_size=1, max_size=8), st.data())
def test_folding_white_space_and_order_change_nothing(fields_, data):
    lines = []
    for n, v in fields_:
        words = v.split(b" ")
        cut = data.draw(st.integers(1, len(words)))
        lines.append(n + b":  " + b" ".join(words[:cut]) + b" ")
        if cut < len(words):
            lines.append(b"\t" + b"  ".join(words[cut:]))
    moved = data.draw(st.permutations(fields_))
    assert stable_hash(lines) == stable_hash(header(fields_)) == stable_hash(header(moved))


@settings(max_examples=80, deadline=None)
@given(st.lists(plain_field, min_size=1, max_size=8), st.data())
def test_a_different_field_value_is_a_different_key(fields_, data):
    i = data.draw(st.integers(0, len(fields_) - 1))
    changed = list(fields_)
    changed[i] = (changed[i][0], changed[i][1] + b"x")
    assert stable_hash(header(changed)) != stable_hash(header(fields_))


def test_real_mbox_status_fields_are_left_out():
    plain = [b"From: a@example.test", b"Subject: hi", b"Message-ID: <1@example.test>"]
    written = plain + [
        b"Status: RO",
        b"X-Status: A",
        b"X-Keywords: $Label1",
        b"X-UID: 17",
        b"X-IMAPbase: 1234 18",
        b"X-UIDL: 0c1e5a0e",
        b"Content-Length: 120",
    ]
    assert stable_hash(written) == stable_hash(plain)
    assert stable_hash(plain + [b"X-Spam-Status: No"]) != stable_hash(plain)


@settings(max_examples=150, deadline=None)
@given(st.lists(line, max_size=20))
def test_any_uidl_listing_is_parsed_with_bad_lines_skipped(lines):
    skipped: list[bytes] = []
    listing = parse_uidl_listing(lines, skipped)
    assert all(1 <= n < 10**9 for n in listing)
    assert len(listing) + len(skipped) <= len(lines)
    keys = uidl_keys(listing)
    assert set(keys) <= set(listing)
    given_uidls = list(listing.values())
    for number, key in keys.items():
        uidl = listing[number]
        assert key == "u:" + uidl
        assert given_uidls.count(uidl) == 1  # a repeated UIDL is never a key
        assert 1 <= len(uidl) <= 70 and all(0x21 <= ord(c) <= 0x7E for c in uidl)


def test_odd_uidls_are_left_to_the_headers():
    listing = parse_uidl_listing(
        [b"1 ok-1", b"2", b"3 dup", b"4 dup", b"5 " + b"L" * 71, b"6 caf\xc3\xa9", b"7 ok-7"]
    )
    assert uidl_keys(listing) == {1: "u:ok-1", 7: "u:ok-7"}


@settings(max_examples=150, deadline=None)
@given(st.lists(line, max_size=20))
def test_any_list_answer_is_parsed_with_bad_lines_skipped(lines):
    skipped: list[bytes] = []
    sizes = parse_list(lines, skipped)
    assert all(isinstance(n, int) and 1 <= n < 10**9 for n in sizes)
    assert len(sizes) + len(skipped) <= len(lines)
    assert all(size is None or 0 <= size < 10**15 for size in sizes.values())


def test_listing_lines_without_a_usable_number_are_skipped_and_kept_for_the_note():
    skipped: list[bytes] = []
    lines = [b"1 120", b"0 5", b"99999999999999999999 7", b"x 3", b"-2 4", b"3 9"]
    assert parse_list(lines, skipped) == {1: 120, 3: 9}
    assert skipped == lines[1:5]


def test_list_sizes_that_are_not_numbers_are_unknown():
    assert parse_list([b"1 120", b"2 -5", b"3", b"4 99999999999999999999", b"5 12 extra"]) == {
        1: 120,
        2: None,
        3: None,
        4: None,
        5: 12,
    }


# A line as RETR gives it and the store keeps it (CRLF-joined): no CR or LF inside.
stored_line = st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b)


@given(
    st.lists(stored_line.filter(bool), max_size=10),
    st.lists(stored_line, max_size=10),
    st.integers(0, 3),
)
def test_body_evidence_of_the_stored_message_is_what_retr_and_list_give(top, body, blank):
    """The evidence recorded from the stored message equals the one from RETR's lines,
    and LIST's size less the header TOP gives is the body size; empty lines at the end
    (an mbox server's separator) do not change the body hash."""
    lines = [*top, b"", *body]
    raw = b"\r\n".join(lines) + b"\r\n"
    assert raw_lines(raw) == lines
    assert body_hash(raw_lines(raw)) == body_hash(lines)
    assert body_size(lines) == len(raw) - header_size(header_lines(lines))
    assert body_hash([*lines, *[b""] * blank]) == body_hash(lines)


@given(st.lists(line, max_size=20))
def test_any_message_lines_give_body_evidence_without_error(lines):
    assert len(body_hash(lines)) == 64 and body_size(lines) >= 0


def test_another_body_is_other_evidence():
    head = [b"Subject: same", b""]
    assert body_hash([*head, b"first copy"]) != body_hash([*head, b"other copy"])
    assert body_size([*head, b"first copy"]) == body_size([*head, b"other copy"])
