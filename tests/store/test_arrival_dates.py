"""A message without a readable Date header, or with one far after it arrived (a corpus
message says year 3609), is listed and sorted by when it arrived, and says so: its note
(the reader's sentence) and a marked date in the list (MessageRow.arrival). mutt and aerc
show such a message's arrival time unmarked; 3609 sorted first in date order for ever."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tuimail.core.date_notes import NOTE_FUTURE_DATE, NOTE_NO_DATE
from tuimail.core.facade.sources import view_row
from tuimail.core.store import NewMessage, Store

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
ARRIVED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).timestamp()
DAY = 86_400.0


def _header(subject: str, date: str | None) -> bytes:
    dated = f"Date: {date}\r\n" if date else ""
    return f"From: a@example.test\r\nSubject: {subject}\r\n{dated}".encode()


def _store(tmp_path: Path, messages: list[tuple[bytes, float]]) -> tuple[Store, int]:
    store = Store(tmp_path / "mail.db")
    inbox = store.upsert_folder("a", "INBOX", role="inbox")
    new = [NewMessage(uid, (), head, 100, at) for uid, (head, at) in enumerate(messages, 1)]
    store.add_messages(inbox, new)
    return store, inbox


def test_no_date_header_lists_the_arrival_and_says_so(tmp_path: Path) -> None:
    store, inbox = _store(tmp_path, [(_header("undated", None), ARRIVED)])
    (row,) = store.message_rows(inbox)
    assert (row.date, row.note) == (ARRIVED, NOTE_NO_DATE)
    shown = view_row(row)
    assert shown.arrival and shown.subject == "undated"  # the date is marked, not the subject
    store.close()


def test_a_date_far_after_the_arrival_sorts_by_the_arrival(tmp_path: Path) -> None:
    bad_time = (CORPUS / "rubymail-plain_emails_raw_email_bad_time.eml").read_bytes()
    header = bad_time.split(b"\n\n", 1)[0]
    assert b"3609" in header
    store, inbox = _store(
        tmp_path,
        [
            (_header("newest", "Sun, 01 Mar 2026 18:00:00 +0000"), ARRIVED + DAY / 2),
            (header, ARRIVED),  # arrived in the morning
            (_header("older", "Sat, 28 Feb 2026 10:00:00 +0000"), ARRIVED - DAY),
        ],
    )
    rows = store.message_rows(inbox, sort="date")
    assert [r.uid for r in rows] == [1, 2, 3]  # not first: by when it arrived
    assert (rows[1].date, rows[1].note) == (ARRIVED, NOTE_FUTURE_DATE)
    assert view_row(rows[1]).arrival
    assert not view_row(rows[0]).arrival and rows[0].note == ""
    store.close()


def test_a_date_hours_ahead_of_the_arrival_is_kept(tmp_path: Path) -> None:
    """A skewed clock or a wrong time zone: within a day, the header's date is listed."""
    ahead = datetime.fromtimestamp(ARRIVED + DAY - 60, UTC)
    date = ahead.strftime("%a, %d %b %Y %H:%M:%S +0000")
    store, inbox = _store(tmp_path, [(_header("ahead", date), ARRIVED)])
    (row,) = store.message_rows(inbox)
    assert (row.date, row.note) == (ARRIVED + DAY - 60, "")
    assert not view_row(row).arrival
    store.close()
