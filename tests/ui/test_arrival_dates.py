"""The list marks a date that is the message's arrival, not its Date header (none, or one
far after it arrived): "~" before it; the reader shows the header as it is and says why
(tuimail.core.date_notes)."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import NOW, seed, settle, started, wait_for
from tuimail.ui.widgets.message_list import MessageList, _date
from tuimail.ui.widgets.reader import ReaderPane

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
UNDATED = b"From: a@example.test\r\nSubject: Undated note\r\n\r\nNo date here.\r\n"


def _lines(app) -> list[str]:
    lst = app.main.query_one(MessageList)
    return ["".join(s.text for s in lst.render_line(y)) for y in range(lst.count)]


def _reader_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.main.query_one(ReaderPane).children)


async def test_an_arrival_date_is_marked_and_the_reader_says_why(mail_server) -> None:
    user = mail_server.new_user()
    seed(mail_server, user, 1)  # dated 2026-03-02: the list's "today"
    mail_server.deliver(user, UNDATED)
    mail_server.deliver(
        user, (CORPUS / "rubymail-plain_emails_raw_email_bad_time.eml").read_bytes()
    )
    async with started(mail_server, 0, user=user) as (pilot, app, _user, _notes):
        lines = _lines(app)
        assert len(lines) == 3, lines
        undated = next(i for i, line in enumerate(lines) if "Undated note" in line)
        future = next(i for i, line in enumerate(lines) if "XXXXXXX" in line)  # the 3609 one
        dated = next(i for i, line in enumerate(lines) if "Lunch" in line)
        lst = app.main.query_one(MessageList)
        arrived = lst.row_at(undated).date  # the day the undated one arrived (any day)
        assert arrived is not None and lst.row_at(undated).arrival
        marked = _date(arrived, NOW, arrival=True)  # "~" and that day, as the list writes it
        assert marked.startswith("~") and marked in lines[undated], (marked, lines)
        assert marked not in lines[dated] and " 02:30 " in lines[dated], lines
        for i in (undated, future):  # arrived today (the server's clock): "~" and the day
            assert "~" in lines[i][:12] and "(!)" not in lines[i], lines[i]
        app.main.query_one(MessageList).move_cursor(future)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "3609" in _reader_text(app), timeout=15)  # as written
        assert "more than a day after it arrived" in _reader_text(app)
