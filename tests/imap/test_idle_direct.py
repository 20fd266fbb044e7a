"""What IDLE announces is applied on the selected folder (issue 19): flag changes, expunges
(VANISHED with QRESYNC) and new mail, with no SELECT/EXAMINE, STATUS or whole-folder read;
EXPUNGE by message number (no QRESYNC) falls back to a full sync of the folder; a garbled
update: tests/hostile/test_idle_garbled.py. Real sockets
against the bundled server; the store is compared with the server's own state."""

from __future__ import annotations

import time

from tests.imap.helpers import (
    CommandLog,
    Recorder,
    account_for,
    assert_cache_matches_server,
    is_idle,
    message,
    other_client,
    tmp_store,
)
from tuimail.core.imap.idle import AccountWatcher, FolderWatcher, NewMail
from tuimail.core.imap.session import connector

RESELECTS = ("SELECT", "EXAMINE", "STATUS")


def _start(peer, user, tmp_path, **options):
    account = account_for(peer, user, **options)
    store = tmp_store(tmp_path)
    log = CommandLog(connector(account, user.password, timeout=5))
    watcher = AccountWatcher(store, account, log, backoff_start=0.1, backoff_max=1.0)
    recorder = Recorder()
    watcher.subscribe(recorder)
    watcher.start()
    recorder.wait_for(lambda e: isinstance(e, NewMail), timeout=15)
    recorder.wait_for(is_idle, timeout=15)
    return watcher, recorder, store, log


def _until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the store never caught up")
        time.sleep(0.02)


def _flags(store, uid: int) -> str | None:
    row = store.conn.execute(
        "SELECT m.flags FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.name = 'INBOX' AND m.uid = ?",
        (uid,),
    ).fetchone()
    return row[0] if row else None


def test_flags_expunges_and_new_mail_are_applied_without_selecting_again(
    mail_server, tmp_path
) -> None:
    user = mail_server.new_user()
    for i in range(1, 11):
        mail_server.deliver(user, message(i, "old"))
    watcher, recorder, store, log = _start(mail_server, user, tmp_path)
    other = other_client(mail_server, user)
    try:
        mark = len(log.names)
        other.select_folder("INBOX")
        # Each step waits for the watcher to be back in IDLE: news that comes while it
        # runs its own commands is applied too, but by the fallback (a folder sync).
        other.add_flags([3], [b"\\Flagged"])
        _until(lambda: "\\Flagged" in (_flags(store, 3) or ""))
        # The list is told to re-read (a NewMail without rows: the runtime's "messages").
        recorder.wait_for(lambda e: isinstance(e, NewMail) and not e.messages)
        recorder.wait_for(is_idle)
        other.delete_messages([5])
        _until(lambda: "\\Deleted" in (_flags(store, 5) or ""))
        recorder.wait_for(is_idle)
        other.expunge()
        _until(lambda: _flags(store, 5) is None)
        recorder.wait_for(is_idle)
        mail_server.deliver(user, message(11, "pushed"))
        event = recorder.wait_for(lambda e: isinstance(e, NewMail) and e.messages, timeout=15)
        assert [r.subject for r in event.messages] == ["pushed 11"]
        sent = log.since(mark)
        assert [name for name in sent if name in RESELECTS] == [], sent
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watcher.stop()


def test_expunge_by_message_number_falls_back_to_a_folder_sync(mail_server, tmp_path) -> None:
    """Without QRESYNC an expunge comes as `* n EXPUNGE` (a message number, not a UID):
    the folder is synced again rather than guessing which message went."""
    user = mail_server.new_user()
    for i in range(1, 8):
        mail_server.deliver(user, message(i, "old"))
    watcher, recorder, store, log = _start(mail_server, user, tmp_path, use_qresync=False)
    other = other_client(mail_server, user)
    try:
        other.select_folder("INBOX")
        other.delete_messages([2, 6])
        other.expunge()
        _until(lambda: _flags(store, 2) is None and _flags(store, 6) is None)
        mail_server.deliver(user, message(8, "after"))
        recorder.wait_for(lambda e: isinstance(e, NewMail) and e.messages, timeout=15)
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watcher.stop()


def test_with_download_bodies_a_pushed_message_is_cached_and_searchable(
    mail_server, tmp_path
) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "old"))
    watcher, recorder, store, _log = _start(mail_server, user, tmp_path, download_bodies=True)
    try:
        raw = message(2, "pushed").replace(b"Body of 2.", b"a zanzibarian word")
        mail_server.deliver(user, raw)
        event = recorder.wait_for(lambda e: isinstance(e, NewMail) and e.messages, timeout=15)
        (row,) = event.messages
        _until(lambda: store.body(row.id) is not None)
        assert store.body(row.id).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
        _until(lambda: [r.uid for r in store.search("zanzibarian")] == [row.uid])
    finally:
        watcher.stop()


def test_without_condstore_new_mail_comes_without_reading_every_flag(mail_server, tmp_path) -> None:
    """No CONDSTORE: new mail is still one UID FETCH on the selected folder (before: a
    SELECT, the FLAGS of every message, a SELECT again); a flag change is read by the
    folder sync, every flag (there is nothing cheaper without CONDSTORE)."""
    user = mail_server.new_user()
    for i in range(1, 6):
        mail_server.deliver(user, message(i, "old"))
    watcher, recorder, store, log = _start(mail_server, user, tmp_path, use_condstore=False)
    other = other_client(mail_server, user)
    try:
        mark = len(log.names)
        mail_server.deliver(user, message(6, "pushed"))
        event = recorder.wait_for(lambda e: isinstance(e, NewMail) and e.messages, timeout=15)
        assert [r.subject for r in event.messages] == ["pushed 6"]
        recorder.wait_for(is_idle)
        sent = log.since(mark)
        assert [name for name in sent if name in RESELECTS] == [], sent
        other.select_folder("INBOX")
        other.add_flags([2], [b"\\Flagged"])
        _until(lambda: "\\Flagged" in (_flags(store, 2) or ""))
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watcher.stop()


def test_mail_between_the_fallback_sync_and_its_examine_is_not_lost(
    mail_server, tmp_path, monkeypatch
) -> None:
    """The fallback (a folder sync, then EXAMINE for the count) met mail that arrived
    between the two: EXAMINE counted it, so IDLE never announced it again, and it stayed
    missing until the next poll (seen against Dovecot with a burst of 200 mails by SMTP)."""
    user = mail_server.new_user()
    for i in range(1, 6):
        mail_server.deliver(user, message(i, "old"))
    watcher, recorder, store, log = _start(mail_server, user, tmp_path, use_qresync=False)
    catch_up = FolderWatcher._catch_up
    racing = []

    def catch_up_then_new_mail(self, engine, changed=False):
        catch_up(self, engine, changed)
        if changed and not racing:  # the fallback's sync is done, its EXAMINE is next
            racing.append(True)
            mail_server.deliver(user, message(6, "between"))

    monkeypatch.setattr(FolderWatcher, "_catch_up", catch_up_then_new_mail)
    other = other_client(mail_server, user)
    try:
        other.select_folder("INBOX")
        other.delete_messages([2])
        other.expunge()  # EXPUNGE by number: the fallback
        _until(lambda: racing and _flags(store, 6) is not None)
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watcher.stop()
