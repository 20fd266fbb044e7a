"""Header summaries made in a worker process (issue 19) are exactly the in-process ones:
for the corpus and hostile headers, and for a whole first sync on the bundled server
(worker for every batch vs none: the same rows); a dead worker is replaced by this
process and nothing is lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.corpus import CORPUS_FILES
from tests.isolation import hostile_mail
from tuimail.core.mime.headers import split_header_block
from tuimail.core.store.headers import summarize_header
from tuimail.core.store.worker import Summaries

MESSAGES = sorted((Path(__file__).resolve().parents[1] / "data" / "messages").glob("*.eml"))


def _headers() -> list[bytes]:
    raws = [p.read_bytes() for p in [*CORPUS_FILES, *MESSAGES]]
    raws += [hostile_mail.utf8_addresses(), hostile_mail.huge_header(1 << 20), b"", b"\xff\x00"]
    return [split_header_block(raw)[0] + b"\r\n\r\n" for raw in raws] + raws[-4:]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_summaries_are_the_in_process_ones(method: str) -> None:
    headers = _headers()
    expected = [summarize_header(h) for h in headers]
    with Summaries(expected=1, worker_from=1, method=method) as summaries:
        first = summaries.submit(headers[:100])
        second = summaries.submit(headers[100:])
        assert summaries.in_worker
        assert second.result() == expected[100:]  # read before the first: out of order
        assert first.result() == expected[:100]


def test_a_small_pass_starts_no_worker() -> None:
    with Summaries(expected=10) as summaries:
        batch = summaries.submit([b"Subject: x\r\n\r\n"])
        assert not summaries.in_worker
        assert batch.result()[0].subject == "x"


def test_a_dead_worker_leaves_the_work_to_this_process() -> None:
    headers = _headers()[:50]
    with Summaries(expected=1, worker_from=1) as summaries:
        summaries.submit(headers[:1]).result()  # the worker is up
        summaries._process.kill()
        summaries._process.join()
        batch = summaries.submit(headers)
        assert batch.result() == [summarize_header(h) for h in headers]
        assert not summaries.in_worker


def test_a_first_sync_stores_the_same_rows_with_and_without_a_worker(mail_server, tmp_path):
    from tests.imap.helpers import engine_for, message, other_client, tmp_store

    user = mail_server.new_user()
    other = other_client(mail_server, user)
    for i in range(1, 41):
        other.append("INBOX", message(i, subject="=?utf-8?q?R=C3=A9union?=" if i % 2 else "x"))
    other.logout()

    def rows(worker_from: int, name: str) -> list[tuple]:
        store = tmp_store(tmp_path / name)
        engine = engine_for(mail_server, user, store)
        engine.first_batch, engine.batch, engine.worker_from = 5, 10, worker_from
        assert engine.sync(["INBOX"]).failures == []
        engine.close()
        return store.conn.execute(
            "SELECT uid, flags, date, size, from_name, from_addr, to_addrs, subject, "
            "message_id, refs, thread_id, note FROM messages ORDER BY uid"
        ).fetchall()

    with_worker = rows(1, "worker")
    assert len(with_worker) == 40
    assert with_worker == rows(10**9, "here")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_worker_whose_sync_ended_leaves_quietly(capfd, method: str) -> None:
    """Ctrl-C reaches the worker too (same process group), and a killed sync closes the
    pipe under it: either way it exits without a traceback on the user's terminal."""
    import signal

    summaries = Summaries(expected=1, worker_from=1, method=method)
    summaries.submit([b"Subject: up\r\n\r\n"]).result()  # the worker is up and waiting
    process = summaries._process
    os.kill(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
    summaries.submit(_headers()[:50])  # still works; then the sync dies mid-batch:
    summaries._conn.close()
    process.join(30)
    assert process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


_UNDER_TEXTUAL = """
import sys
from tuimail.core.store.worker import Summaries

class Capture:  # what Textual's App puts in sys.stderr while it runs: fileno() is -1
    def write(self, text): pass
    def flush(self): pass
    def fileno(self): return -1

sys.stderr = Capture()
with Summaries(expected=1, worker_from=1) as summaries:
    batch = summaries.submit([b"Subject: in the app\\r\\n\\r\\n"])
    print(summaries.in_worker, batch.result()[0].subject)
"""


def test_the_worker_starts_inside_the_app_too() -> None:
    """In the app, sys.stderr is Textual's capture whose fileno() is -1: starting the
    worker failed ('bad value(s) in fds_to_keep', multiprocessing's resource tracker
    passes stderr's fd on) and every big first sync in the app ran without it. A fresh
    interpreter, as the app's first worker is its first child process."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _UNDER_TEXTUAL], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["True", "in", "the", "app"], result.stderr


_ALONE_OR_NOT = """
import threading
from tuimail.core.store.worker import FORK_FROM, WORKER_FROM, Summaries

with Summaries(expected=FORK_FROM) as alone:  # no other thread: forked, at once
    print(alone._method, alone.in_worker, alone.submit([b"Subject: a\\r\\n\\r\\n"]).result()[0].subject)
with Summaries(expected=FORK_FROM - 1) as small:
    print(small._method, small.in_worker)
stop = threading.Event()
other = threading.Thread(target=stop.wait)
other.start()
with Summaries(expected=WORKER_FROM - 1) as threaded:  # a thread could hold a lock: no fork
    print(threaded._method, threaded.in_worker)
stop.set()
other.join()
"""


def test_a_process_without_other_threads_forks_its_worker_from_fork_from_messages() -> None:
    """`tuimail sync` has joined its threads before the first pass: a 10k pass gets a
    forked worker (~2 ms) at once; a process with another thread (the app) forks never and
    spawns only from WORKER_FROM. A fresh interpreter: pytest's own threads vary."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _ALONE_OR_NOT], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines() == [
        "fork True a",
        "fork False",
        "spawn False",
    ], result.stderr


def test_a_sync_stopped_while_the_worker_answers_does_not_wait_for_it() -> None:
    """Ctrl-C while the sync waited for a batch's summaries (or any failure then): the
    worker is still writing an answer far bigger than a pipe holds, never reading the
    stop. close() waited 30 s for it; it is ended at once (killed: it holds nothing)."""
    import signal
    import time

    summaries = Summaries(expected=1, worker_from=1, method="fork")
    summaries.submit([b"Subject: up\r\n\r\n"]).result()
    summaries.submit([b"Subject: " + b"x" * 200 + b"\r\n\r\n"] * 3000)  # not read: Ctrl-C
    process = summaries._process
    time.sleep(0.5)  # (the worker is blocked writing; without waiting it only may be)
    started = time.monotonic()
    summaries.close()
    assert not process.is_alive() and process.exitcode == -signal.SIGKILL
    assert time.monotonic() - started < 20  # was 30 s: the join's limit


def test_the_worker_is_never_forked_but_on_linux(monkeypatch) -> None:
    """macOS and the others: a fork without exec is not safe once system frameworks were
    used (the keychain, the Objective-C runtime), so there the worker is spawned, from
    WORKER_FROM messages, as before this session; on Linux a lone thread forks."""
    import sys

    from tuimail.core.store import worker

    monkeypatch.setattr(sys, "platform", "darwin")
    assert not worker._may_fork()
    with Summaries(expected=worker.FORK_FROM) as summaries:
        assert summaries._method == "spawn" and not summaries.in_worker
