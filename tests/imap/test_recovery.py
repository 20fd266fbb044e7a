"""UIDVALIDITY changes and dropped connections (bundled server faults)."""

from __future__ import annotations

import json
import re

from tests.imap.helpers import (
    assert_cache_matches_server,
    engine_for,
    message,
    other_client,
    server_state,
    tmp_store,
)
from testserver.peer import PeerUser
from tuimail.core.errors import error_from_record
from tuimail.core.imap.actions import MailActions
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store
from tuimail.words.describe import describe
from tuimail.words.where import failure


def _synced(
    mail_server, tmp_path, count: int, *, without_message_id: bool = False, **options
) -> tuple[PeerUser, Store, SyncEngine, int]:
    """A new user with messages 1..`count` in INBOX (without their Message-ID when asked),
    synced once into a new store by an engine with `options`: (user, store, engine, the
    INBOX's id in the store)."""
    user = mail_server.new_user()
    for i in range(1, count + 1):
        raw = message(i)
        if without_message_id:
            raw = re.sub(rb"Message-ID: [^\r]*\r\n", b"", raw)
        mail_server.deliver(user, raw)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store, **options)
    assert engine.sync().new == count
    return user, store, engine, store.folder_id("test", "INBOX")


def test_uidvalidity_change_rebuilds_and_replays_old_actions_by_message_id(
    mail_server, tmp_path
) -> None:
    """The server renumbers the folder (other messages at the stored UIDs): the cache is
    rebuilt, and a change queued on the old UIDs reaches its own message (found by
    Message-ID), never whatever now has that UID; one on a message gone does nothing."""
    user, store, engine, inbox = _synced(mail_server, tmp_path, 5)
    by_uid = {r.uid: r.id for r in store.message_rows(inbox, 0, 10)}
    # Queue changes on the old UIDs, then the server renumbers the folder.
    MailActions(store, engine.account).flag([by_uid[1], by_uid[3]])
    mail_server.store.remove(user.login, "INBOX", [1])
    new_validity = mail_server.store.reset_uidvalidity(user.login, "INBOX")  # 1..4: 2..5
    result = engine.sync()
    assert result.failures == [] and result.refused_actions == []
    assert [f.renumbered for f in result.folders if f.folder == "INBOX"] == ["rebuilt"]
    assert result.as_dict()["renumbered"] == [{"folder": "INBOX", "reason": "rebuilt"}]
    assert store.folder(inbox).uidvalidity == new_validity
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "INBOX")
    flagged = {u for u, flags in server_state(other, "INBOX").items() if "\\Flagged" in flags}
    assert flagged == {2}  # message 3, now UID 2 (UID 3 is message 4)
    assert store.actions("test") == [] and store.actions("test", "failed") == []
    assert store.count_messages(inbox) == 4
    engine.close()
    other.logout()


def test_an_action_with_no_message_id_to_find_fails_after_a_renumbering(
    mail_server, tmp_path
) -> None:
    """A queued change whose messages have no Message-ID cannot be found again after the
    folder was renumbered: it fails with a sentence, and is applied to nothing."""
    user, store, engine, inbox = _synced(mail_server, tmp_path, 3, without_message_id=True)
    MailActions(store, engine.account).flag([store.message_rows(inbox, 0, 10)[0].id])
    mail_server.store.reset_uidvalidity(user.login, "INBOX")
    result = engine.sync()
    assert len(result.refused_actions) == 1 and "UIDVALIDITY" in failure(result.refused_actions[0])
    failed = store.actions("test", "failed")
    # The store keeps the typed error's record (JSON), not a repr: its sentence is made
    # from it at the edge.
    record = json.loads(failed[0].error)
    assert len(failed) == 1 and record["reason"] == "renumbered"
    assert "UIDVALIDITY" in describe(error_from_record(record))
    other = other_client(mail_server, user)
    assert not any("\\Flagged" in flags for flags in server_state(other, "INBOX").values())
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
    assert result.failures == [] and result.new == 300
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
    result = engine.sync()
    assert result.failures == []
    assert fault.hits == 1
    assert result.new == 400  # each once, stored by the try cut short or by the next one
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "INBOX")
    assert len(store.uids(store.folder_id("test", "INBOX"))) == 400
    engine.close()
    other.logout()


def test_folder_renumbered_with_the_same_count_is_rebuilt(mail_server, tmp_path) -> None:
    """Same number of messages, same UIDs 1..5, same flags, other messages: only the
    UIDVALIDITY change tells, and the cache must follow it (Message-IDs compared)."""
    user, store, engine, _ = _synced(mail_server, tmp_path, 5)
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


def test_a_uidvalidity_change_without_renumbering_keeps_the_cache(mail_server, tmp_path) -> None:
    """A server that gives the folder a new UIDVALIDITY at every session but keeps its
    UIDs (mbsync: "Recovered from change of UIDVALIDITY"): the messages at the stored
    UIDs are the same (Message-IDs of a sample), so nothing is fetched again, the rows
    (and their local ids) stay, and a queued change is applied; said each time."""
    user, store, engine, inbox = _synced(mail_server, tmp_path, 5)
    ids = {r.uid: r.id for r in store.message_rows(inbox, 0, 10)}
    MailActions(store, engine.account).flag([ids[2]])
    for _ in range(3):
        validity = mail_server.store.bump_uidvalidity(user.login, "INBOX")
        engine.drop_connection()  # (a new session)
        result = engine.sync()
        assert result.failures == [] and result.refused_actions == [] and result.new == 0
        [folder] = [f for f in result.folders if f.folder == "INBOX"]
        assert (folder.renumbered, folder.rebuilt) == ("same-messages", False)
        assert store.folder(inbox).uidvalidity == validity
        assert {r.uid: r.id for r in store.message_rows(inbox, 0, 10)} == ids
    other = other_client(mail_server, user)
    flagged = {u for u, flags in server_state(other, "INBOX").items() if "\\Flagged" in flags}
    assert flagged == {2}
    assert_cache_matches_server(store, other, "INBOX")
    engine.close()
    other.logout()


def test_a_renumbering_that_moves_only_a_few_messages_is_never_taken_for_the_same(
    mail_server, tmp_path
) -> None:
    """60 messages; one near the end is deleted and the folder renumbered (each later
    message now has the UID of the one before it). Checking a sample of the stored UIDs
    (the first 50 and the newest, gone now) found nothing wrong and kept the cache: the
    stored UID 55 then named a message the server no longer had while the server's UID 55
    held another one, which the user's next delete there would have destroyed. Every
    stored UID is checked: the folder is rebuilt and the cache matches the server."""
    user, store, engine, _ = _synced(mail_server, tmp_path, 60)
    mail_server.store.remove(user.login, "INBOX", [55])
    mail_server.store.reset_uidvalidity(user.login, "INBOX")  # 56..60 are now 55..59
    engine.drop_connection()
    result = engine.sync()
    assert result.failures == []
    [folder] = [f for f in result.folders if f.folder == "INBOX"]
    assert folder.renumbered == "rebuilt"
    other = other_client(mail_server, user)
    assert_cache_matches_server(store, other, "INBOX")
    engine.close()
    other.logout()


def test_a_folder_renumbered_at_every_session_does_not_grow_the_store(
    mail_server, tmp_path
) -> None:
    """Renumbered (other UIDs) before each of two passes: each is rebuilt and said, and
    the store holds the folder once: its messages, bodies and search rows, no more."""
    user, store, engine, inbox = _synced(mail_server, tmp_path, 5, download_bodies=True)

    def rows(table: str) -> int:
        return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    for i in range(6, 8):  # one message goes, one comes, the rest shift down a UID
        mail_server.store.remove(user.login, "INBOX", [1])
        mail_server.deliver(user, message(i))
        mail_server.store.reset_uidvalidity(user.login, "INBOX")
        result = engine.sync()
        assert [f.renumbered for f in result.folders if f.folder == "INBOX"] == ["rebuilt"]
        assert result.failures == []
        store.index_pending(budget=None)
        assert store.count_messages(inbox) == 5
        assert rows("bodies") == 5 and rows("messages_fts") <= rows("messages")
    engine.close()


def _two_copies_synced(mail_server, tmp_path):
    """A new user whose INBOX holds _two_copies, synced: (user, store, engine, the direct
    copy's row)."""
    user = mail_server.new_user()
    _two_copies(mail_server, user)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    assert engine.sync().new == 2
    inbox = store.folder_id("test", "INBOX")
    direct = next(r for r in store.message_rows(inbox, 0, 10) if r.subject == "direct copy")
    return user, store, engine, direct


def _server_subjects(other) -> list[str]:
    """The Subject lines of INBOX on the server, in UID order (`other`: other_client)."""
    other.select_folder("INBOX")
    return [
        d[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
        for d in other.fetch("1:*", ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]).values()
    ]


def _two_copies(mail_server, user) -> None:
    """INBOX: a message sent to the user directly and its list copy, one Message-ID."""
    for subject in ("direct copy", "[list] list copy"):
        mail_server.deliver(
            user,
            f"From: a@example.test\r\nTo: r@example.test\r\nSubject: {subject}\r\n"
            "Message-ID: <same@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
            f"\r\n{subject}\r\n".encode(),
        )


def test_a_delete_queued_before_a_new_uidvalidity_removes_its_own_copy_of_a_shared_message_id(
    mail_server, tmp_path
) -> None:
    """The direct copy and the list copy of one message share its Message-ID. The direct
    one is deleted offline, then the server gives INBOX a new UIDVALIDITY keeping its
    UIDs. The replay used to find the message by Message-ID, the newest having it: the
    list copy was expunged for good and the direct copy came back. The message deleted
    is the one with the queued Message-ID, size and arrival date: the direct copy."""
    user, store, engine, direct = _two_copies_synced(mail_server, tmp_path)
    MailActions(store, engine.account).purge([direct.id])
    mail_server.store.bump_uidvalidity(user.login, "INBOX")
    engine.drop_connection()
    result = engine.sync()
    assert result.failures == [] and result.refused_actions == []
    other = other_client(mail_server, user)
    assert _server_subjects(other) == ["Subject: [list] list copy"]
    engine.close()
    other.logout()


def test_after_a_real_renumbering_two_messages_alike_are_never_guessed_between(
    mail_server, tmp_path
) -> None:
    """The folder is really renumbered and the deleted message's Message-ID, size and
    arrival date are those of two messages (the same message delivered twice). Which one
    was meant cannot be told: neither is deleted (the newest was), and the change fails
    with its sentence."""
    from datetime import UTC, datetime

    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    same = b"Subject: twice\r\nMessage-ID: <twice@example.test>\r\n\r\nbody\r\n"
    when = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    for _ in range(2):
        mail_server.store.append(user.login, "INBOX", same, internaldate=when)
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    assert engine.sync().new == 3
    inbox = store.folder_id("test", "INBOX")
    first = next(r.id for r in store.message_rows(inbox, 0, 10) if r.subject == "twice")
    MailActions(store, engine.account).purge([first])
    mail_server.store.remove(user.login, "INBOX", [1])
    mail_server.store.reset_uidvalidity(user.login, "INBOX")  # the two are now 1 and 2
    engine.drop_connection()
    result = engine.sync()
    assert len(result.refused_actions) == 1
    other = other_client(mail_server, user)
    other.select_folder("INBOX")
    assert len(other.search("ALL")) == 2
    engine.close()
    other.logout()


def test_a_change_made_while_a_sync_rebuilds_the_folder_never_queues_old_uids_as_new(
    mail_server, tmp_path
) -> None:
    """The user flags a message in the moment a sync commits a rebuild of its folder (a
    new UIDVALIDITY). The rows were read before the change's transaction and the
    folder's UIDVALIDITY inside it: the change was queued with the old UIDs under the new
    UIDVALIDITY, and replayed as is, on whatever messages now have those UIDs. The rows
    are read within the transaction: the rebuilt folder's message is gone from the
    store, so nothing is queued for it."""
    from contextlib import contextmanager

    from tuimail.core.store import Store

    user = mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(user, message(i))
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    assert engine.sync().new == 3
    inbox = store.folder_id("test", "INBOX")
    first = store.message_rows(inbox, 0, 10)[0].id
    sync_thread = Store(store.path)  # the sync's own connection
    real, done = store.transaction, []

    @contextmanager
    def transaction():
        if not done:  # the sync's rebuild commits just before the change's transaction
            done.append(sync_thread.reset_folder(inbox, 999))
        with real() as c:
            yield c

    store.transaction = transaction
    MailActions(store, engine.account).flag([first])
    for action in store.actions("test"):
        assert action.payload["uidvalidity"] != 999 or not any(
            item[1] for item in action.payload["items"]
        ), action.payload
    engine.close()
    sync_thread.close()


def test_a_renumbering_that_swaps_two_copies_of_a_message_is_never_taken_for_the_same(
    mail_server, tmp_path
) -> None:
    """A message and its list copy share a Message-ID; the server renumbers the folder
    giving them each other's UIDs. Compared by Message-ID alone they passed for the same
    messages at the same UIDs, the cache was kept, and deleting the direct copy then
    expunged the list copy. Size and arrival date are compared too: the folder is
    rebuilt, and the delete removes the direct copy."""
    user = mail_server.new_user()
    for subject, day in (("direct copy", 1), ("[list] list copy", 2)):
        mail_server.deliver(
            user,
            f"From: a@example.test\r\nTo: r@example.test\r\nSubject: {subject}\r\n"
            "Message-ID: <same@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
            f"\r\n{subject} body {'x' * day * 50}\r\n".encode(),
        )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    assert engine.sync().new == 2
    inbox = store.folder_id("test", "INBOX")
    folder = mail_server.store.folder(user.login, "INBOX")
    with mail_server.store.lock:  # the same messages, their UIDs given the other way round
        folder.messages = dict(reversed(list(folder.messages.items())))
    mail_server.store.reset_uidvalidity(user.login, "INBOX")
    engine.drop_connection()
    result = engine.sync()
    assert [f.renumbered for f in result.folders if f.folder == "INBOX"] == ["rebuilt"]
    rows = store.message_rows(inbox, 0, 10)
    MailActions(store, engine.account).purge(
        [next(r.id for r in rows if r.subject == "direct copy")]
    )
    engine.sync()
    other = other_client(mail_server, user)
    assert _server_subjects(other) == ["Subject: [list] list copy"]
    engine.close()
    other.logout()


def test_a_change_whose_message_is_gone_is_never_applied_to_a_copy_with_its_message_id(
    mail_server, tmp_path
) -> None:
    """The user deletes the direct copy here; it is deleted on the phone too; the server
    then gives INBOX a new UIDVALIDITY (UIDs kept). The queued delete looked for its
    message by Message-ID, found one message holding it (the list copy) and expunged it
    for good. The message must also have the queued one's size and arrival date: none
    does, nothing is deleted."""
    user, store, engine, direct = _two_copies_synced(mail_server, tmp_path)
    MailActions(store, engine.account).purge([direct.id])
    mail_server.store.remove(user.login, "INBOX", [direct.uid])  # deleted on the phone too
    mail_server.store.bump_uidvalidity(user.login, "INBOX")
    engine.drop_connection()
    engine.sync()
    other = other_client(mail_server, user)
    other.select_folder("INBOX")
    assert len(other.search("ALL")) == 1  # the list copy is still there
    engine.close()
    other.logout()
