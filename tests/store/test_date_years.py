"""A Date header's year is the year as written: an impossible one (0000, 0099, 10000) is
an unknown date everywhere (the list, the reply's attribution), never a plausible wrong
one. The standard library reads every year below 100 as two digits: "0000" became 2000."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from tuimail.core.account import Account, ServerSettings
from tuimail.core.compose import reply
from tuimail.core.mime.headers import parse_date
from tuimail.core.store.headers import summarize_header, summarize_header_full

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIRST, LAST = 1970, 9999  # the store's dates (DATE_RANGE)


def _headers(date: str) -> tuple[bytes, bytes]:
    """The same Date in a plain header block (the fast route) and in one with an encoded
    subject and a quoted name (the full parser's route)."""
    plain = f"From: a@example.test\r\nSubject: x\r\nDate: {date}\r\n\r\n".encode()
    full = f'From: "A, B" <a@example.test>\r\nSubject: =?utf-8?q?x?=\r\nDate: {date}\r\n\r\n'
    return plain, full.encode()


def _year(epoch: float | None) -> int | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).year


def test_year_0000_is_an_unknown_date_in_the_list() -> None:
    for date in ("Mon, 1 Jan 0000 10:00:00 +0000", "1 Jan 0000 10:00 GMT", "Sat Jan 1 0000"):
        plain, full = _headers(date)
        assert parse_date(date) is None, date
        assert summarize_header(plain).date is None, date
        assert summarize_header(full).date is None, date
        assert summarize_header_full(plain).date is None, date


def test_a_reply_to_a_message_of_year_0000_quotes_its_date_as_written() -> None:
    original = (  # bytes: an EmailMessage would rewrite the Date as 2000 itself
        b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: old\r\n"
        b"Date: Mon, 1 Jan 0000 10:00:00 +0000\r\n\r\nhello\r\n"
    )
    here = ServerSettings("127.0.0.1", 9, "tls")
    me = Account(name="me", email="bob@example.test", incoming=here, outgoing=here)
    draft = reply(original, me)
    assert "On Mon, 1 Jan 0000 10:00:00 +0000, Alice <alice@example.test> wrote:" in draft.body
    assert "2000" not in draft.body


@given(
    day=st.integers(1, 28),
    month=st.sampled_from(MONTHS),
    year=st.integers(0, 10999),
    width=st.sampled_from((3, 4, 5)),
    weekday=st.sampled_from(("", "Mon, ", "Thu,")),
    zone=st.sampled_from(("+0000", "-0500", "GMT", "", "+0000 (UTC)")),
)
@example(day=1, month="Jan", year=0, width=4, weekday="Mon, ", zone="+0000")
@example(day=1, month="Jan", year=99, width=4, weekday="", zone="+0000")
@example(day=1, month="Jan", year=69, width=3, weekday="", zone="GMT")
@example(day=1, month="Jan", year=2024, width=4, weekday="Mon, ", zone="+0000")
def test_a_year_written_in_full_is_that_year_or_unknown(day, month, year, width, weekday, zone):
    """Three digits are 1900 plus them (RFC 5322 4.3); four or more, the year itself. The
    fast route, the full parser and parse_date agree; none makes another year of it."""
    written = f"{year:0{width}d}"
    date = f"{weekday}{day} {month} {written} 10:00:00 {zone}".strip()
    meant = year + 1900 if len(written) == 3 else year
    parsed = parse_date(date)
    assert parsed is None or parsed.year == meant, (date, parsed)
    plain, full = _headers(date)
    dates = {summarize_header(plain).date, summarize_header(full).date}
    assert len(dates) == 1, (date, dates)
    (epoch,) = dates
    stored = _year(epoch)
    # a zone may move the instant over New Year's Eve, never further
    assert stored is None or abs(stored - meant) <= 1, (date, stored)
    if FIRST < meant < LAST and parsed is not None:
        assert stored is not None, date
    if meant < FIRST - 1 or meant > LAST + 1:
        assert stored is None, (date, stored)
