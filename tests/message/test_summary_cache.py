"""Repeated header values are parsed once (issue 19), and a cached answer is exactly the
answer the parser gives: for any From/To/Cc/Subject bytes, the summary is the same with
the caches cold, warm, or after a caller changed a list it was given."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.mime import summarize
from tuimail.core.mime import summary as summary_module
from tuimail.core.mime.headers import decode_header_value, parse_addresses, parse_header_fields
from tuimail.core.sanitize import sanitize

# Header values as they come: printable ASCII with encoded words, quotes, commas and
# angle brackets, plus some raw 8-bit bytes.
_pieces = st.sampled_from(
    [b"=?utf-8?q?J=C3=B6rg?=", b"=?iso-8859-1?b?Y2Fm6Q==?=", b'"Doe, J"', b"<a@b.c>", b",",
     b" ", b"x@y.z", b"caf\xc3\xa9", b"Ren\xe9", b"(comment)", b"=?", b"?="]
)  # fmt: skip
_values = st.lists(
    st.one_of(
        _pieces,
        st.binary(min_size=1, max_size=6).filter(lambda b: b"\n" not in b and b"\r" not in b),
    ),
    min_size=1,
    max_size=12,
).map(b"".join)


def _uncached(raw_from: bytes, raw_to: bytes, raw_subject: bytes) -> tuple:
    froms = parse_addresses(raw_from)
    return (
        froms[0] if froms else ("", ""),
        [(sanitize(n), sanitize(a)) for n, a in parse_addresses(raw_to)[:500]],
        sanitize(decode_header_value(raw_subject))[:2000],
    )


def _header(raw_from: bytes, raw_to: bytes, raw_subject: bytes) -> bytes:
    return b"From: %s\r\nTo: %s\r\nCc: %s\r\nSubject: %s\r\n\r\n" % (
        raw_from,
        raw_to,
        raw_to,
        raw_subject,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values, _values, _values)
def test_cached_summary_is_the_parsers_answer(raw_from, raw_to, raw_subject) -> None:
    header = _header(raw_from, raw_to, raw_subject)
    first = summarize(header)  # may fill the caches
    again = summarize(header)  # from the caches
    assert first == again
    expected_from, expected_to, expected_subject = _uncached(
        first_field(header, b"from"), first_field(header, b"to"), first_field(header, b"subject")
    )
    assert (again.from_name, again.from_addr) == (
        sanitize(expected_from[0])[:500],
        sanitize(expected_from[1])[:500],
    )
    assert again.to == expected_to == again.cc
    assert again.subject == expected_subject


def first_field(header: bytes, name: bytes) -> bytes:
    return dict(parse_header_fields(header))[name.decode()]


def test_a_caller_changing_its_list_does_not_change_the_next_answer() -> None:
    header = _header(b"=?utf-8?q?J=C3=B6rg?= <j@x.test>", b"A <a@x.test>, B <b@x.test>", b"Hi")
    first = summarize(header)
    first.to.append(("Intruder", "i@x.test"))
    first.cc.clear()
    second = summarize(header)
    assert second.to == [("A", "a@x.test"), ("B", "b@x.test")] == second.cc


def test_long_values_are_not_kept_in_the_cache() -> None:
    long_to = b", ".join(b"P%d <p%d@x.test>" % (i, i) for i in range(200))
    assert len(long_to) >= summary_module._CACHE_BELOW
    summary_module._cached_pairs.cache_clear()
    assert len(summarize(_header(b"a@x.test", long_to, b"s")).to) == 200
    assert summary_module._cached_pairs.cache_info().currsize == 0  # To and Cc: too long
    summarize(_header(b"a@x.test", b"short@x.test", b"s"))
    assert summary_module._cached_pairs.cache_info().currsize == 1  # a short one is kept


_names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_names, _names), max_size=25))
def test_remembered_address_lists_read_as_joined_afresh(pairs) -> None:
    from tuimail.core.store import headers

    expected = headers._join_uncached(pairs)
    assert headers._join(pairs) == expected
    assert headers._join(list(pairs)) == expected  # the second time from the cache
