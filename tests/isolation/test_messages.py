"""One message never empties a folder: each hostile message is stored (with a note when it
could not be read whole) and every ordinary message beside it syncs, end to end over the
bundled IMAP server."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imap.helpers import account_for, engine_for, message, tmp_store
from tests.isolation import hostile_mail
from tests.isolation.helpers import save_for_cli
from tuimail.__main__ import main
from tuimail.core.store import NewMessage
from tuimail.core.store.headers import LIMITS, summarize_header
from tuimail.core.store.store import MAX_SIZE, NOTE_SIZE

pytestmark = pytest.mark.timeout(300)


def _folder_of_mail(mail_server, user, bad: list[bytes]) -> None:
    for i in range(1, 4):
        mail_server.deliver(user, message(i, "ordinary"))
    for raw in bad:
        mail_server.deliver(user, raw)
    for i in range(4, 7):
        mail_server.deliver(user, message(i, "ordinary"))


def test_every_hostile_message_is_stored_and_its_neighbours_sync(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(
        protocol="imap", kind="odd_size", match="<absurd-size@", data=b"18446744073709551616"
    )
    bad = [
        hostile_mail.utf8_addresses(),
        hostile_mail.absurd_size(),
        hostile_mail.nested(1000),
        hostile_mail.huge_header(),
    ]
    _folder_of_mail(mail_server, user, bad)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    try:
        result = engine.sync(["INBOX"])
    finally:
        engine.close()
    assert result.failures == []
    rows = {r.message_id: r for r in store.message_rows(store.folder_id("test", "INBOX"), 0, 100)}
    assert len(rows) == 10
    ordinary = [r for r in rows.values() if r.subject.startswith("ordinary")]
    assert len(ordinary) == 6 and all(r.note == "" for r in ordinary)

    utf8 = next(r for r in rows.values() if "danglüe@email.com" in r.to_addrs)
    assert "Dänglüe Ünïcode <danglüe@email.com>" in utf8.to_addrs and utf8.note == ""

    big = rows["<absurd-size@example.test>"]
    assert big.size == MAX_SIZE and big.note == NOTE_SIZE
    assert store.raw_header(big.id) is not None  # kept as received

    deep = rows["<nested@example.test>"]
    assert deep.subject == "nested deep"

    huge = rows["<huge@example.test>"]
    assert huge.subject.startswith("huge xxx") and len(huge.subject) == LIMITS["subject"]
    assert huge.note  # shown shortened, and said so


def test_list_shows_the_notes_and_never_a_huge_subject(mail_server, capsys) -> None:
    """A 2 MB Subject is over every bound a header meets (the 256 KB header block, the
    1 MB raw header, the column's 2000 characters) like the 10 MB one above, whose sync
    shows that even that size is cut: here the list and read commands show the cut."""
    user = mail_server.new_user()
    mail_server.faults.add(
        protocol="imap", kind="odd_size", match="<absurd-size@", data=b"99999999999999999999999"
    )
    huge = hostile_mail.huge_header(2 << 20)
    _folder_of_mail(mail_server, user, [huge, hostile_mail.absurd_size()])
    save_for_cli(account_for(mail_server, user, name="work"), user.password)
    assert main(["sync", "work"]) == 0
    capsys.readouterr()
    assert main(["list", "work"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 8, out[:2000]
    assert all(len(line) < 400 for line in lines)
    assert sum("ordinary" in line for line in lines) == 6
    assert any("huge xxx" in line and "shortened" in line for line in lines)
    absurd = next(line for line in lines if "absurd size" in line)
    assert "impossible size" in absurd
    assert main(["read", absurd.split()[0], "--account", "work"]) == 0
    assert "Note: the server reported an impossible size" in capsys.readouterr().out
    assert main(["read", absurd.split()[0], "--account", "work", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["note_kind"] == "impossible-size"  # the store keeps the kind, not words
    assert shown["note"] == "the server reported an impossible size for this message"


def test_a_batch_with_impossible_numbers_keeps_every_message(tmp_path) -> None:
    store = tmp_store(tmp_path)
    folder = store.upsert_folder("a", "INBOX")
    ok = NewMessage(1, (), b"Subject: fine\r\nDate: 14 Nov 2023 22:13:20 +0000\r\n", 10, 1.7e9, 5)
    odd = NewMessage(2, (), b"Subject: odd\r\n", 1 << 70, 1e300, 1 << 64)
    negative = NewMessage(3, (), b"Subject: negative\r\n", -5, -1e12, -1)
    store.add_messages(folder, [ok, odd, negative])
    rows = {r.uid: r for r in store.message_rows(folder, 0, 10)}
    assert set(rows) == {1, 2, 3}
    assert rows[2].size == MAX_SIZE and rows[2].modseq is None and rows[2].internaldate is None
    assert rows[3].size == 0 and rows[3].internaldate is None
    assert rows[1].note == "" and rows[2].note == NOTE_SIZE


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_header_bytes_give_a_bounded_summary(raw: bytes) -> None:
    summary = summarize_header(raw)
    for name, limit in LIMITS.items():
        assert len(getattr(summary, name)) <= limit
        getattr(summary, name).encode("utf-8")  # storable: SQLite takes UTF-8 only
    assert summary.date is None or 0 <= summary.date < 253402214400


@settings(max_examples=200, deadline=None)
@given(
    st.text(min_size=1, max_size=40).filter(lambda s: "\r" not in s and "\n" not in s),
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs")), min_size=1, max_size=20),
)
def test_utf8_addresses_with_any_display_name_are_summarised(name: str, local: str) -> None:
    local = local.replace("@", "").replace("<", "").replace(">", "") or "x"
    header = f'From: "{name}" <{local}@bücher.example>\r\nTo: {name} <{local}@例子.广告>\r\n'
    summary = summarize_header(header.encode("utf-8", "surrogatepass"))
    assert summary.note == "" or summary.note  # never raises; bounded by the test above


def test_the_app_marks_a_partial_message_and_its_reader_says_why(mail_server, tmp_path) -> None:
    from tests.ui.helpers import account_for as ui_account
    from tuimail.core.secrets import Secret
    from tuimail.core.service import MailService
    from tuimail.core.store import Store

    user = mail_server.new_user()
    mail_server.faults.add(
        protocol="imap", kind="odd_size", match="<absurd-size@", data=b"18446744073709551616"
    )
    _folder_of_mail(mail_server, user, [hostile_mail.absurd_size()])
    account = ui_account(mail_server, user)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: Secret(user.password),
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        assert service.backend(account.name).sync(["INBOX"])
        source = service.source(account.name, "INBOX")
        rows = source.rows(0, source.count())
        assert len(rows) == 7
        (odd,) = [r for r in rows if r.note]
        assert odd.subject == "(!) absurd size"
        view = service.read(odd, mark_seen=False)
        # The facade hands the note's kind; the reader words it.
        assert [(b.kind, b.text) for b in view.blocks if "note" in b.kind] == [
            ("stored-note", NOTE_SIZE)
        ]
        from tuimail.ui.widgets.reader import fold_quotes

        shown = ("note", "the server reported an impossible size for this message")
        assert shown in fold_quotes(view.blocks, show=True)
    finally:
        service.stop()
