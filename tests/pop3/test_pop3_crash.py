"""Kill a POP3 download with SIGKILL at random points, many times, against both test
beds: nothing lost, nothing duplicated, nothing deleted from the server that is not in
the store.

The child reports every POP3 command it sends, and every message committed, on a pipe;
the parent picks where to kill (after the k-th RETR, commit, DELE, or after QUIT, ...),
waits for that report, lets a random 0-4 ms pass (so the kill lands while the answer is
read, the message stored or a later command sent), and sends SIGKILL. The earliest point
of each kill is chosen by the parent, not by how fast the machine is, so every kind of
point is covered on every machine. After every kill the invariant is checked: every
message delivered is in the store or still on the server, and the store holds none twice.
Checked by mutation: committing after QUIT, or storing the message and its UIDL in two
transactions, fails this test on both beds.
"""

from __future__ import annotations

import os
import random
import signal
import time

from tests.pop3.helpers import message, pop3_account, server_count
from tuimail.core.pop3 import fetch, open_pop3
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store
from tuimail.core.tls import shared_mail_context

RUNS = 50
PER_RUN = 3  # every run has at least 3 messages to fetch (topped up before each run)
# Where a run is killed: after the k-th report of that kind (k <= PER_RUN always happens).
TARGETS = ["USER", "UIDL", "RETR", "COMMIT", "DELE", "QUIT"]


def _subject(raw: bytes) -> bytes:
    return raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0]


def run_child(account, password: str, path, report: int) -> int:
    """Fork a child that runs one fetch, reporting on the pipe `report`; its pid."""
    pid = os.fork()
    if pid != 0:
        return pid
    try:  # child: never returns into pytest

        def connect(acc):
            conn = open_pop3(acc)
            send = conn._putcmd

            def putcmd(line: str) -> None:
                os.write(report, line.split(" ", 1)[0].encode() + b"\n")
                send(line)

            conn._putcmd = putcmd  # type: ignore[method-assign]
            return conn

        def committed(_done: int, _total: int) -> None:
            os.write(report, b"COMMIT\n")

        fetch(account, password, StorePop3State(Store(path)), connect=connect, progress=committed)
        os.write(report, b"END\n")
        os._exit(0)
    except BaseException:
        os._exit(1)


def kill_at(pid: int, events, kind: str, nth: int, delay: float) -> str:
    """Read reports until the `nth` of `kind`, wait `delay`, SIGKILL; the last report
    read ("END" if the child finished first)."""
    seen = 0
    last = ""
    for line in events:
        last = line.strip()
        if last == "END":
            break
        if last == kind:
            seen += 1
            if seen == nth:
                time.sleep(delay)
                os.kill(pid, signal.SIGKILL)
                break
    os.waitpid(pid, 0)
    return last


def stored_subjects(path) -> list[bytes]:
    store = Store(path)
    try:
        state = StorePop3State(store)
        rows = store.message_rows(state.inbox("pop"), 0, 100_000, sort="uid")
        return [_subject(store.body(row.id)) for row in rows]
    finally:
        store.close()


def test_sigkill_during_downloads_loses_and_duplicates_nothing(mail_peer, tmp_path):
    rng = random.Random(20261122)
    user = mail_peer.new_user()
    account = pop3_account(mail_peer, user, leave_on_server=False)
    path = tmp_path / "store.sqlite3"
    # Schema created before the first kill; the parent holds no SQLite connection
    # across fork() (SQLite forbids that: the child would inherit its lock state).
    stored_subjects(path)
    # The TLS context built once here, as the app builds it once per process: every child
    # inherits it instead of loading the trust store again (~50 ms of each run).
    incoming = account.incoming
    shared_mail_context("pop3", incoming.security, account.ca_file, incoming.pinned_sha256)
    padding = b"".join(b"line %d of padding\r\n" % i for i in range(400))
    delivered: set[bytes] = set()
    waiting: set[bytes] = set()  # on the server and not in the store: what a run fetches
    landed: dict[str, int] = {}
    for run in range(RUNS):
        # Topped up, not PER_RUN more each time: a run killed before it downloaded left
        # its messages to fetch (each delivery to Dovecot is a doveadm process, ~70 ms).
        for _ in range(PER_RUN - len(waiting)):
            n = len(delivered)
            mail_peer.deliver(user, message(n, padding))
            delivered.add(b"message %d" % n)
        kind = TARGETS[run % len(TARGETS)]
        nth = 1 if kind in ("USER", "UIDL", "QUIT") else rng.randint(1, PER_RUN)
        read, write = os.pipe()
        try:
            pid = run_child(account, user.password, path, write)
        finally:
            os.close(write)  # the parent's end: EOF once the child is gone
        with os.fdopen(read, "r") as events:
            last = kill_at(pid, events, kind, nth, rng.uniform(0.0, 0.004))
        landed[last] = landed.get(last, 0) + 1

        # The invariant, at every kill: nothing lost, nothing twice, nothing invented.
        here = stored_subjects(path)
        there = {_subject(raw) for raw in mail_peer.messages(user)}
        assert len(here) == len(set(here)), f"run {run}: a message was stored twice"
        assert delivered <= set(here) | there, (
            f"run {run} (killed after {kind} {nth}): deleted from the server but not stored: "
            f"{sorted(delivered - set(here) - there)}"
        )
        assert set(here) | there <= delivered
        waiting = there - set(here)

    # The kills landed where they were aimed: before any download, during downloads and
    # commits, between DELEs (nothing deleted without QUIT) and after QUIT.
    assert {"USER", "UIDL", "RETR", "COMMIT", "DELE", "QUIT"} <= set(landed), landed

    # One clean pass finishes the job: every message once, the server empty.
    state = StorePop3State(Store(path))
    assert state.store.integrity_check() == "ok"
    fetch(account, user.password, state)
    rows = state.store.message_rows(state.inbox("pop"), 0, 100_000, sort="uid")
    subjects = [_subject(state.store.body(row.id)) for row in rows]
    assert len(subjects) == len(set(subjects)), "a message was stored twice"
    assert set(subjects) == delivered, "a message was lost"
    assert server_count(mail_peer, user) == 0
    state.store.close()
