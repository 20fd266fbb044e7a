"""mailto: links (RFC 6068) start the composer with what they say and nothing else: no
header can be injected, no other header set."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.mailto import MailtoError, parse_mailto
from tuimail.words.compose import mailto_words


def test_rfc6068_examples() -> None:
    start = parse_mailto("mailto:chris@example.com,bob@example.org?subject=current-issue")
    assert start.to == ["chris@example.com", "bob@example.org"]
    assert start.subject == "current-issue"
    start = parse_mailto("mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index")
    assert start.body == "send current-issue\nsend index"
    start = parse_mailto("mailto:?to=joe@example.com&cc=bob@example.com&body=hello")
    assert start.to == ["joe@example.com"] and start.cc == ["bob@example.com"]
    start = parse_mailto("mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E")
    assert start.in_reply_to == "<3469A91.D10AF4C@example.com>"
    start = parse_mailto("mailto:%22not%40me%22@example.org")
    assert start.to == ['"not@me"@example.org']


def test_no_header_injection_and_no_other_header() -> None:
    start = parse_mailto(
        "mailto:a@example.org?subject=hi%0D%0ABcc:%20evil@example.net"
        "&from=boss@example.org&reply-to=x@evil.example&X-Mailer=x&bcc=b@example.org"
    )
    assert "\n" not in start.subject and "\r" not in start.subject
    assert start.subject == "hi Bcc: evil@example.net"
    assert start.bcc == ["b@example.org"]
    assert start.ignored == ["from", "reply-to", "x-mailer"]


def test_not_mailto_and_absurd_sizes() -> None:
    with pytest.raises(MailtoError) as info:
        parse_mailto("https://example.org")
    assert mailto_words(info.value) == "not a mailto: link"  # data in core, words here
    with pytest.raises(MailtoError) as info:
        parse_mailto("mailto:" + "a" * 70_000)
    assert (info.value.problem, mailto_words(info.value)) == (
        "too-long",
        "the mailto: link is too long",
    )
    start = parse_mailto("mailto:" + ",".join(f"u{i}@example.org" for i in range(500)))
    assert len(start.to) == 100


@given(st.text(max_size=300))
def test_any_link_gives_single_line_headers(text: str) -> None:
    try:
        start = parse_mailto("mailto:" + text)
    except ValueError:
        return
    for value in [*start.to, *start.cc, *start.bcc, start.subject, start.in_reply_to or ""]:
        assert "\n" not in value and "\r" not in value and "\x1b" not in value
    assert "\x1b" not in start.body
