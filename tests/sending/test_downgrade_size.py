"""Writing a huge UTF-8 header block in ASCII takes time linear in its size.

The stdlib's header parser is quadratic in the length of the value it is given (it hands
the rest along as a new string at every token): one To field of 1.2 MB of UTF-8
addresses took minutes to downgrade (~22 s at 0.48 MB, measured). Fields are now split
into their entries first, simple entries read without the parser, and long text encoded
without re-measuring the line at each character. These tests run under a time limit the
old code could not meet, without asserting on elapsed time.
"""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.mime.address_list import split_entries
from tuimail.core.mime.headers import decode_rfc2047
from tuimail.core.mime.utf8_headers import downgrade


def _head(raw: bytes) -> bytes:
    return raw.partition(b"\r\n\r\n")[0]


@pytest.mark.timeout(60)
def test_a_megabyte_of_utf8_addresses_is_downgraded_with_every_address() -> None:
    count = 40_000  # 1.2 MB of To
    to = ", ".join(f"Jörg {i} <jörg{i}@example.org>" for i in range(count))
    out = downgrade(f"To: {to}\r\nSubject: hi\r\n\r\nbody\r\n".encode())
    head = _head(out)
    assert head.isascii() and out.endswith(b"\r\n\r\nbody\r\n")
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
    shown = decode_rfc2047(re.sub(r"\r\n[ \t]", " ", head.decode()))
    assert all(f"<jörg{i}@example.org>" in shown for i in (0, 1, count // 2, count - 1))
    assert shown.count("@example.org>") == count  # nobody left out


@pytest.mark.timeout(60)
def test_ten_megabytes_of_hostile_header_fields_end() -> None:
    """An unbalanced quote, one huge group, one huge name, a huge folded Subject and a
    huge parameter: each written as text or as it can be, in linear time."""
    mb = 2_000_000
    fields = [
        'To: "ü, ' + "a@b.example, " * (mb // 13),
        "Cc: Team: " + ", ".join(f"jörg{i}@example.org" for i in range(mb // 20)) + ";",
        'Reply-To: "' + "ü" * (mb // 2) + '" <a@example.org>',
        "Subject: ü" + "\r\n x" * (mb // 4),
        'Content-Type: text/plain; name="' + "ü" * (mb // 2) + '"',
    ]
    raw = ("\r\n".join(fields) + "\r\n\r\nbody\r\n").encode()
    assert len(raw) > 10_000_000
    out = downgrade(raw)
    assert _head(out).isascii() and out.endswith(b"\r\n\r\nbody\r\n")


def test_a_long_subject_reads_back_as_written() -> None:
    """Beyond the size Header's encoder is used for, base64 words cut at character
    boundaries: the reader gets exactly the text (emoji, accents and spaces)."""
    subject = "Grüße € \U0001f600 x " * 2_000
    out = downgrade(f"Subject: {subject}\r\n\r\nb\r\n".encode())
    assert _head(out).isascii()
    got = BytesParser(policy=policy.default).parsebytes(out)
    assert str(got["Subject"]) == subject.strip()


@given(st.lists(st.sampled_from(['"', "\\", "(", ")", "<", ">", ",", ":", ";", "a", " ", "@"])))
def test_address_list_entries_are_whole_and_in_order(parts: list[str]) -> None:
    """Each entry is a piece of the value, in order, that splits no further (no comma
    outside quotes, comments, brackets or a group); an unbalanced value gives None."""
    value = "".join(parts)
    entries = split_entries(value)
    if entries is None:
        return
    position = 0
    for entry in entries:
        found = value.find(entry, position)
        assert found >= 0 and entry.strip()
        position = found + len(entry)
        assert split_entries(entry) == [entry]


def test_no_downgraded_line_is_longer_than_998_characters() -> None:
    """A long ASCII name beside an address that needs rewriting (an IDNA domain) is
    folded in encoded words: RFC 5322's limit holds and the address is kept."""
    raw = ('To: "' + "a" * 3000 + '" <bob@bücher.example>, jörg@x.org\r\n\r\nb\r\n').encode()
    out = downgrade(raw)
    assert max(len(line) for line in _head(out).split(b"\r\n")) <= 998
    got = BytesParser(policy=policy.default).parsebytes(out)
    assert got["To"].addresses[0].addr_spec == "bob@xn--bcher-kva.example"
