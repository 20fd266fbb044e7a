"""The watched folder renumbered on the server (a new UIDVALIDITY, other UIDs) while
tuimail idles on it: its list is rebuilt and re-read, but the messages it had are not
announced as new mail again (each ran `tuimail watch --exec` and rang the bell); a
message that really is new is, once."""

from __future__ import annotations

from tests.imap.helpers import Recorder, account_for, is_idle, message, tmp_store, until
from tuimail.core.imap.idle import AccountWatcher
from tuimail.core.imap.session import connector
from tuimail.core.store import NewMessage


def test_a_renumbered_folder_is_not_announced_as_new_mail(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(user, message(i, "old"))
    account = account_for(mail_server, user)
    store = tmp_store(tmp_path)
    watcher = AccountWatcher(
        store, account, connector(account, user.password, timeout=5), backoff_start=0.1
    )
    recorder = Recorder()
    watcher.subscribe(recorder)
    watcher.start()
    try:
        recorder.wait_for(is_idle)
        assert sorted(recorder.new) == ["old 1", "old 2", "old 3"]
        # a message of another folder stored since: INBOX's rows come back above it
        other = store.upsert_folder("test", "Archive")
        store.add_messages(other, [NewMessage(1, (), message(9, "archived").split(b"\r\n\r\n")[0])])
        mail_server.store.remove(user.login, "INBOX", [1])
        mail_server.deliver(user, message(4, "new"))  # told before or after: once
        validity = mail_server.store.reset_uidvalidity(user.login, "INBOX")  # 1..3: 2, 3, 4
        inbox = store.folder_id("test", "INBOX")
        recorder.wait_for(lambda e: store.folder(inbox).uidvalidity == validity and is_idle(e))
        until(lambda: "new 4" in recorder.new, 10, "the new message was never told")
        assert sorted(recorder.new) == ["new 4", "old 1", "old 2", "old 3"]  # each once
        assert sorted(store.uids(inbox)) == [1, 2, 3]
    finally:
        watcher.stop()
