"""Server-side UID SEARCH and local full-text search both give store rows."""

from __future__ import annotations

from datetime import date

from tests.imap.helpers import engine_for, other_client, tmp_store
from tuimail.core.imap.search import SearchQuery, local_search, server_search


def _mail(i: int, sender: str, subject: str, body: str, day: int) -> bytes:
    return (
        f"From: {sender}\r\nTo: team@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <s{i}@example.test>\r\nDate: {day:02d} Mar 2024 09:00:00 +0000\r\n"
        f"\r\n{body}\r\n"
    ).encode()


def test_server_and_local_search(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    from datetime import datetime

    mails = [
        (
            _mail(1, "alice@example.test", "Invoice March", "Please pay the pineapple invoice.", 1),
            [b"\\Seen"],
            1,
        ),
        (_mail(2, "bob@example.test", "Lunch", "Pizza at noon?", 5), [], 5),
        (
            _mail(3, "alice@example.test", "Re: Lunch", "Yes, pizza.", 9),
            [b"\\Flagged", b"\\Seen"],
            9,
        ),
    ]
    for raw, flags, day in mails:
        other.append("INBOX", raw, flags=flags, msg_time=datetime(2024, 3, day, 9, 0))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    # The store is still empty: server search fetches what it finds.
    rows = server_search(engine, "INBOX", SearchQuery(from_="alice"))
    assert [r.subject for r in rows] == ["Re: Lunch", "Invoice March"]
    assert [r.subject for r in server_search(engine, "INBOX", SearchQuery(body="pineapple"))] == [
        "Invoice March"
    ]
    assert [
        r.subject for r in server_search(engine, "INBOX", SearchQuery(subject="lunch", unread=True))
    ] == ["Lunch"]
    assert [r.subject for r in server_search(engine, "INBOX", SearchQuery(flagged=True))] == [
        "Re: Lunch"
    ]
    assert [
        r.subject
        for r in server_search(
            engine, "INBOX", SearchQuery(to="team", since=date(2024, 3, 4), before=date(2024, 3, 8))
        )
    ] == ["Lunch"]
    assert server_search(engine, "INBOX", SearchQuery(from_="nobody-here")) == []
    engine.sync()
    assert [r.subject for r in local_search(store, "lunch", account="test")] == [
        "Re: Lunch",
        "Lunch",
    ]
    assert local_search(store, "pineapple") == []  # body not cached yet
    engine.fetch_body(rows[1].id)
    assert [r.subject for r in local_search(store, "pineapple")] == ["Invoice March"]
    engine.close()
    other.logout()
