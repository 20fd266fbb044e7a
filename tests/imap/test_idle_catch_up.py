"""New mail announced by IDLE is applied directly (issue 19): no STATUS to find out whether
the folder changed (the server just said so; Dovecot counts a big folder for STATUS), and
no load of every UID's flags for a CONDSTORE answer about a few messages. Over real
sockets against the bundled server; the client's own commands and store reads are counted."""

from __future__ import annotations

from tests.imap.helpers import CommandLog, Recorder, account_for, is_idle, message, tmp_store
from tuimail.core.imap.idle import AccountWatcher, NewMail
from tuimail.core.imap.session import connector


def test_idle_new_mail_needs_no_status_and_no_whole_folder_flags(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    for i in range(1, 31):
        mail_server.deliver(user, message(i, "old"))
    account = account_for(mail_server, user)
    store = tmp_store(tmp_path)
    log = CommandLog(connector(account, user.password, timeout=5))
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
    try:
        recorder.wait_for(lambda e: isinstance(e, NewMail))
        recorder.wait_for(is_idle)
        mark, reads = len(log.names), len(whole_folder_reads)
        mail_server.deliver(user, message(31, "pushed"))
        event = recorder.wait_for(lambda e: isinstance(e, NewMail), timeout=15)
        assert [r.subject for r in event.messages] == ["pushed 31"]
        sent = log.since(mark)
        # Neither a STATUS nor a read of every UID's flags (both reported when they fail).
        assert ("STATUS" in sent, whole_folder_reads[reads:]) == (False, []), sent
        assert store.count_messages(store.folder_id("test", "INBOX")) == 31
    finally:
        watcher.stop()
