"""Sync over real sockets: the store ends equal to the server."""

from __future__ import annotations

import random

import pytest

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
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
    assert result.failures == []
    assert result.new == 7
    folders = {f.name: f for f in store.folders("test")}
    assert folders["INBOX"].role == "inbox" and folders["INBOX"].unread == 3
    assert folders["Sent"].role == "sent" and folders["Trash"].role == "trash"
    assert folders["Projects/Alpha"].parent == "Projects"
    assert ("INBOX", 7, 7) in seen_progress
    rows = store.message_rows(folders["INBOX"].id, 0, 10, sort="uid")
    assert rows[0].subject == "message 7" and rows[0].from_name == "Sender 7"
    assert_cache_matches_server(store, other, "INBOX")
    # no change: nothing new, nothing removed
    again = engine.sync()
    assert (again.new, again.changed, again.removed, again.failures) == (0, 0, 0, [])
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
        assert result.failures == []
        for folder in FOLDERS:
            assert_cache_matches_server(store, other, folder)
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
    assert_cache_matches_server(store, other, "INBOX")
    engine.close()
    other.logout()


def test_download_bodies_option_caches_everything(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    for i in range(1, 6):
        mail_peer.deliver(user, message(i, "offline"))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_peer, user, store, download_bodies=True)
    assert engine.sync().failures == []
    rows = store.message_rows(store.folder_id("test", "INBOX"), 0, 10)
    assert len(rows) == 5 and all(r.has_body for r in rows)
    assert {r.subject for r in store.search("body")} == {f"offline {i}" for i in range(1, 6)}
    engine.close()


CRASH_SYNC = r"""
import sys
from tests.imap.helpers import account_for
from testserver.peer import PeerUser, PeerPorts
from tuimail.core.imap.session import connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store
host, port, ca, login, password, path = sys.argv[1:]
class Peer:
    pass
peer = Peer(); peer.host = host; peer.ca_file = ca
peer.ports = PeerPorts(int(port), 0, 0, 0, 0, 0)
user = PeerUser(login, password, login)
account = account_for(peer, user)
engine = SyncEngine(Store(path), account, connector(account, password, timeout=10),
                    lambda f, d, t: print(f, d, t, flush=True), first_batch=50, batch=50)
engine.sync()
print("finished", flush=True)
"""


def test_kill_9_during_sync_then_the_store_opens_and_sync_completes(mail_server, tmp_path) -> None:
    import signal
    import subprocess
    import sys

    user = mail_server.new_user()
    mail_server.store.bulk_append(
        user.login, "INBOX", [(message(i), [], None) for i in range(1, 2001)]
    )
    path = tmp_path / "store.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SYNC, mail_server.host, str(mail_server.ports.imap_tls),
         mail_server.ca_file, user.login, user.password, str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(3):  # a few batches are in, more are on their way
            assert proc.stdout.readline().startswith("INBOX")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    store = tmp_store(tmp_path)
    assert store.integrity_check() == "ok"
    inbox = store.folder_id("test", "INBOX")
    assert 150 <= store.count_messages(inbox) < 2000
    engine = engine_for(mail_server, user, store)
    assert engine.sync().failures == []
    assert store.uids(inbox) == list(range(1, 2001))
    engine.close()
