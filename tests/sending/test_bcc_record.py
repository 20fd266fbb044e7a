"""The Sent copy's Bcc field: who got the message without being named in it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.mime.bcc_record import hidden_recipients, with_bcc


def test_only_recipients_the_header_does_not_name_are_added() -> None:
    raw = b"To: A <a@x.test>\r\nCc: b@x.test\r\nSubject: s\r\n\r\nBcc: not a header\r\n"
    out = with_bcc(raw, ["a@x.test", "B@X.test", "c@x.test", "c@x.test"])
    assert out == (
        b"To: A <a@x.test>\r\nCc: b@x.test\r\nSubject: s\r\nBcc: c@x.test\r\n"
        b"\r\nBcc: not a header\r\n"
    )
    assert with_bcc(raw, ["a@x.test"]) == raw  # nobody hidden: unchanged
    resent = b"To: a@x.test\nResent-To: r@x.test\n\nbody\n"  # being re-sent: Resent-* count
    assert hidden_recipients(resent, ["r@x.test", "a@x.test"]) == ["a@x.test"]


@given(raw=st.binary(max_size=300), recipients=st.lists(st.emails(), max_size=4))
def test_any_message_keeps_its_bytes_and_gains_at_most_one_field(raw, recipients) -> None:
    """Whatever `tuimail send` was given: the copy is the message plus one Bcc line."""
    out = with_bcc(raw, recipients)
    if out == raw:
        return
    eol = b"\r\n" if b"\r\n" in raw else b"\n"
    line = b"Bcc: " + ", ".join(hidden_recipients(raw, recipients)).encode() + eol
    assert out.count(line) == raw.count(line) + 1
    assert out.replace(line, b"", 1) in (raw, raw + eol)
