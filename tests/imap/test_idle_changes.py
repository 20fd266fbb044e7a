"""Reading IDLE's untagged responses (imapclient's parsed form) into changes to apply:
the shapes Dovecot and the bundled server send, and anything else a server may send
either read or refused as a protocol violation, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.errors import ProtocolViolation
from tuimail.core.imap.idle_changes import IdleChanges


def _read(*responses) -> IdleChanges:
    changes = IdleChanges()
    changes.read(list(responses))
    return changes


def test_what_dovecot_sends_during_idle() -> None:
    """Recorded from Dovecot 2.3 with QRESYNC enabled: two flags set, one expunge, a new
    message (in this order), and the new HIGHESTMODSEQ."""
    changes = _read(
        (1, b"FETCH", (b"UID", 1, b"MODSEQ", (7,), b"FLAGS", (b"\\Flagged", b"\\Recent"))),
        (2, b"FETCH", (b"UID", 2, b"MODSEQ", (7,), b"FLAGS", (b"\\Flagged",))),
        (b"VANISHED", 3),
        (5, b"EXISTS"),
        (4, b"RECENT"),
        (b"OK", b"[HIGHESTMODSEQ 10] Highest"),
    )
    assert changes.changed
    assert changes.flags == {1: (("\\Flagged", "\\Recent"), 7), 2: (("\\Flagged",), 7)}
    assert changes.vanished == [(3, 3)]
    assert (changes.exists, changes.highestmodseq, changes.expunges) == (5, 10, 0)
    assert changes.count_after(5) == 5  # EXISTS came after the VANISHED


def test_the_count_follows_the_order_of_the_responses() -> None:
    assert _read((b"VANISHED", b"2:4,9")).count_after(10) == 6
    assert _read((b"VANISHED", (b"EARLIER",), b"2:4")).count_after(10) == 10  # not a change
    assert _read((11, b"EXISTS"), (3, b"EXPUNGE")).count_after(10) == 10
    assert _read((3, b"EXPUNGE"), (11, b"EXISTS")).count_after(10) == 11
    assert _read((3, b"EXPUNGE")).expunges == 1


def test_more_gone_than_the_folder_held_is_impossible() -> None:
    assert _read((b"VANISHED", b"1:6"), (9, b"EXISTS")).impossible(5)
    assert not _read((b"VANISHED", b"1:5"), (9, b"EXISTS")).impossible(5)
    assert _read((3, b"EXPUNGE"), (3, b"EXPUNGE")).impossible(1)


def test_nothing_to_apply_is_not_a_change() -> None:
    changes = _read((b"OK", b"Still here"), (3, b"RECENT"), (1, b"FETCH", (b"UID", 4)))
    assert not changes.changed


def test_a_flag_update_without_uid_is_counted_not_guessed() -> None:
    changes = _read((3, b"FETCH", (b"FLAGS", (b"\\Seen",))))
    assert changes.changed and changes.flags == {} and changes.unnamed_fetches == 1


def test_a_huge_vanished_range_is_kept_as_a_range() -> None:
    changes = _read((b"VANISHED", b"1:4294967295"))
    assert changes.vanished == [(1, 4294967295)]


@pytest.mark.parametrize(
    "response",
    [
        (1, b"FETCH", (b"UID", b"banana", b"FLAGS", (b"\\Seen",))),
        (1, b"FETCH", (b"UID", 0, b"FLAGS", (b"\\Seen",))),
        (1, b"FETCH", (b"UID", 5, b"FLAGS", b"\\Seen")),
        (1, b"FETCH", (b"UID", 5, b"FLAGS")),
        (1, b"FETCH", (b"UID", 5, b"FLAGS", (), b"MODSEQ", (b"x",))),
        (b"VANISHED", b"1:x"),
        (b"VANISHED",),
        (4294967296, b"EXISTS"),
        (b"OK", b"[HIGHESTMODSEQ abc] no"),
    ],
)
def test_unreadable_updates_are_protocol_violations(response) -> None:
    with pytest.raises(ProtocolViolation):
        _read(response)


_atoms = st.one_of(
    st.integers(min_value=-5, max_value=2**33),
    st.binary(max_size=12),
    st.sampled_from([b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"OK", b"UID", b"FLAGS"]),
    st.sampled_from([b"MODSEQ", b"EARLIER", b"[HIGHESTMODSEQ 5] x", b"1:3,7", b"\\Seen"]),
    st.none(),
)
_values = st.recursive(_atoms, lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=8)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_values, max_size=4).map(tuple), max_size=6))
def test_any_parsed_response_is_read_or_refused(responses) -> None:
    changes = IdleChanges()
    try:
        changes.read(responses)
    except ProtocolViolation:
        return
    count = changes.count_after(100)
    assert isinstance(count, int)
    assert all(0 < low <= high for low, high in changes.vanished)
