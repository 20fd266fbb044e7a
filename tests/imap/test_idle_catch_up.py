"""What IDLE announces is applied directly on the selected folder (issue 19), against the
bundled server and (interop) the private Dovecot, both with CONDSTORE and QRESYNC: a flag
set by another client, an expunge (VANISHED) and new mail alike, with no SELECT/EXAMINE,
no STATUS (Dovecot counts a big folder for it) and no read of every UID's flags from the
store; the store then equals the server. Over real sockets; the client's own commands
and store reads are counted. Without QRESYNC or CONDSTORE, and the fallback's races:
tests/imap/test_idle_direct.py."""

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
from tuimail.core.imap.idle import NewMail


def test_idle_news_is_applied_without_selecting_again_or_reading_every_flag(
    mail_peer, tmp_path
) -> None:
    user = mail_peer.new_user()
    for i in range(1, 21):
        mail_peer.deliver(user, message(i, "old"))
    watched = start_watching(mail_peer, user, tmp_path)
    store, recorder, log = watched.store, watched.recorder, watched.log
    other = other_client(mail_peer, user)
    try:
        folder = store.folder_id("test", "INBOX")
        mark, reads = len(log.names), len(watched.whole_folder_reads)
        other.select_folder("INBOX")
        # Each step waits for the watcher to be back in IDLE: news that comes while it
        # runs its own commands is applied too, but by the fallback (a folder sync).
        flagged = other.search(["SUBJECT", "old 3"])[0]
        other.add_flags([flagged], [b"\\Flagged"])  # IDLE: an untagged FETCH (FLAGS MODSEQ)
        until(lambda: "\\Flagged" in (inbox_flags(store, flagged) or ""))
        # The list is told to re-read (a NewMail without rows: the runtime's "messages").
        recorder.wait_for(lambda e: isinstance(e, NewMail) and not e.messages, timeout=20)
        recorder.wait_for(is_idle, timeout=20)
        gone = other.search(["SUBJECT", "old 7"])[0]
        other.delete_messages([gone])
        until(lambda: "\\Deleted" in (inbox_flags(store, gone) or ""))
        recorder.wait_for(is_idle, timeout=20)
        other.expunge()  # IDLE: VANISHED (QRESYNC)
        until(lambda: inbox_flags(store, gone) is None)
        recorder.wait_for(is_idle, timeout=20)
        mail_peer.deliver(user, message(21, "pushed"))  # IDLE: EXISTS
        event = recorder.wait_for(lambda e: isinstance(e, NewMail) and e.messages, timeout=20)
        assert [r.subject for r in event.messages] == ["pushed 21"]
        sent = log.since(mark)
        reselects = [name for name in sent if name in RESELECTS]
        assert (reselects, watched.whole_folder_reads[reads:]) == ([], []), sent
        assert store.count_messages(folder) == 20
        assert_cache_matches_server(store, other, "INBOX")
    finally:
        other.logout()
        watched.watcher.stop()
