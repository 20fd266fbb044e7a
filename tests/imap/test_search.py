"""Server-side UID SEARCH and local full-text search both give store rows."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imap.helpers import account_for, engine_for, other_client, tmp_store
from tuimail.core.imap.search import SearchQuery, local_search, server_search
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store


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


def test_the_search_lines_prefixes_reach_the_server(mail_peer, tmp_path) -> None:
    """`body:word` (and from:, to:, subject:) on the search line mean the same on the
    server as in the store: a body never downloaded is found by `body:pineapple`, not
    searched for as the text "body:pineapple" (which found nothing)."""
    user = mail_peer.new_user()
    mail_peer.deliver(user, _mail(1, "alice@example.test", "Invoice", "The pineapple bill.", 1))
    mail_peer.deliver(user, _mail(2, "bob@example.test", "Pineapple", "No fruit here.", 2))
    mail_peer.deliver(user, _mail(3, "carol@example.test", "Sale", "Only 50% off (today).", 3))
    account = account_for(mail_peer, user)
    secret = Secret(user.password)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: secret,
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        service.start()

        def found(query: str) -> list[str]:
            source = service.search(query, account.name, "INBOX")
            return [row.subject for row in source.rows(0, source.count())]

        assert found("body:pineapple") == ["Invoice"]
        assert found("subject:pineapple") == ["Pineapple"]
        assert found("from:bob pineapple") == ["Pineapple"]
        assert found("to:team body:bill") == ["Invoice"]
        assert found('body:"(odd') == []
        # atom-specials in a word: sent quoted, not refused by the server as a bad atom
        assert found("body:50%") == ["Sale"]
        assert found("body:(today)") == ["Sale"]
        assert found("off*") == []
    finally:
        service.stop()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_search_line_becomes_well_formed_search_arguments(text: str) -> None:
    """Whatever is typed: keys are atoms, every value one quoted string (or 8-bit bytes
    imapclient sends as a literal), never a CR, LF or NUL that would end the command."""
    args = SearchQuery.from_words(text).wire_args()
    for arg in args:
        assert not any(c in arg for c in b"\r\n\x00")
        if arg.isascii() and arg not in (b"FROM", b"TO", b"CC", b"OR", b"SUBJECT"):
            if arg not in (b"BODY", b"TEXT", b"ALL"):
                assert arg.startswith(b'"') and arg.endswith(b'"') and len(arg) >= 2
                inner = arg[1:-1].replace(b"\\\\", b"").replace(b'\\"', b"")
                assert b'"' not in inner and b"\\" not in inner
