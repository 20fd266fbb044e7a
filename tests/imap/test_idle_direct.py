"""What IDLE announces on the selected folder, where the direct path cannot do it all
(issue 19): EXPUNGE by message number (no QRESYNC) falls back to a full sync of the folder;
without CONDSTORE new mail is still applied without SELECT/EXAMINE or STATUS; with
download_bodies a pushed message is cached and searchable; mail between the fallback's
sync and its EXAMINE is not lost. With CONDSTORE and QRESYNC, against the bundled server
and Dovecot: tests/imap/test_idle_catch_up.py; a garbled update:
tests/hostile/test_idle_garbled.py. Real sockets against the bundled server; the store is
compared with the server's own state."""

from __future__ import annotations

from tests.imap.helpers import (
    RESELECTS,
    assert_cache_matches_server,
    inbox_flags,
    is_idle,
    message,
    other_client,
    start_watching,
    until,
)
from tuimail.core.imap.idle import FolderWatcher, NewMail


def _start(peer, user, tmp_path, **options):
    watched = start_watching(peer, user, tmp_path, **options)
    return watched.watcher, watched.recorder, watched.store, watched.log


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
        until(lambda: inbox_flags(store, 2) is None and inbox_flags(store, 6) is None)
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
        until(lambda: store.body(row.id) is not None)
        assert store.body(row.id).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
        until(lambda: [r.uid for r in store.search("zanzibarian")] == [row.uid])
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
        until(lambda: "\\Flagged" in (inbox_flags(store, 2) or ""))
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
        until(lambda: racing and inbox_flags(store, 6) is not None)
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watcher.stop()
