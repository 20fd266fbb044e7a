"""Sync over real sockets: the store ends equal to the server."""

from __future__ import annotations

import random

import pytest

from tests.imap.helpers import (
    engine_for,
    message,
    other_client,
    server_state,
    store_state,
    tmp_store,
)

FOLDERS = ["INBOX", "Archive", "Trash"]


def test_first_sync_folders_roles_and_messages(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.create_folder("Projects/Alpha")
    for i in range(1, 8):
        other.append("INBOX", message(i), flags=[b"\\Seen"] if i % 2 else [])
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    seen_progress = []
    engine.progress = lambda folder, done, total: seen_progress.append((folder, done, total))
    result = engine.sync()
    assert result.errors == []
    assert result.new == 7
    folders = {f.name: f for f in store.folders("test")}
    assert folders["INBOX"].role == "inbox" and folders["INBOX"].unread == 3
    assert folders["Sent"].role == "sent" and folders["Trash"].role == "trash"
    assert folders["Projects/Alpha"].parent == "Projects"
    assert ("INBOX", 7, 7) in seen_progress
    rows = store.message_rows(folders["INBOX"].id, 0, 10, sort="uid")
    assert rows[0].subject == "message 7" and rows[0].from_name == "Sender 7"
    assert store_state(store, "test", "INBOX") == server_state(other, "INBOX")
    # no change: nothing new, nothing removed
    again = engine.sync()
    assert (again.new, again.changed, again.removed, again.errors) == (0, 0, 0, [])
    raw = engine.fetch_body(rows[0].id)
    assert raw.endswith(b"Body of 7.\r\n") and store.body(rows[0].id) == raw
    assert [r.id for r in store.search("body of 7")] == [rows[0].id] or store.search("Body")
    engine.close()
    other.logout()


@pytest.mark.parametrize("seed", range(8))
def test_random_changes_by_another_client(mail_peer, tmp_path, seed: int) -> None:
    rng = random.Random(seed)
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    store = tmp_store(tmp_path)
    options = [{}, {"use_condstore": False}, {"use_qresync": False}][seed % 3]
    engine = engine_for(mail_peer, user, store, **options)
    counter = 0
    for _round in range(3):
        for _ in range(rng.randint(5, 15)):
            op = rng.choice(["append", "append", "delete", "move", "flag", "flag"])
            folder = rng.choice(FOLDERS)
            if op == "append":
                counter += 1
                other.append(folder, message(counter), flags=rng.choice([[], [b"\\Seen"]]))
                continue
            other.select_folder(folder)
            uids = other.search(["ALL"])
            if not uids:
                continue
            picked = rng.sample(uids, k=min(len(uids), rng.randint(1, 3)))
            if op == "delete":
                other.delete_messages(picked)
                other.expunge()
            elif op == "move":
                target = rng.choice([f for f in FOLDERS if f != folder])
                other.move(picked, target)
            else:
                flag = rng.choice([b"\\Seen", b"\\Flagged", b"\\Answered", b"$Label1"])
                if rng.random() < 0.5:
                    other.add_flags(picked, [flag])
                else:
                    other.remove_flags(picked, [flag])
        result = engine.sync()
        assert result.errors == []
        for folder in FOLDERS:
            assert store_state(store, "test", folder) == server_state(other, folder), folder
    engine.close()
    other.logout()


def test_qresync_reports_expunges_without_a_full_scan(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in range(1, 11):
        other.append("INBOX", message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store)
    engine.sync()
    assert engine.qresync
    other.select_folder("INBOX")
    other.delete_messages([2, 5])
    other.expunge()
    other.add_flags([7], [b"\\Flagged"])
    scans = engine.full_scans
    result = engine.sync()
    assert (result.removed, result.changed) == (2, 1)
    assert engine.full_scans == scans
    assert store_state(store, "test", "INBOX") == server_state(other, "INBOX")
    engine.close()
    other.logout()
