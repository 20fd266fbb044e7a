"""The stored MODSEQs follow the server even when the flags did not change.

A flag change queued offline is sent as STORE ... (UNCHANGEDSINCE <stored MODSEQ>); a stale
MODSEQ makes the server refuse it silently (the server wins), so the user's change is lost.
"""

from __future__ import annotations

from imapclient import IMAPClient

from tests.imap.helpers import engine_for, message, other_client, server_state, tmp_store
from tuimail.core.imap.actions import MailActions
from tuimail.core.store import Store


def _server_modseqs(client: IMAPClient, folder: str) -> tuple[dict[int, int], int]:
    info = client.select_folder(folder, readonly=True)
    data = client.fetch("1:*", ["UID", "MODSEQ"])
    return {uid: item[b"MODSEQ"][0] for uid, item in data.items()}, info[b"HIGHESTMODSEQ"]


def _store_modseqs(store: Store, folder: str) -> tuple[dict[int, int], int | None]:
    folder_id = store.folder_id("test", folder)
    rows = store.message_rows(folder_id, 0, 100)
    info = store.folder(folder_id, counts=False)
    return {r.uid: r.modseq for r in rows}, info.highestmodseq


def test_sync_follows_modseq_when_flags_come_back_the_same(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", message(1))
    other.append("INBOX", message(2))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    assert engine.sync().failures == []
    assert _store_modseqs(store, "INBOX") == _server_modseqs(other, "INBOX")
    # Another client flags message 1 and unflags it again: same flags, newer MODSEQ.
    other.select_folder("INBOX")
    uid = min(other.search("ALL"))
    other.add_flags([uid], [b"\\Flagged"])
    other.remove_flags([uid], [b"\\Flagged"])
    result = engine.sync()
    assert result.failures == []
    assert _store_modseqs(store, "INBOX") == _server_modseqs(other, "INBOX")
    # So a change made here afterwards is applied, not refused as a conflict.
    inbox = store.folder_id("test", "INBOX")
    row = next(r for r in store.message_rows(inbox, 0, 10) if r.uid == uid)
    MailActions(store, engine.account).mark_read([row.id])
    assert engine.sync().failures == []
    assert server_state(other, "INBOX")[uid] == frozenset({"\\Seen"})
    assert _store_modseqs(store, "INBOX") == _server_modseqs(other, "INBOX")
    engine.close()
    other.logout()


def test_replay_keeps_modseq_current_for_the_next_change(mail_peer, tmp_path) -> None:
    """Two changes to one message, each replayed (no sync in between): both land."""
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", message(1))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    assert engine.sync().failures == []
    inbox = store.folder_id("test", "INBOX")
    actions = MailActions(store, engine.account)
    (row,) = store.message_rows(inbox, 0, 10)
    actions.mark_read([row.id])
    assert engine.replay_actions() == []
    (row,) = store.message_rows(inbox, 0, 10)
    actions.flag([row.id])
    assert engine.replay_actions() == []
    assert server_state(other, "INBOX")[row.uid] == frozenset({"\\Seen", "\\Flagged"})
    modseqs, _ = _server_modseqs(other, "INBOX")
    (row,) = store.message_rows(inbox, 0, 10)
    assert row.modseq == modseqs[row.uid]
    engine.close()
    other.logout()
