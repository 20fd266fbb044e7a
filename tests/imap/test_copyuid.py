"""Moves and copies take the server's own answer (UIDPLUS COPYUID): the moved or copied
rows get their new UID as soon as the server did it, so they open at once and an undo
moves exactly that message back, with or without a Message-ID."""

from __future__ import annotations

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
    tmp_store,
)
from tuimail.core.imap.actions import MailActions


def _contents(client, folder: str) -> dict[int, bytes]:
    """UID -> body, as the server has the folder now."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    if not uids:
        return {}
    return {
        uid: item[b"BODY[TEXT]"] for uid, item in client.fetch(uids, ["BODY.PEEK[TEXT]"]).items()
    }


def _twin(body: bytes) -> bytes:
    """A message without Message-ID; twins differ only in a body of the same length."""
    return (
        b"From: Sender <s@example.test>\r\nTo: r@example.test\r\nSubject: no id\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n" + body + b"\r\n"
    )


def test_a_moved_message_has_its_new_uid_and_opens_before_the_next_sync(
    mail_peer, tmp_path
) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in (1, 2):
        other.append("INBOX", message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    inbox = store.folder_id("test", "INBOX")
    row = next(r for r in store.message_rows(inbox, 0, 10) if r.subject == "message 2")
    assert not row.has_body
    MailActions(store, engine.account).move([row.id], "Archive")
    assert engine.replay_actions() == []  # the server did it; no sync since
    on_server = _contents(other, "Archive")
    moved = store.message(row.id)
    assert moved.folder == "Archive" and moved.uid in on_server
    assert b"Body of 2." in engine.fetch_body(row.id)  # not "still being moved"
    engine.sync()
    assert store.message(row.id).uid == moved.uid  # the sync agrees: same row, same UID
    assert_cache_matches_server(store, other, "Archive")
    engine.close()
    other.logout()


def test_undo_after_the_server_moved_it_brings_back_exactly_that_message_without_message_id(
    mail_peer, tmp_path
) -> None:
    """Two messages without Message-ID alike in everything a sync could match (size,
    date, sender, subject): the undo, typed before any sync, moves the one the user moved
    back, by the UID COPYUID named. Before, it searched by an empty Message-ID, moved
    nothing, and the next sync took the message out of the inbox again."""
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", _twin(b"AAAA"))
    other.append("Archive", _twin(b"BBBB"))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    row = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)[0]
    assert not row.message_id
    actions = MailActions(store, engine.account)
    actions.move([row.id], "Archive")
    assert engine.replay_actions() == []
    assert sorted(_contents(other, "Archive").values()) == [b"AAAA\r\n", b"BBBB\r\n"]
    assert store.message(row.id).uid is not None
    assert actions.undo()
    assert engine.replay_actions() == []
    assert list(_contents(other, "INBOX").values()) == [b"AAAA\r\n"]
    assert list(_contents(other, "Archive").values()) == [b"BBBB\r\n"]
    back = store.message(row.id)
    assert back.folder == "INBOX" and back.uid in _contents(other, "INBOX")
    engine.sync()
    for folder in ("INBOX", "Archive"):
        assert_cache_matches_server(store, other, folder)
    assert store.message(row.id).uid == back.uid
    engine.close()
    other.logout()


def test_a_copy_gives_the_new_row_its_uid_and_keeps_the_original(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", message(1))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    original = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)[0]
    (copy_id,) = MailActions(store, engine.account).copy([original.id], "Archive")
    assert store.message(copy_id).uid is None
    assert engine.replay_actions() == []
    copied = store.message(copy_id)
    assert copied.folder == "Archive" and copied.uid in _contents(other, "Archive")
    assert store.message(original.id).uid == original.uid
    assert b"Body of 1." in engine.fetch_body(copy_id)
    engine.sync()
    assert store.message(copy_id).uid == copied.uid
    for folder in ("INBOX", "Archive"):
        assert_cache_matches_server(store, other, folder)
    engine.close()
    other.logout()


def test_a_flag_change_queued_before_the_move_was_done_reaches_the_moved_message(
    mail_server, tmp_path
) -> None:
    """Move, then flag the moved message, both before the server heard of either: once
    COPYUID names the new UID, the queued flag change names it too (no Message-ID search,
    which a message without one could never pass)."""
    user = mail_server.new_user()
    mail_server.deliver(user, _twin(b"AAAA"))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    row = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)[0]
    actions = MailActions(store, engine.account)
    actions.move([row.id], "Archive")
    actions.flag([row.id])
    assert engine.replay_actions() == []
    other = other_client(mail_server, user)
    other.select_folder("Archive", readonly=True)
    flags = other.get_flags(other.search(["ALL"]))
    assert [b"\\Flagged" in f for f in flags.values()] == [True]
    engine.close()
    other.logout()


def test_without_uidplus_a_move_waits_for_the_sync_as_before(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(protocol="imap", kind="no_capability", data=b"UIDPLUS")
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    assert not engine.has("UIDPLUS")
    row = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)[0]
    MailActions(store, engine.account).move([row.id], "Archive")
    assert engine.replay_actions() == []
    assert store.message(row.id).uid is None  # waiting for the sync
    engine.sync()
    other = other_client(mail_server, user)
    assert store.message(row.id).uid in _contents(other, "Archive")
    engine.close()
    other.logout()


def test_a_programming_error_in_adopting_the_copyuid_is_not_hidden(
    mail_server, tmp_path, monkeypatch
) -> None:
    """Only the failures of reading the COPYUID back (the server's, the store's) leave the
    rows to the next sync; any other exception (a bug) reaches the replay, which reports
    the action as failed, rather than being logged at info and forgotten."""
    from tuimail.core.imap import copyuid

    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    (row,) = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)

    def bug(*_args, **_kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(copyuid, "confirmed", bug)
    MailActions(store, engine.account).move([row.id], "Archive")
    (failure,) = engine.replay_actions()
    assert (failure.action, failure.error.data) == ("move", {"detail": "a bug"})
    engine.close()
