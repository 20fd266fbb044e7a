"""A user action is not blocked behind a whole multi-folder sync pass (issue 13): while a
slow pass runs over many folders, flagging a message reaches the server after at most the
folder step under way, long before the pass ends."""

from __future__ import annotations

import threading

from tests.imap.helpers import message
from tests.service.helpers import runtime_for, wait_for

FOLDERS = [f"Lists/list{n}" for n in range(8)]


def test_a_flag_reaches_the_server_before_the_running_pass_ends(mail_server, tmp_path):
    user = mail_server.new_user()
    mail_server.deliver(user, message(0, "flag me"))
    for n, name in enumerate(FOLDERS):
        mail_server.store.create_folder(user.login, name)
        mail_server.deliver(user, message(n + 1), folder=name)
    runtime, events = runtime_for(mail_server, user, tmp_path)
    try:
        assert runtime.sync(), runtime.state
        inbox = runtime.store.folder_id("test", "INBOX")
        (row,) = runtime.store.message_rows(inbox, 0, 10)
        for n, name in enumerate(FOLDERS):  # work for every folder in the next pass
            mail_server.deliver(user, message(n + 20), folder=name)
        # Every answer of the server now takes a while: the pass is slow.
        mail_server.faults.add(protocol="imap", kind="delay", delay=0.05)
        runtime._drop_engines()  # the next connection gets the fault
        seen = len(events.events)
        done = threading.Event()
        passing = threading.Thread(target=lambda: (runtime.sync(), done.set()))
        passing.start()
        # The pass is under way (its first folder reported) with most folders to go.
        assert wait_for(lambda: any(e.kind == "messages" for e in events.events[seen:]), timeout=60)
        runtime.actions.flag([row.id])
        runtime.flush()  # waits for the step under way, then goes first
        assert not done.is_set(), "the flag waited for the whole pass"
        flags = mail_server.store.messages(user.login, "INBOX")[0].flags
        assert "\\Flagged" in flags
        passing.join(120)
        assert done.is_set()
    finally:
        mail_server.faults.clear()
        runtime.close()
