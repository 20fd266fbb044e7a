"""A server whose COPYUID lies (RFC 4315: the UIDs it gave the moved messages) never gets a
UID attached to the wrong row: the moved rows wait for the next sync, as without UIDPLUS,
and the mail already in the folder stays as it was."""

from __future__ import annotations

import pytest

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
    tmp_store,
)
from tuimail.core.imap.actions import MailActions
from tuimail.core.imap.session import is_connection_error

LIES = {
    "one more destination than sources": b"{uidvalidity} {source} {dest},4000",
    "uids not in the folder": b"{uidvalidity} {source} 4000:4001",
    "another uidvalidity": b"1 {source} {dest}",
    "pairs in the other order": b"{uidvalidity} {source} {dest_reversed}",
    "a uid of a message already there": b"{uidvalidity} {source} 1:2",
    "sources never asked for": b"{uidvalidity} 7:8 {dest}",
    "every possible uid": b"{uidvalidity} 1:4294967295 1:4294967295",
    "zero and a number too big": b"{uidvalidity} {source} 0,4294967296",
    "garbage": b"((\x7f{uidvalidity} * *",
    "nothing": b"",
}


@pytest.mark.parametrize("lie", list(LIES.values()), ids=list(LIES))
def test_a_lying_copyuid_leaves_the_moved_rows_to_the_sync(mail_server, tmp_path, lie) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(9, "old"), folder="Archive")
    for i in (1, 2):
        mail_server.deliver(user, message(i, "moved " + "x" * i))  # two sizes
    mail_server.faults.add(protocol="imap", kind="copyuid", data=lie)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    archive = store.folder_id("test", "Archive")
    (old,) = store.message_rows(archive, 0, 10)
    rows = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)
    MailActions(store, engine.account).move([r.id for r in rows], "Archive")
    assert engine.replay_actions() == []
    assert [store.message(r.id).uid for r in rows] == [None, None]
    assert store.message(old.id).uid == old.uid
    engine.sync()
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "Archive")
    other.select_folder("Archive", readonly=True)
    for row in rows:  # each row has the UID of its own message
        uid = store.message(row.id).uid
        header = other.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[uid]
        assert row.subject.encode() in header[b"BODY[HEADER.FIELDS (SUBJECT)]"]
    engine.close()
    other.logout()


def test_garbage_in_the_read_back_gives_up_the_connection_with_the_copy_made_once(
    mail_server, tmp_path
) -> None:
    """The server made the copy, then answers the read-back of its COPYUID with bytes
    that are not IMAP: the copy is recorded as done (never sent again: a second copy),
    and nothing more is sent on that connection (the flag change queued after it waits
    for the next one)."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    garbage = b"* 1 FETCH (UID 1 BODY[] {99999999999}\r\n"
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    engine.close()
    mail_server.faults.add(
        protocol="imap", kind="garbage", command="UID", match="Archive", data=garbage, times=1
    )
    (row,) = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)
    actions = MailActions(store, engine.account)
    (copy_id,) = actions.copy([row.id], "Archive")
    actions.flag([row.id])
    engine = engine_for(mail_server, user, store)
    with pytest.raises(Exception) as raised:
        engine.replay_actions()
    assert is_connection_error(raised.value)
    assert [a.kind for a in store.actions("test")] == ["flags"]
    assert store.actions("test", "failed") == []
    assert len(mail_server.messages(user, "Archive")) == 1
    engine.close()
    engine = engine_for(mail_server, user, store)
    assert engine.sync().failures == []
    assert len(mail_server.messages(user, "Archive")) == 1
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "Archive")
    assert store.message(copy_id).uid is not None
    engine.close()
    other.logout()
