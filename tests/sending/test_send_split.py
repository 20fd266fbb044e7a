"""`tuimail send` reads a message without copying its body (a view of it, line ends made
CRLF only when some are not): the header fields and body are those the whole-copy
reading gave, for any mix of line ends and header shapes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.cli.send import _split


def _split_by_copies(raw: bytes) -> tuple[list[bytes], bytes]:
    """The reading before (every line end rewritten, the body copied out); a message of
    header fields only ends in no empty field."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep and raw.endswith(b"\r\n"):  # all header: its last line end is no field
        head = raw[:-2]
    if not sep and not re.match(rb"^[!-9;-~]+:", raw):
        head, body = b"", raw
    fields: list[bytes] = []
    for line in head.split(b"\r\n") if head else []:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields, body


PIECES = st.sampled_from(
    [b"Subject: a", b"To: b@x", b" folded", b"body", b"\r\n", b"\n", b"\r", b":", b""]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=12).map(b"".join))
def test_a_message_is_read_as_with_the_copies(raw: bytes) -> None:
    fields, body = _split(raw)
    assert (fields, bytes(body)) == _split_by_copies(raw)
