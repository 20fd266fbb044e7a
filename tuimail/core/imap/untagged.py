"""imaplib's untagged responses, bounded on a long connection.

imaplib files every untagged response (`* 5 EXISTS`, `* 3 FETCH (FLAGS ..)`, `* OK
[UIDNEXT 9] ..`) under its kind in `imap.untagged_responses` and forgets them only when
a caller pops them (or SELECT/EXAMINE starts afresh). What nobody reads piles up: on a
connection that lives for hours (IDLE in `tuimail watch` and the app, the app's action
connection) a server's EXISTS/FETCH/EXPUNGE news and every NOOP's answer stayed there.

    trim(imap.untagged_responses)      # at the start of every command (connect._IMAP4)
    with consumed(imap):               # around reads whose responses the caller takes
        responses = read_them()

Invariants:
- Within one command nothing is dropped (that answer is bounded by MAX_RESPONSE): a
  caller reading its command's data (FETCH 1:*, SEARCH, VANISHED) gets all of it.
- From one command to the next each kind keeps at most KEPT_ENTRIES entries, the newest,
  and all kinds together at most KEPT_BYTES (with OVERHEAD an entry; the kinds tuimail and imaplib look at first,
  then the others: a server inventing kinds gets nothing kept). A kind that was there is
  never dropped whole while it fits: "is there news" (a non-empty kind) stays true.
- `consumed` takes off what was read within it (the caller has it), but a BYE (imaplib
  ends the next command with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

KEPT_ENTRIES = 1000  # of one kind, from one command to the next
KEPT_BYTES = 1 << 20  # of all kinds together, each entry counted with OVERHEAD
OVERHEAD = 64  # bytes of a kept entry besides its text (a bytes object, a list slot)
# Looked at across commands (imaplib, imapclient, tuimail.core.imap.idle): kept first.
WATCHED = (
    "BYE", "READ-ONLY", "EXISTS", "EXPUNGE", "VANISHED", "FETCH", "RECENT", "ALERT",
)  # fmt: skip


def _size(entry: Any) -> int:
    if isinstance(entry, tuple):
        return OVERHEAD + sum(len(part) for part in entry if part is not None)
    return OVERHEAD + (len(entry) if entry is not None else 0)


def trim(untagged: dict[str, list]) -> None:
    """Bound what is kept of `untagged` (imaplib's untagged_responses) for later
    commands: see the module's invariants. Costs a look at each kept entry (a few)."""
    if not untagged:
        return
    budget = KEPT_BYTES
    kinds = [k for k in WATCHED if k in untagged] + [k for k in untagged if k not in WATCHED]
    for kind in kinds:
        entries = untagged[kind]
        keep = 0
        for entry in reversed(entries):  # newest first
            size = _size(entry)
            if keep >= KEPT_ENTRIES or size > budget:
                break
            budget -= size
            keep += 1
        if keep == 0:
            del untagged[kind]
        elif keep < len(entries):
            del entries[: len(entries) - keep]


@contextmanager
def consumed(imap: Any) -> Iterator[None]:
    """The untagged responses read within this block are taken off `imap`'s
    untagged_responses at its end (the caller read them itself), but a BYE."""
    untagged = imap.untagged_responses
    trim(untagged)  # (so a command sent within trims nothing of what is counted here)
    before = {kind: len(entries) for kind, entries in untagged.items()}
    try:
        yield
    finally:
        for kind in list(untagged):
            if kind == "BYE":
                continue
            kept = before.get(kind, 0)
            if kept:
                del untagged[kind][kept:]
            else:
                del untagged[kind]
