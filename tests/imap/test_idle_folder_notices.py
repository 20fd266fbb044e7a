"""Reading NOTIFY's LIST notifications (RFC 5465 MailboxName) about the watched folder.

They come from the server, so any shape must be read without an exception, and only a
notification naming the watched folder (or a folder above it) is taken as a move.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.imapclient import _parse_untagged_response as parse_untagged

from tuimail.core.imap.idle_folder import Moved, folder_moved


def _moved(line: bytes, folder: str = "Lists/py") -> Moved | None:
    return folder_moved(parse_untagged(line), folder, "/")


@pytest.mark.parametrize(
    ("line", "new_name"),
    [
        (b'* LIST () "/" Lists/python ("OLDNAME" (Lists/py))', "Lists/python"),
        (b'* LIST () "/" Old ("OLDNAME" ("Lists"))', "Old/py"),  # a parent renamed
        (b'* LIST () "." "A&AOk-" ("OLDNAME" ("Lists/py"))', "A\u00e9"),  # modified UTF-7
        (b'* LIST (\\NonExistent) "/" Lists/py', None),  # deleted
        (b'* LIST (\\NonExistent) "/" Lists', None),  # a parent deleted
    ],
)
def test_a_notice_naming_the_folder_is_a_move(line: bytes, new_name: str | None) -> None:
    moved = _moved(line)
    assert isinstance(moved, Moved)
    assert moved.new_name == new_name


@pytest.mark.parametrize(
    "line",
    [
        b'* LIST () "/" Other ("OLDNAME" (Elsewhere))',  # another folder
        b'* LIST () "/" Lists/pyx ("OLDNAME" (Lists/pyz))',
        b'* LIST () "/" Lists/py',  # created (or listed): not a move
        b'* LIST (\\NonExistent) "/" Lists/p',  # a prefix that is not a parent
        b"* 3 EXISTS",
        b'* LIST () "/" 2024 ("OLDNAME" (2023))',  # names of digits (read as numbers)
    ],
)
def test_other_notices_are_not_a_move(line: bytes) -> None:
    assert _moved(line) is None


def test_a_numeric_folder_name_is_read_as_a_name() -> None:
    moved = folder_moved(parse_untagged(b'* LIST () "/" 2024 ("OLDNAME" (2023))'), "2023", "/")
    assert moved is not None and moved.new_name == "2024"


_atoms = st.one_of(
    st.none(), st.integers(-5, 2**40), st.binary(max_size=12), st.sampled_from([b"LIST"])
)
_items = st.recursive(
    _atoms, lambda inner: st.tuples(inner, inner) | st.tuples(inner), max_leaves=8
)


@given(st.lists(_items, max_size=6).map(tuple))
def test_any_parsed_response_is_read_without_an_exception(response: tuple) -> None:
    result = folder_moved((b"LIST", *response), "Lists/py", "/")
    assert result is None or isinstance(result, Moved)
