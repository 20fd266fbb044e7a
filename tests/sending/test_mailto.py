"""mailto: links (RFC 6068) start the composer with what they say and nothing else: no
header can be injected, no other header set."""

from __future__ import annotations

from email.utils import formataddr, getaddresses
from urllib.parse import quote

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


def test_a_quoted_comma_stays_inside_its_address() -> None:
    start = parse_mailto(
        "mailto:?to=%22Doe,%20John%22%20%3Cj@example.org%3E,ann@example.org"
        "&cc=%22Roe,%20R.%22%20%3Cr@example.org%3E"
    )
    assert start.to == ['"Doe, John" <j@example.org>', "ann@example.org"]
    assert start.cc == ['"Roe, R." <r@example.org>']
    assert parse_mailto('mailto:"not,me"@example.org').to == ['"not,me"@example.org']


# Display names full of what separates, quotes and groups addresses.
NAMES = st.text(
    st.sampled_from(list(',";:<>()\\@ ')) | st.characters(min_codepoint=32, max_codepoint=0x24F),
    max_size=20,
)


@given(
    st.lists(
        st.tuples(NAMES, st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.org", fullmatch=True)),
        min_size=1,
        max_size=6,
    )
)
def test_every_address_of_a_list_comes_back(people: list[tuple[str, str]]) -> None:
    value = ", ".join(formataddr((name.strip(), addr)) for name, addr in people)
    start = parse_mailto("mailto:?to=" + quote(value, safe=""))
    assert [addr for _, addr in getaddresses(start.to)] == [addr for _, addr in people]
    assert len(start.to) == len(people)
