"""Actions: applied to the store at once, queued, replayed after a restart; undo."""

from __future__ import annotations

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
    server_state,
    store_state,
    tmp_store,
)
from tuimail.core.imap.actions import MailActions
from tuimail.core.store import Store


def _subjects(client, folder: str) -> set[str]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    if not uids:
        return set()
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    return {
        v[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip().removeprefix("Subject: ")
        for v in data.values()
    }


def test_offline_actions_replay_after_restart(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in range(1, 7):
        other.append("INBOX", message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    engine.close()
    inbox = store.folder_id("test", "INBOX")
    rows = {r.subject: r for r in store.message_rows(inbox, 0, 10)}

    # Offline: nothing reaches the server, but the store shows the result at once.
    actions = MailActions(store, engine.account)
    actions.mark_read([rows["message 1"].id])
    actions.flag([rows["message 2"].id])
    actions.move([rows["message 3"].id], "Archive")
    actions.delete([rows["message 4"].id])
    actions.create_folder("Projects")
    actions.copy([rows["message 5"].id], "Projects")
    assert store.message(rows["message 1"].id).seen
    assert store.message(rows["message 3"].id).folder == "Archive"
    assert store.message(rows["message 4"].id).folder == "Trash"
    assert store.count_messages(inbox) == 4
    assert len(store.actions("test")) == 6
    assert _subjects(other, "Archive") == set()
    store.close()

    # Restart: a new store object on the same file replays the queue, then syncs.
    store = Store(tmp_path / "store.sqlite3")
    engine = engine_for(mail_peer, user, store)
    result = engine.sync()
    assert result.failures == []
    assert store.actions("test") == [] and store.actions("test", "failed") == []
    assert _subjects(other, "Archive") == {"message 3"}
    assert _subjects(other, "Trash") == {"message 4"}
    assert _subjects(other, "Projects") == {"message 5"}
    assert _subjects(other, "INBOX") == {"message 1", "message 2", "message 5", "message 6"}
    for folder in ("INBOX", "Archive", "Trash", "Projects"):
        assert_cache_matches_server(store, other, folder)
    # the moved message kept its local id and got its new UID
    moved = store.message(rows["message 3"].id)
    assert moved is not None and moved.folder == "Archive" and moved.uid is not None
    assert store.count_messages(store.folder_id("test", "Archive")) == 1
    engine.close()
    other.logout()


def test_undo_move_before_and_after_replay(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in range(1, 4):
        other.append("INBOX", message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    inbox = store.folder_id("test", "INBOX")
    rows = {r.subject: r for r in store.message_rows(inbox, 0, 10)}
    actions = MailActions(store, engine.account)

    # Undo before the server saw it: the row is back with its UID, nothing is sent.
    actions.delete([rows["message 1"].id])
    assert store.message(rows["message 1"].id).folder == "Trash"
    assert actions.undo()
    back = store.message(rows["message 1"].id)
    assert back.folder == "INBOX" and back.uid == rows["message 1"].uid
    assert store.actions("test") == []

    # Undo after the server did it: a move back is queued and replayed.
    actions.move([rows["message 2"].id], "Archive")
    assert engine.sync().failures == []
    assert _subjects(other, "Archive") == {"message 2"}
    assert actions.undo()
    assert store.message(rows["message 2"].id).folder == "INBOX"
    assert engine.sync().failures == []
    assert _subjects(other, "Archive") == set()
    assert _subjects(other, "INBOX") == {"message 1", "message 2", "message 3"}
    assert_cache_matches_server(store, other, "INBOX")
    assert not actions.undo()  # only the last one
    engine.close()
    other.logout()


def test_undo_after_replay_brings_back_a_message_without_message_id(mail_peer, tmp_path) -> None:
    """Real mail without a Message-ID (the corpus has some): once the server moved it,
    the sync recognises the moved row by what a move keeps (size, date, sender,
    subject), so u still moves it back. It used to get a new row there, the undo found
    nothing to move and said "Undone" while the message stayed in the other folder."""
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in (1, 2):
        raw = message(i).replace(f"Message-ID: <t{i}.message@example.test>\r\n".encode(), b"")
        other.append("INBOX", raw)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    inbox = store.folder_id("test", "INBOX")
    rows = {r.subject: r for r in store.message_rows(inbox, 0, 10)}
    assert not rows["message 2"].message_id
    actions = MailActions(store, engine.account)
    actions.move([rows["message 2"].id], "Archive")
    assert engine.sync().failures == []
    assert _subjects(other, "Archive") == {"message 2"}
    moved = store.message(rows["message 2"].id)
    assert moved is not None and moved.folder == "Archive" and moved.uid
    assert actions.undo()
    assert engine.sync().failures == []
    assert _subjects(other, "Archive") == set()
    assert _subjects(other, "INBOX") == {"message 1", "message 2"}
    assert_cache_matches_server(store, other, "INBOX")
    engine.close()
    other.logout()


def test_delete_in_trash_expunges_and_server_wins(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("Trash", message(1))
    other.append("INBOX", message(2))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    trash = store.folder_id("test", "Trash")
    inbox = store.folder_id("test", "INBOX")
    actions = MailActions(store, engine.account)
    actions.delete([store.message_rows(trash, 0, 1)[0].id])
    # meanwhile another client deletes the inbox message we are about to flag
    actions.flag([store.message_rows(inbox, 0, 1)[0].id])
    other.select_folder("INBOX")
    other.delete_messages(other.search(["ALL"]))
    other.expunge()
    assert engine.sync().failures == []
    assert _subjects(other, "Trash") == set()
    assert store.count_messages(trash) == 0 and store.count_messages(inbox) == 0
    assert store.actions("test", "failed") == []
    engine.close()
    other.logout()


def test_folder_create_rename_delete_replay(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    actions = MailActions(store, engine.account)
    actions.create_folder("Clients")
    actions.create_folder("Old")
    actions.rename_folder("Clients", "Customers")
    actions.delete_folder("Old")
    names = {f.name for f in store.folders("test")}
    assert "Customers" in names and "Clients" not in names and "Old" not in names
    assert engine.sync().failures == []
    server = {name for _, _, name in other.list_folders()}
    assert "Customers" in server and "Clients" not in server and "Old" not in server
    assert {f.name for f in store.folders("test")} == server
    engine.close()
    other.logout()


def test_move_without_move_capability_and_archive(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(user, message(i))
    mail_server.faults.add(protocol="imap", kind="no_capability", data=b"MOVE")
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    assert not engine.has("MOVE")
    inbox = store.folder_id("test", "INBOX")
    rows = {r.subject: r for r in store.message_rows(inbox, 0, 10)}
    actions = MailActions(store, engine.account)
    actions.move([rows["message 1"].id], "Junk")  # COPY + \\Deleted + UID EXPUNGE
    actions.archive([rows["message 2"].id])
    actions.mark_read([rows["message 3"].id])
    actions.mark_unread([rows["message 3"].id])
    actions.flag([rows["message 3"].id])
    actions.unflag([rows["message 3"].id])
    assert engine.sync().failures == []
    other = other_client(mail_server, user)
    assert _subjects(other, "Junk") == {"message 1"}
    assert _subjects(other, "Archive") == {"message 2"}
    assert _subjects(other, "INBOX") == {"message 3"}
    assert_cache_matches_server(store, other, "INBOX")
    assert list(server_state(other, "INBOX").values()) == [frozenset()]
    engine.close()
    other.logout()


def test_server_side_change_wins_a_flag_conflict(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", message(1))
    other.append("INBOX", message(2))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    inbox = store.folder_id("test", "INBOX")
    rows = {r.subject: r for r in store.message_rows(inbox, 0, 10)}
    actions = MailActions(store, engine.account)
    # Offline, we mark both read; meanwhile another client flags message 1.
    actions.mark_read([rows["message 1"].id, rows["message 2"].id])
    other.select_folder("INBOX")
    other.add_flags([rows["message 1"].uid], [b"\\Flagged"])
    assert engine.sync().failures == []
    state = server_state(other, "INBOX")
    assert state[rows["message 1"].uid] == frozenset({"\\Flagged"})  # the server's change won
    assert state[rows["message 2"].uid] == frozenset({"\\Seen"})  # no conflict: applied
    assert store_state(store, "test", "INBOX") == state
    engine.close()
    other.logout()


def test_a_sync_pass_before_the_queue_is_flushed_never_brings_a_moved_message_back(
    mail_server, tmp_path
) -> None:
    """The app moves a message here at once and tells the server later; a sync of the
    folder in between (IDLE catch-up on another connection) must not re-add it, whether it
    was the newest message or not (found with s a s in the demo under load)."""
    user = mail_server.new_user()
    for i in range(1, 5):
        mail_server.deliver(user, message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    inbox = store.folder_id("test", "INBOX")
    rows = {r.uid: r.id for r in store.message_rows(inbox, 0, 10)}
    actions = MailActions(store, engine.account)
    actions.move([rows[4], rows[2]], "Archive")  # the newest one and one in the middle
    assert sorted(store.uids(inbox)) == [1, 3]
    engine.sync_folder("INBOX", changed=True)  # the queue has not reached the server yet
    assert sorted(store.uids(inbox)) == [1, 3]
    engine.sync()  # now the moves are applied on the server, then the folders synced
    assert sorted(store.uids(inbox)) == [1, 3]
    assert store.count_messages(store.folder_id("test", "Archive")) == 2
    engine.close()
