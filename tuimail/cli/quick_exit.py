"""Ending a one-shot command's process without the interpreter's teardown (issue 19).

Once `tuimail sync` has done its work, CPython's finalisation (freeing every module and
every object left, one by one) costs ~20 ms of CPU after a 10k-message first sync, for
nothing anyone sees. `finish(status)` does what an ordinary exit does that matters: it
flushes standard output and error, runs the atexit callbacks (logging.shutdown,
weakref.finalize clean-ups such as temporary directories), flushes again, then ends the
process with `os._exit(status)`.

Invariants: called only by the program's entry point, never when `main()` is given an
argv (tests, embedders); it returns, for an ordinary exit, when another thread is still
alive that the interpreter would wait for (daemon threads it would not wait for either:
they are left as an ordinary exit leaves them), when a profiler or tracer runs (cProfile,
coverage, a debugger: each writes its results after the program returns), when the status
is not a plain exit code, or when flushing a standard stream fails before the callbacks ran (the interpreter reports
that and exits 120). The command closes what it wrote itself (the store, its log), so
nothing it wrote waits for a finaliser.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _others_waited_for() -> bool:
    """Whether a thread the interpreter would wait for (not a daemon) is still alive.
    Daemon threads are left behind by an ordinary exit too; ending here spares them the
    interpreter's finalisation, during which one still writing the store (a sync pass
    interrupted by Ctrl-C) crashed the process (SIGSEGV while it collected garbage)."""
    main = threading.main_thread()
    return any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not main)


def finish(status: int) -> None:
    """End the process now with `status`, as an ordinary exit would end it; return
    instead when that cannot be done safely."""
    if _others_waited_for() or not 0 <= status <= 255:
        return
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    try:
        _flush()
    except (OSError, ValueError):
        return  # the interpreter's own exit reports it
    atexit._run_exitfuncs()  # each runs once: they are cleared as they run
    try:
        _flush()
    except (OSError, ValueError):
        status = status or 120  # what the interpreter exits with when it cannot flush
    os._exit(status)
