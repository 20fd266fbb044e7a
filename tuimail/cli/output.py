"""A command's standard output failing: its reader gone (`tuimail list | head -1`) or
the disk full (`> file`). Neither is a mail failure, and neither prints a traceback.

Invariants: `reader_gone` is true only when the failure is EPIPE *and* standard output
itself has no reader any more (a socket's EPIPE is a lost connection, not this);
`quiet_stdout` points standard output at /dev/null so that the interpreter's last
flush cannot fail again.
"""

from __future__ import annotations

import errno
import os
import select
import sys

# Failures of a local write (never of a network connection): said as such.
LOCAL_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


def reader_gone(exc: BaseException) -> bool:
    """Whether `exc` is standard output's reader having gone away."""
    if not isinstance(exc, BrokenPipeError):
        return False
    try:
        fd = sys.stdout.fileno()
        poll = select.poll()
        poll.register(fd, select.POLLOUT)
        events = poll.poll(0)
    except (AttributeError, OSError, ValueError):
        return False
    return any(mask & (select.POLLERR | select.POLLHUP) for _fd, mask in events)


def local_write_failed(exc: BaseException) -> bool:
    """Whether `exc` is a local file or stream that could not be written (a full disk)."""
    return isinstance(exc, OSError) and exc.errno in LOCAL_WRITE_ERRNOS


def quiet_stdout() -> None:
    """Send whatever is still to be written to standard output nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass
