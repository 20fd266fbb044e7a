"""UIDVALIDITY changes and dropped connections (bundled server faults)."""

from __future__ import annotations

import json

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
    server_state,
    tmp_store,
)
from tuimail.core.errors import error_from_record
from tuimail.core.imap.actions import MailActions
from tuimail.words.describe import describe
from tuimail.words.where import failure


def test_uidvalidity_change_rebuilds_and_fails_old_actions(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    for i in range(1, 6):
        mail_server.deliver(user, message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    assert engine.sync().new == 5
    inbox = store.folder_id("test", "INBOX")
    old_ids = {r.id for r in store.message_rows(inbox, 0, 10)}
    # Queue a change on the old UIDs, then the server renumbers the folder.
    MailActions(store, engine.account).flag([min(old_ids)])
    mail_server.store.remove(user.login, "INBOX", [1])
    new_validity = mail_server.store.reset_uidvalidity(user.login, "INBOX")
    # The flag action must not be applied to whatever now has that UID.
    result = engine.sync()
    assert result.failures == []
    assert [f.rebuilt for f in result.folders if f.folder == "INBOX"] == [True]
    assert store.folder(inbox).uidvalidity == new_validity
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "INBOX")
    assert not any("\\Flagged" in flags for flags in server_state(other, "INBOX").values())
    assert len(result.refused_actions) == 1 and "UIDVALIDITY" in failure(result.refused_actions[0])
    failed = store.actions("test", "failed")
    # The store keeps the typed error's record (JSON), not a repr: its sentence is made
    # from it at the edge.
    record = json.loads(failed[0].error)
    assert len(failed) == 1 and record["reason"] == "renumbered"
    assert "UIDVALIDITY" in describe(error_from_record(record))
    assert store.count_messages(inbox) == 4
    engine.close()
    other.logout()


def test_connection_dropped_mid_fetch_resumes_without_duplicates(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.store.bulk_append(
        user.login, "INBOX", [(message(i), [], None) for i in range(1, 301)]
    )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.first_batch, engine.batch = 50, 50
    fault = mail_server.faults.add(protocol="imap", kind="drop", command="FETCH", times=1)
    result = engine.sync()
    assert fault.hits == 1
    assert result.failures == []
    inbox = store.folder_id("test", "INBOX")
    assert store.count_messages(inbox) == 300
    assert sorted(store.uids(inbox)) == list(range(1, 301))
    # and a second drop during a later pass (new mail arriving) also heals
    for i in range(301, 311):
        mail_server.deliver(user, message(i))
    mail_server.faults.add(protocol="imap", kind="drop", command="FETCH", times=1)
    engine.drop_connection()  # the next pass opens a new connection, which gets the fault
    assert engine.sync().failures == []
    assert sorted(store.uids(inbox)) == list(range(1, 311))
    engine.close()


def test_interrupted_first_sync_fills_the_holes_later(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.store.bulk_append(
        user.login, "INBOX", [(message(i), [], None) for i in range(1, 251)]
    )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.first_batch, engine.batch = 100, 100
    seen: list[int] = []

    def stop_after_first_batch(folder: str, done: int, total: int) -> None:
        seen.append(done)
        if folder == "INBOX" and done == 100:
            raise KeyboardInterrupt  # the user quits mid-sync

    engine.progress = stop_after_first_batch
    try:
        engine.sync_folder("INBOX")
    except KeyboardInterrupt:
        pass
    inbox = store.folder_id("test", "INBOX")
    # the newest page is there already
    assert store.uids(inbox) == list(range(151, 251))
    engine.progress = None
    engine.sync()
    assert store.uids(inbox) == list(range(1, 251))
    engine.close()


def test_connection_cut_in_the_middle_of_a_response(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.store.bulk_append(
        user.login,
        "INBOX",
        [(message(i), ["\\Seen"] if i % 2 else [], None) for i in range(1, 401)],
    )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.first_batch, engine.batch = 100, 100
    # the server stops sending after 30 kB: half-way through a FETCH literal
    fault = mail_server.faults.add(protocol="imap", kind="drop", after_bytes=30_000, times=1)
    assert engine.sync().failures == []
    assert fault.hits == 1
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "INBOX")
    assert len(store.uids(store.folder_id("test", "INBOX"))) == 400
    engine.close()
    other.logout()


def test_folder_renumbered_with_the_same_count_is_rebuilt(mail_server, tmp_path) -> None:
    """Same number of messages, same UIDs 1..5, same flags, other messages: only the
    UIDVALIDITY change tells, and the cache must follow it (Message-IDs compared)."""
    user = mail_server.new_user()
    for i in range(1, 6):
        mail_server.deliver(user, message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    assert engine.sync().new == 5
    mail_server.store.remove(user.login, "INBOX", [1])
    mail_server.deliver(user, message(6))
    mail_server.store.reset_uidvalidity(user.login, "INBOX")  # now UIDs 1..5 = messages 2..6
    result = engine.sync()
    assert result.failures == []
    other = other_client(mail_server, user)
    assert sorted(server_state(other, "INBOX")) == [1, 2, 3, 4, 5]
    assert_cache_matches_server(store, other, "INBOX")
    engine.close()
    other.logout()
