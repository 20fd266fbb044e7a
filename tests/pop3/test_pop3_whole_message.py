"""A downloaded message is read straight into one buffer (no list of a line each): it
must be stored exactly as the lines poplib's RETR gives, CRLF-joined with a final CRLF
(dot-stuffed lines, lines that look like the end, bare LF line ends, a message without
a final line end), and its body evidence must be that of those lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pop3.helpers import message, pop3_account, pop3_session, stored
from tuimail.core.pop3 import fetch
from tuimail.core.pop3_keys import (
    body_hash,
    body_size,
    header_lines,
    raw_evidence,
    raw_header_lines,
    raw_lines,
)

ODD = (
    b".starts with a dot\r\n..two dots\r\n.\r\n \r\nbare LF\nend\r\n\r\n\r\n"
    + b"x" * 1500
    + b"\r\nno final line end"
)


def test_a_message_is_stored_as_retr_gives_its_lines(mail_server, state) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, ODD))
    mail_server.deliver(user, message(2))
    with pop3_session(mail_server, user) as conn:
        expected = sorted(b"\r\n".join(conn.retr(n)[1]) + b"\r\n" for n in (1, 2))
    store_state, clock = state
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 2
    assert stored(store_state) == expected


PIECES = st.sampled_from([b"\r\n", b"a", b" ", b"\r", b"\n", b"\t", b"x\r\n", b"\r\n\r\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=16).map(b"".join))
def test_the_evidence_read_in_place_is_that_of_the_lines(raw: bytes) -> None:
    lines = raw_lines(raw)
    assert raw_evidence(raw) == (body_hash(lines), body_size(lines))
    assert raw_header_lines(raw) == header_lines(raw.split(b"\r\n"))
