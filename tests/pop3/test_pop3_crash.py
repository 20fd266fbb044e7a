"""Kill a POP3 download with SIGKILL at random points, many times: nothing lost, nothing
duplicated, nothing deleted from the server that is not in the store."""

from __future__ import annotations

import os
import random
import signal
import time

from tests.pop3.test_pop3_fetch import message, pop3_account
from tuimail.core.pop3 import fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store

RUNS = 50


def run_child(account, password, path) -> int:
    """Fork a child that runs one fetch; returns its pid."""
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        try:
            fetch(account, password, StorePop3State(Store(path)))
            os._exit(0)
        except BaseException:
            os._exit(1)
    return pid


def test_sigkill_during_downloads_loses_and_duplicates_nothing(mail_server, tmp_path):
    rng = random.Random(20261122)
    user = mail_server.new_user()
    account = pop3_account(mail_server, user, leave_on_server=False)
    path = tmp_path / "store.sqlite3"
    # Schema created before the first kill; the parent holds no SQLite connection
    # across fork() (SQLite forbids that: the child would inherit its lock state).
    Store(path).close()
    StorePop3State(setup := Store(path))
    setup.close()
    padding = b"".join(b"line %d of padding\r\n" % i for i in range(400))
    delivered = 0
    killed = 0
    for _run in range(RUNS):
        for _ in range(3):
            mail_server.deliver(user, message(delivered, padding))
            delivered += 1
        pid = run_child(account, user.password, path)
        time.sleep(rng.uniform(0.0, 0.12))
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)

    # Whatever was on the server at each kill, every message now on the server is
    # either already stored or still waiting; one clean pass finishes the job.
    state = StorePop3State(Store(path))
    assert state.store.integrity_check() == "ok"
    fetch(account, user.password, state)

    folder = state.inbox("pop")
    rows = state.store.message_rows(folder, 0, 100_000, sort="uid")
    subjects = [state.store.body(row.id).split(b"Subject: ")[1].split(b"\r\n")[0] for row in rows]
    assert len(subjects) == len(set(subjects)), "a message was stored twice"
    assert sorted(subjects) == sorted(b"message %d" % n for n in range(delivered)), (
        "a message was lost"
    )
    assert mail_server.messages(user) == []
    assert killed > RUNS // 2, "the kills should land while downloads run"
