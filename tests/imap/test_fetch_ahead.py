"""Header batches asked for one ahead (tuimail.core.imap.ahead) over real sockets: the
store they make is the store one FETCH of everything makes, and a connection cut while
answers are in flight loses nothing and duplicates nothing."""

from __future__ import annotations

import socket

import pytest

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
    tmp_store,
)
from tuimail.core import connect
from tuimail.core.account import ServerSettings
from tuimail.core.store import Store

COUNT = 150


def rows(store: Store, folder: str) -> list[tuple]:
    """Every stored column of the folder's messages but the local id, by UID."""
    folder_id = store.folder_id("test", folder)
    cursor = store.conn.execute(
        "SELECT * FROM messages WHERE folder_id = ? ORDER BY uid", (folder_id,)
    )
    names = [d[0] for d in cursor.description]
    return [tuple(v for n, v in zip(names, row, strict=True) if n != "id") for row in cursor]


def fill(peer, user, first: int, last: int) -> None:
    """Messages first..last in INBOX, every third one seen, every fifth flagged."""
    other = other_client(peer, user)
    for i in range(first, last + 1):
        flags = [b"\\Seen"] * (i % 3 == 0) + [b"\\Flagged"] * (i % 5 == 0)
        other.append("INBOX", message(i), flags=flags)
    other.logout()


def synced(peer, user, path, first_batch: int, batch: int) -> Store:
    store = Store(path)
    engine = engine_for(peer, user, store)
    engine.first_batch, engine.batch = first_batch, batch
    result = engine.sync(["INBOX"])
    assert result.failures == [], result.failures
    engine.close()
    return store


def test_batches_asked_ahead_make_the_store_one_fetch_makes(mail_peer, tmp_path) -> None:
    """A first sync in many small batches (each asked for before the one before is
    written), then new mail in batches too, against the same sync asked in one FETCH."""
    user = mail_peer.new_user()
    fill(mail_peer, user, 1, COUNT)
    ahead = synced(mail_peer, user, tmp_path / "ahead.sqlite3", 7, 11)
    whole = synced(mail_peer, user, tmp_path / "whole.sqlite3", 10_000, 10_000)
    assert len(rows(ahead, "INBOX")) == COUNT
    assert rows(ahead, "INBOX") == rows(whole, "INBOX")
    fill(mail_peer, user, COUNT + 1, COUNT + 40)  # new mail: UIDs above the newest stored
    for store, first_batch, batch in ((ahead, 3, 11), (whole, 10_000, 10_000)):
        engine = engine_for(mail_peer, user, store)
        engine.first_batch, engine.batch = first_batch, batch
        assert engine.sync(["INBOX"]).new == 40
        engine.close()
    assert rows(ahead, "INBOX") == rows(whole, "INBOX")
    other = other_client(mail_peer, user)
    assert_cache_matches_server(ahead, other, "INBOX")
    other.logout()


@pytest.mark.parametrize("after_bytes", [2_000, 9_000, 21_000, 33_000])
def test_a_connection_cut_while_answers_are_in_flight_loses_nothing(
    mail_server, tmp_path, after_bytes: int
) -> None:
    """The server stops sending part-way (inside an answer, with the next batch already
    asked for): the batches read before are kept, the pass resumes on a new connection,
    and every message is stored once."""
    user = mail_server.new_user()
    mail_server.store.bulk_append(
        user.login,
        "INBOX",
        [(message(i), ["\\Seen"] if i % 2 else [], None) for i in range(1, 201)],
    )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.first_batch, engine.batch = 10, 30
    fault = mail_server.faults.add(protocol="imap", kind="drop", after_bytes=after_bytes, times=1)
    assert engine.sync().failures == []
    assert fault.hits == 1
    inbox = store.folder_id("test", "INBOX")
    assert store.uids(inbox) == list(range(1, 201))  # each once (the UID is unique)
    assert store.count_messages(inbox) == 200
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "INBOX")
    other.logout()
    engine.close()


@pytest.mark.parametrize("limit", [200_000, 100_000], ids=["granted", "not granted"])
def test_an_imap_socket_asks_for_room_only_where_the_kernel_grants_it(
    mail_server, tmp_path, monkeypatch, limit: int
) -> None:
    """Room for a batch asked ahead is asked for where the kernel's limit (rmem_max)
    grants it whole; elsewhere the kernel's own tuning is left alone. (Linux doubles
    the size asked for; a fresh connection's own buffer is far below it.)"""
    rmem_max = tmp_path / "rmem_max"
    rmem_max.write_text(f"{limit}\n")
    monkeypatch.setattr(connect, "_RMEM_MAX", str(rmem_max))
    monkeypatch.setattr(connect, "_granted", [])
    monkeypatch.setattr(connect, "RECEIVE_BUFFER", 200_000)
    settings = ServerSettings("localhost", mail_server.ports.imap_tls, "tls")
    client = connect.open_imap(settings, mail_server.ca_file, 10)
    try:
        size = client._imap.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        client.shutdown()
    assert (size >= 400_000) == (limit >= 200_000), size
