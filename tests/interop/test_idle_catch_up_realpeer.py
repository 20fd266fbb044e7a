"""Against the private Dovecot (CONDSTORE and QRESYNC offered): what IDLE announces is
applied directly on the selected folder (issue 19): a flag set by another client, an
expunge (VANISHED) and a new message alike, with no SELECT/EXAMINE, no STATUS and no read
of every UID's flags from the store; the store then equals the server."""

from __future__ import annotations

import time

import pytest

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
from tuimail.core.imap.idle import AccountWatcher, NewMail
from tuimail.core.imap.session import connector

pytestmark = pytest.mark.interop


def _until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the store never caught up")
        time.sleep(0.05)


def _flags(store, folder: int, uid: int) -> str:
    row = store.conn.execute(
        "SELECT flags FROM messages WHERE folder_id = ? AND uid = ?", (folder, uid)
    ).fetchone()
    return row[0] if row else ""


def test_idle_changes_applied_without_status_or_whole_folder_reads(dovecot_peer, tmp_path):
    user = dovecot_peer.new_user()
    for i in range(1, 21):
        dovecot_peer.deliver(user, message(i, "old"))
    account = account_for(dovecot_peer, user)
    store = tmp_store(tmp_path)
    log = CommandLog(connector(account, user.password, timeout=10))
    watcher = AccountWatcher(store, account, log, backoff_start=0.1, backoff_max=1.0)
    recorder = Recorder()
    watcher.subscribe(recorder)
    whole_folder_reads: list[int] = []
    uid_flags = store.uid_flags

    def counting_uid_flags(folder_id, uids=None):
        if uids is None:
            whole_folder_reads.append(folder_id)
            return uid_flags(folder_id)
        return uid_flags(folder_id, uids)

    store.uid_flags = counting_uid_flags
    watcher.start()
    other = other_client(dovecot_peer, user)
    try:
        recorder.wait_for(lambda e: isinstance(e, NewMail), timeout=20)
        recorder.wait_for(is_idle, timeout=20)
        folder = store.folder_id("test", "INBOX")
        mark, reads = len(log.names), len(whole_folder_reads)
        other.select_folder("INBOX")
        uid = other.search(["SUBJECT", "old 3"])[0]
        other.add_flags([uid], [b"\\Flagged"])  # IDLE: an untagged FETCH (FLAGS MODSEQ)
        _until(lambda: "\\Flagged" in _flags(store, folder, uid))
        # Each step waits for the watcher to be back in IDLE: news that comes during its
        # own commands is applied too, but by the fallback (a folder sync).
        recorder.wait_for(is_idle, timeout=20)
        gone = other.search(["SUBJECT", "old 7"])[0]
        other.delete_messages([gone])
        _until(lambda: "\\Deleted" in _flags(store, folder, gone))
        recorder.wait_for(is_idle, timeout=20)
        other.expunge()  # IDLE: VANISHED (QRESYNC)
        _until(lambda: store.count_messages(folder) == 19)
        recorder.wait_for(is_idle, timeout=20)
        dovecot_peer.deliver(user, message(21, "pushed"))  # IDLE: EXISTS
        event = recorder.wait_for(
            lambda e: isinstance(e, NewMail) and e.messages and e.messages[0].uid, timeout=20
        )
        assert [r.subject for r in event.messages] == ["pushed 21"]
        sent = log.since(mark)
        reselects = [name for name in sent if name in ("SELECT", "EXAMINE", "STATUS")]
        assert (reselects, whole_folder_reads[reads:]) == ([], []), sent
        assert store.count_messages(folder) == 20
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watcher.stop()
