"""The account runtime (the app's) says when a folder's UIDVALIDITY changed: a "warning"
event for that folder, worded at the edge; the account stays online (nothing failed)."""

from __future__ import annotations

from tests.imap.helpers import message
from tests.service.helpers import runtime_for
from tuimail.core.retry import Phase
from tuimail.words.status import event


def test_a_new_uidvalidity_is_said_as_a_warning_for_its_folder(mail_server, tmp_path):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    runtime, events = runtime_for(mail_server, user, tmp_path)
    try:
        assert runtime.start()
        mail_server.store.bump_uidvalidity(user.login, "INBOX")
        assert runtime.sync()
        [warning] = [e for e in events.events if e.kind == "warning"]
        assert (warning.folder, warning.note) == ("INBOX", "uidvalidity-same-messages")
        assert event(warning) == (
            "INBOX: the server gave this folder a new UIDVALIDITY, but its messages kept "
            "their numbers (checked by Message-ID): the local copy was kept"
        )
        assert runtime.phase is Phase.ONLINE
    finally:
        runtime.close()
