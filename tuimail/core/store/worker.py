"""Header summaries of a big first sync in a worker process (issue 19).

The sync's own process reads the server and writes the store; summarising the headers is
the largest part of its CPU, and the second core is idle meanwhile. For a big pass
`Summaries` starts one worker process (joined by close(), so its CPU time is counted as
this process's children) and hands it each batch of headers while the next batch is
fetched:

    summaries = Summaries(expected=total)
    pending = summaries.submit([m.header for m in messages])   # returns at once
    ...                                                         # fetch the next batch
    store.add_messages(folder_id, messages, summaries=pending.result())
    summaries.close()                                           # the worker is reaped

How the worker starts depends on the process. On Linux, when it has no thread but the main
one (`tuimail sync`: its early-connection and store-opening threads are joined by then), the
worker is forked, at once, from FORK_FROM messages: a fork costs ~2 ms and nothing can be
holding a lock the child needs. Otherwise (the app, with Textual's threads; macOS and the
other systems, where a fork without exec is not safe once system frameworks were used) it
is spawned, from WORKER_FROM messages: a new interpreter costs ~0.1 s of CPU, and forking a
process with other threads could copy a lock one of them holds. The forked child only summarises:
it never touches the store's connections or the server's socket it inherited, and leaves
by os._exit (multiprocessing's), so nothing of the parent's is closed or flushed twice.

Invariants: a worker's summary is exactly summarize_header's (the same pure function; a
test compares them, forked and spawned); small passes never start a worker; if the worker
cannot be started or fails, the batch is summarised in this process instead (nothing is
lost, nothing fails); `close()` waits for the worker, so its CPU time counts as this
process's children.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tuimail.core.store.headers import HeaderSummary, summarize_header

# multiprocessing is imported when a worker starts: ~15 ms of CPU that a sync of a few
# headers (every no-change `tuimail sync`) never needs.
if TYPE_CHECKING:
    from multiprocessing.connection import Connection

log = logging.getLogger("tuimail.store.worker")

# A spawned worker costs ~0.1 s of CPU to start (an interpreter and the parser's modules)
# and a little per message to send headers and summaries between processes: below this
# many messages in a pass it does not pay for itself.
WORKER_FROM = 20_000
# A forked one costs ~2 ms: from this many (a pass of three batches or more, so that one
# is summarised while the next is fetched; 10k headers: 0.95x the wall time, measured).
FORK_FROM = 5_000
_FIELDS = (
    "subject", "from_name", "from_addr", "to_addrs", "cc_addrs", "date", "message_id",
    "in_reply_to", "references", "has_attachments", "note",
)  # fmt: skip


def summarize_rows(headers: Sequence[bytes]) -> list[tuple]:
    """The worker's job: summarize_header of each header, as plain tuples (cheaper to
    send back than objects)."""
    out = []
    for header in headers:
        s = summarize_header(header)
        out.append((s.subject, s.from_name, s.from_addr, s.to_addrs, s.cc_addrs, s.date,
                    s.message_id, s.in_reply_to, s.references, s.has_attachments, s.note))  # fmt: skip
    return out


def _from_rows(rows: list[tuple]) -> list[HeaderSummary]:
    return [HeaderSummary(*row) for row in rows]


class _Ready:
    """A batch summarised here (small pass, or the worker failed)."""

    def __init__(self, headers: Sequence[bytes]) -> None:
        self._headers = headers
        self._summaries: list[HeaderSummary] | None = None

    def result(self) -> list[HeaderSummary]:
        if self._summaries is None:
            self._summaries = [summarize_header(h) for h in self._headers]
        return self._summaries


class _Remote:
    """A batch sent to the worker; its answer is read (in order) by result()."""

    def __init__(self, headers: Sequence[bytes], owner: Summaries) -> None:
        self._headers = headers
        self._owner = owner
        self._summaries: list[HeaderSummary] | None = None

    def result(self) -> list[HeaderSummary]:
        if self._summaries is None:
            rows = self._owner._receive(self)
            self._summaries = (
                _from_rows(rows) if rows is not None else _Ready(self._headers).result()
            )
        return self._summaries


def _serve(conn: Connection, inherited: Connection | None = None) -> None:
    """The worker process: a batch of headers in, their summaries out, until None or the
    sync's end of the pipe closes. Ctrl-C (sent to the whole process group) is the sync's
    to act on: the worker ignores it and leaves quietly when the pipe closes, never with
    a traceback on the user's terminal. A forked worker first closes its copy of the
    sync's end (`inherited`): else that end would never close, and the worker would wait
    for ever after the sync ended."""
    import signal

    if inherited is not None:
        inherited.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while True:
            headers = conn.recv()
            if headers is None:
                return
            conn.send(summarize_rows(headers))
    except (EOFError, OSError):  # the sync ended (killed, interrupted): nobody to answer
        return


@contextmanager
def _ctrl_c_not_inherited() -> Iterator[None]:
    """Start the worker with SIGINT ignored (kept across exec), so a Ctrl-C while it is
    still starting cannot print a traceback either; only the main thread may do this."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _stderr_with_a_file() -> Iterator[None]:
    """multiprocessing's resource tracker (started with the first worker) is given
    sys.stderr's file descriptor; in the app that is Textual's capture, whose fileno()
    is -1, and the start failed ('bad value(s) in fds_to_keep'). Meanwhile it is
    /dev/null: the tracker has nothing to say to the user, and nothing may reach the
    terminal Textual draws on."""
    import sys

    try:
        usable = sys.stderr is None or sys.stderr.fileno() >= 0
    except Exception:  # no fileno at all: multiprocessing leaves it out by itself
        usable = True
    if usable:
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull
        try:
            yield
        finally:
            sys.stderr = saved


def _may_fork() -> bool:
    """Whether the worker may be forked: on Linux, when the main thread is this process's
    only thread. Elsewhere a fork without exec is not safe once system frameworks were
    used (macOS: the Objective-C runtime and the keychain; multiprocessing spawns there
    by default too), so the worker is spawned as before."""
    import sys
    import threading

    return (
        sys.platform.startswith("linux")
        and threading.active_count() == 1
        and threading.current_thread() is threading.main_thread()
    )


class Summaries:
    """Summaries of header batches, in a worker when the pass is big (see module). The
    worker holds one batch at a time: submitting the next waits for its answer."""

    def __init__(
        self,
        expected: int,
        *,
        worker_from: int | None = None,
        method: str | None = None,
    ) -> None:
        """A worker from `worker_from` messages (default: FORK_FROM when forked,
        WORKER_FROM when spawned). `method` ("fork"/"spawn") is for tests; by default
        fork when this process has no other thread (see the module's text)."""
        self._method = method or ("fork" if _may_fork() else "spawn")
        if worker_from is None:
            worker_from = FORK_FROM if self._method == "fork" else WORKER_FROM
        self._use_worker = expected >= worker_from
        self._process: Any = None
        self._conn: Connection | None = None
        self._waiting: list[_Remote] = []
        self._owed = 0  # batches sent whose answer was not read yet
        if self._method == "fork":
            self._start()  # now, while the server is asked for the first batch

    @property
    def in_worker(self) -> bool:
        return self._process is not None

    def submit(self, headers: Sequence[bytes]) -> _Ready | _Remote:
        headers = list(headers)
        if not self._use_worker or not headers or not self._start():
            return _Ready(headers)
        while self._waiting:  # one batch in the pipes at a time: both ways never fill up
            waiting = self._waiting[0]
            rows = self._receive(waiting)
            waiting._summaries = _from_rows(rows) if rows is not None else None
        if self._conn is None:
            return _Ready(headers)
        try:
            self._owed += 1
            self._conn.send(headers)
        except Exception as exc:
            self._fail(exc)
            return _Ready(headers)
        remote = _Remote(headers, self)
        self._waiting.append(remote)
        return remote

    def _receive(self, remote: _Remote) -> list[tuple] | None:
        """The worker's answer for `remote` (None: summarise it here)."""
        while remote in self._waiting:
            first = self._waiting.pop(0)
            try:
                assert self._conn is not None
                rows = self._conn.recv()
                self._owed -= 1
            except Exception as exc:
                self._fail(exc)
                return None
            if first is remote:
                return rows
            first._summaries = _from_rows(rows)  # read out of order: keep its answer
        return None

    def _start(self) -> bool:
        if self._process is None and self._use_worker:
            try:
                import multiprocessing

                context = multiprocessing.get_context(self._method)
                parent, child = context.Pipe()
                inherited = (parent,) if self._method == "fork" else ()
                process = context.Process(target=_serve, args=(child, *inherited), daemon=True)
                with _ctrl_c_not_inherited(), _stderr_with_a_file():
                    process.start()
                child.close()
                self._process, self._conn = process, parent
            except Exception as exc:
                self._fail(exc)
        return self._process is not None

    def _fail(self, exc: BaseException) -> None:
        log.warning("header worker failed (%s); summarising in this process", exc)
        self._use_worker = False
        self._waiting.clear()  # their result() summarises here
        self.close()

    def close(self) -> None:
        """Stop the worker and wait for it (its CPU time is then this process's). One
        whose answer was not read (the sync stopped: Ctrl-C while it waited, a failure)
        is killed at once: it may be blocked writing that answer, never reading the
        stop, and holds nothing worth waiting for (the sync waited 30 s for it)."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        owed, self._owed = self._owed, 0
        if conn is not None and not owed:
            try:
                conn.send(None)
            except Exception:
                pass
        if process is not None:
            if owed:
                process.kill()
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
        if conn is not None:
            conn.close()

    def __enter__(self) -> Summaries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
