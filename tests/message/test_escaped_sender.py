"""A sender whose name holds a terminal escape (`ESC ] 0 ; x BEL <a@b>`, a title-setting
sequence) or other characters the address parser takes for separators (`]`, `;`, an
unquoted comma) is listed with its whole name, the controls shown as visible markers
(␛, ␇), and its address: the parser cut such a name into pieces and the list showed the
first one, "␛", as the sender."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.mime.headers import parse_addresses
from tuimail.core.sanitize import is_safe
from tuimail.core.store.headers import summarize_header, summarize_header_full

# Display names of readable text mixed with controls and the parser's separators; no
# angle brackets, quotes, comments, colons (a group), "@" or "=?" (each has a meaning).
_NAME = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0x20) if c not in (0x0A, 0x0D)]
        + ["\x7f", " ", "]", "[", ";", ",", ".", "x", "Z", "7", "é", "ß"]
    ),
    min_size=1,
    max_size=24,
).filter(lambda name: any(c.isalnum() for c in name))


def _readable(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def test_a_title_escape_in_the_name_keeps_the_name_and_address_visible() -> None:
    raw = b"From: \x1b]0;x\x07 <a@b.example>\r\nSubject: s\r\n\r\n"
    for summary in (summarize_header(raw), summarize_header_full(raw)):
        assert (summary.from_name, summary.from_addr) == ("\u241b]0;x\u2407", "a@b.example")


def test_a_list_with_a_bare_address_first_is_still_two_recipients() -> None:
    assert parse_addresses("a@b.example, <c@d.example>") == [
        ("", "a@b.example"),
        ("", "c@d.example"),
    ]


@settings(max_examples=150, deadline=None)
@given(_NAME)
def test_a_sender_name_keeps_its_readable_parts_and_its_address(name: str) -> None:
    raw = b"From: " + name.encode() + b" <someone@mail.example>\r\nSubject: s\r\n\r\n"
    for summary in (summarize_header(raw), summarize_header_full(raw)):
        assert summary.from_addr == "someone@mail.example"
        assert _readable(summary.from_name) == _readable(name)
        assert is_safe(summary.from_name) and "\x1b" not in summary.from_name
