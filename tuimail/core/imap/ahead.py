"""Commands sent one ahead of their answers (RFC 3501 5.5), for big header fetches (#19).

A first sync asks for headers in batches. Sent one after the other, the server and
tuimail take turns: the server prepares a batch while tuimail waits, and waits while
tuimail writes it to the store. Here the next command is on the wire before the answer
to the one before it is handed out, so the server prepares batch k+1 while batch k is
written:

    send 0, send 1, read 0 -> yield (written) | send 2, read 1 -> yield | send 3, ...

    for answer in answers_ahead(imap, commands, read):
        ...            # answer = read(tag, context, [(tag, context) sent after it])

Invariants:
- Answers are handed out in the order the commands were given, each once. At most two
  commands are unanswered at any time; while the caller handles an answer, one is.
- A command longer than SHORT bytes is sent only when nothing is unanswered (a long
  command written while the server is blocked writing a big answer to us could fill both
  ways' buffers: each side would wait for the other).
- Each answer gets its own deadline and its own size bound (connect.MAX_RESPONSE),
  counted from when tuimail starts reading it: the server cannot start an answer before
  it finished the one before.
- A command is sent only when every answer read so far was handed out and handled, so
  a connection that breaks on that send has lost nothing already read.
- After a failure that leaves the connection in step (a complete NO or BAD answer, or an
  error of the caller's own), the answers still due are read and dropped, so the next
  command on the connection reads its own answer; if that fails too, the connection is
  shut (nothing more is sent on it; the next step connects afresh). After any other
  failure (lost, timed out, garbage) nothing more is read: the caller drops the
  connection, as for any command.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from tuimail.core.connect import arm_deadline
from tuimail.core.imap.session import keeps_connection

C = TypeVar("C")  # what the caller keeps about a command (e.g. the UIDs it asked for)
R = TypeVar("R")

# A command longer than this waits until nothing is unanswered (see the module's text).
SHORT = 1024

# read(tag, context, [(tag, context) of each command sent after it]) -> the answer
Read = Callable[[bytes, C, list[tuple[bytes, C]]], R]


def answers_ahead(
    imap: Any, commands: Iterable[tuple[tuple[str, ...], C]], read: Read
) -> Iterator[R]:
    """Send each (imaplib command arguments, context) of `commands` one ahead and yield
    `read(tag, context, later)` of each answer in order (see the module's text). `commands` is
    consumed lazily: a caller may stop giving commands after seeing an answer. Closing
    the generator early reads (and drops) the answers still due."""
    sent: deque[tuple[bytes, C]] = deque()
    try:
        for args, context in commands:
            if sent and sum(len(a) for a in args) > SHORT:
                yield _next_answer(imap, sent, read)
            sent.append((imap._command(*args), context))
            if len(sent) > 1:
                yield _next_answer(imap, sent, read)
        while sent:
            yield _next_answer(imap, sent, read)
    except BaseException as exc:
        if sent and _in_step(exc):
            _drain(imap, sent, read)
        raise


def _next_answer(imap: Any, sent: deque, read: Read) -> R:
    """`read` of the answer to the oldest unanswered command of `sent` (taken off it),
    with its own size bound and deadline."""
    tag, context = sent.popleft()
    imap._received = 0
    arm_deadline(imap.file, imap.sock, imap.expected_bytes)
    return read(tag, context, list(sent))


def _in_step(exc: BaseException) -> bool:
    """Whether the connection is still in step after `exc`: the caller closed the
    generator (its own failure, or it stopped), or an answer was complete (NO, BAD)."""
    return isinstance(exc, GeneratorExit) or keeps_connection(exc)


def _drain(imap: Any, sent: deque, read: Read) -> None:
    """Read and drop the answers still due; on any failure shut the connection."""
    try:
        while sent:
            try:
                _next_answer(imap, sent, read)
            except Exception as exc:
                if not keeps_connection(exc):
                    raise
    except Exception:
        sent.clear()
        try:
            imap.shutdown()
        except Exception:
            pass
