"""The check after a UIDVALIDITY change (sync.SyncEngine._same_messages) fetches only what
it compares of each stored UID (sync.VERIFY_ITEMS: size, arrival date, Message-ID,
Subject, From), and decides as it did with the list's whole header: on the real-mail
corpus, over the bulk reader and over imaplib (--debug)."""

from __future__ import annotations

import pytest

from tests.corpus import CORPUS_FILES
from tests.imap.helpers import engine_for, tmp_store
from tuimail.core.imap.sync import (
    VERIFY_ITEMS,
    _same_row,
    examine,
    fetch_headers,
    uid_set,
)
from tuimail.core.store.headers import summarize_header


@pytest.fixture
def corpus_bed(mail_server, tmp_path):
    """The corpus in a user's INBOX on the bundled server, synced once into a store."""
    user = mail_server.new_user()
    mail_server.store.bulk_append(
        user.login, "INBOX", [(path.read_bytes(), [], None) for path in CORPUS_FILES]
    )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    result = engine.sync()
    assert result.failures == [] and result.new == len(CORPUS_FILES)
    yield mail_server, user, store, engine
    engine.close()


def _compared(message) -> tuple:
    """What _same_row compares of a fetched message."""
    summary = summarize_header(message.header)
    return (
        message.size,
        message.internaldate,
        summary.message_id,
        summary.subject,
        (summary.from_addr),
    )


def _rows(store, folder_id: int) -> dict[int, list]:
    return {
        uid: rest
        for uid, *rest in store.conn.execute(
            "SELECT uid, message_id, size, internaldate, subject, from_addr FROM messages "
            "WHERE folder_id = ? AND uid IS NOT NULL",
            (folder_id,),
        )
    }


def test_the_few_fields_compare_as_the_list_header_on_the_corpus(corpus_bed) -> None:
    """Each corpus message fetched with VERIFY_ITEMS matches its stored row exactly when
    fetched with the list's header items it does (every one does), and gives the same
    size, date, Message-ID, subject and sender, but for the blocks with lone CR line
    ends (the quick parse reads one line there): those are the ones _same_messages asks
    for again with the list's header."""
    _server, _user, store, engine = corpus_bed
    rows = _rows(store, store.folder_id("test", "INBOX"))
    client = engine.client
    examine(client, "INBOX")
    engine._selected = "INBOX"
    full = fetch_headers(client, uid_set(rows), False, set(rows))
    few = fetch_headers(client, uid_set(rows), False, set(rows), items=VERIFY_ITEMS)
    client._imap.debug = 4  # (what --debug sets: imaplib reads the answer)
    try:
        few_imaplib = fetch_headers(client, uid_set(rows), False, set(rows), items=VERIFY_ITEMS)
    finally:
        client._imap.debug = 0
    assert few_imaplib == few
    assert sorted(m.uid for m in full) == sorted(m.uid for m in few) == sorted(rows)
    by_uid = {m.uid: m for m in few}
    differ = []
    for message in full:
        other = by_uid[message.uid]
        assert _same_row(rows[message.uid], message)
        assert _same_row(rows[message.uid], other) == (_compared(message) == _compared(other))
        if _compared(message) != _compared(other):
            differ.append(message.uid)
            header = other.header.replace(b"\r\n", b"")
            assert b"\r" in header  # a lone CR: nothing else may differ
    assert len(differ) <= 2  # (one corpus message today)


def test_a_new_uidvalidity_keeps_the_corpus_and_fetches_only_the_compared_fields(
    corpus_bed,
) -> None:
    """After a new UIDVALIDITY (UIDs kept) every corpus message is found the same: the
    cache is kept, nothing is new; the check asked for VERIFY_ITEMS, not the list's header
    (and for the list's header only for the messages that differ in those fields)."""
    server, user, store, engine = corpus_bed
    inbox = store.folder_id("test", "INBOX")
    before = _rows(store, inbox)
    server.store.bump_uidvalidity(user.login, "INBOX")
    engine.drop_connection()
    sent: list[str] = []
    client = engine.client
    command = client._imap._command

    def recorded(name, *args):
        sent.append(" ".join(a if isinstance(a, str) else repr(a) for a in (name, *args)))
        return command(name, *args)

    client._imap._command = recorded
    try:
        result = engine.sync()
    finally:
        client._imap._command = command
    assert result.failures == [] and result.new == 0
    [folder] = [f for f in result.folders if f.folder == "INBOX"]
    assert (folder.renumbered, folder.rebuilt) == ("same-messages", False)
    assert _rows(store, inbox) == before
    fetches = [c for c in sent if c.startswith("UID FETCH") and "BODY.PEEK[HEADER" in c]
    assert fetches and f"({VERIFY_ITEMS})" in fetches[0]
    listed = [c for c in fetches if "HEADER.FIELDS (FROM TO" in c]
    assert all(":" not in c.split()[2] and "," not in c.split()[2] for c in listed)
    assert len(listed) <= 2
