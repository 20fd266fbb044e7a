"""One LIST for the whole folder list (RFC 5819 LIST-STATUS, RFC 5258 LIST-EXTENDED):

    entries, bad, statuses = list_with_status(client, [b"MESSAGES", b"UIDNEXT", ...])
    entry in entries        # names.ListEntry, `\\Subscribed` among its flags when subscribed
    statuses[entry.name]    # {b"MESSAGES": 3, b"UIDNEXT": 7, ...}: every item asked, in range

Sends `LIST "" "*" RETURN (SUBSCRIBED STATUS (items))`, so one round trip gives the folders,
the subscriptions (no LSUB) and each folder's counters (no STATUS per folder).

Invariants:
- `* STATUS <astring> (<items>)` lines are untrusted: a line that cannot be read, names no
  listed folder, or names one twice gives that folder no status (the caller asks STATUS as
  before); never an error. A folder is matched by the bytes the server wrote for it (its
  `wire` after unquoting), never by a decoded name.
- A status holds every item asked, each an integer in its range (ITEM_RANGES); anything
  else is no status for that folder.
- parse_status_line raises only BadStatusLine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tuimail.core.imap.names import (
    MAX_NAME,
    ListEntry,
    UnreadableLine,
    mailbox_owner,
    parse_list,
    read_astring,
    run_list,
)

MAX_U32 = 2**32 - 1
ITEM_RANGES: dict[bytes, tuple[int, int]] = {
    b"MESSAGES": (0, MAX_U32),
    b"UIDNEXT": (1, MAX_U32),
    b"UIDVALIDITY": (1, MAX_U32),
    b"HIGHESTMODSEQ": (1, 2**63 - 1),
}
_ITEMS = re.compile(rb"^[ ]?\(([^()]*)\)[ \t]*$")
_ITEM_NAME = re.compile(rb"^[A-Za-z][A-Za-z0-9.-]{0,63}$")
_NUMBER = re.compile(rb"^[0-9]{1,20}$")

Status = dict[bytes, int]


class BadStatusLine(ValueError):
    """A STATUS line that cannot be used: `problem` says why; `wire` is the folder it
    names when that much could be read (then that folder gets no status at all)."""

    def __init__(self, problem: str, wire: bytes | None = None) -> None:
        super().__init__(f"status line: {problem}")
        self.problem = problem
        self.wire = wire


def parse_status_line(
    line: bytes, literal: bytes | None = None, rest: bytes | None = None
) -> tuple[bytes, dict[bytes, int]]:
    """One STATUS answer without its "* STATUS " prefix -> (the name's wire bytes, its
    items as numbers). With a literal name imaplib gives `line` (b"{N}"), the `literal`
    and the `rest` of the line (b" (MESSAGES 1 ...)") apart. Only BadStatusLine raises."""
    if not isinstance(line, bytes | bytearray):
        raise BadStatusLine("not-status")
    line = bytes(line)
    if literal is not None:
        if not isinstance(literal, bytes | bytearray):
            raise BadStatusLine("literal-unannounced")
        if not isinstance(rest, bytes | bytearray):
            raise BadStatusLine("no-items")
    wire, after = read_astring(line, literal, BadStatusLine)
    if literal is not None:
        after = bytes(rest)
    if not wire or len(wire) > MAX_NAME:
        raise BadStatusLine("bad-name")
    return wire, _items(after, wire)


def _items(text: bytes, wire: bytes) -> dict[bytes, int]:
    """` (NAME n NAME n ...)` -> {NAME: n}; BadStatusLine (naming `wire`) otherwise."""
    match = _ITEMS.match(text)
    if match is None:
        raise BadStatusLine("no-items", wire)
    words = match.group(1).split()
    if len(words) % 2:
        raise BadStatusLine("odd-items", wire)
    items: dict[bytes, int] = {}
    for key, value in zip(words[::2], words[1::2], strict=True):
        if not _ITEM_NAME.match(key) or not _NUMBER.match(value):
            raise BadStatusLine("bad-item", wire)
        key = key.upper()
        if key in items:
            raise BadStatusLine("item-twice", wire)
        items[key] = int(value)
    return items


def usable(items: dict[bytes, int], wanted: Sequence[bytes]) -> Status | None:
    """The `wanted` items of a STATUS answer when each is there and in range, else None."""
    status: Status = {}
    for key in wanted:
        value = items.get(key)
        low, high = ITEM_RANGES.get(key, (0, 2**63 - 1))
        if value is None or not low <= value <= high:
            return None
        status[key] = value
    return status


def _key(wire: bytes) -> bytes:
    """INBOX is case-insensitive (RFC 3501 5.1): "Inbox" listed, "INBOX" in STATUS."""
    return b"INBOX" if wire.upper() == b"INBOX" else wire


def statuses_for(
    data: list | None, entries: Sequence[ListEntry], wanted: Sequence[bytes]
) -> dict[str, Status]:
    """imaplib's untagged STATUS data -> {listed folder name: its status} for the folders
    named by exactly one usable line (see the module's invariants). Never raises."""
    names = {_key(e.wire): e.name for e in entries}
    found: dict[bytes, Status | None] = {}  # None: no status for that folder
    items = list(data or ())
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        try:
            if isinstance(item, tuple):
                # imaplib: (line up to the literal, the literal), then the rest of the line
                # (another tuple when the rest ends in a literal too).
                parts = [item]
                while index < len(items) and isinstance(items[index], tuple):
                    parts.append(items[index])
                    index += 1
                rest = items[index] if index < len(items) else None
                index += 1
                if len(parts) != 1 or len(item) != 2:
                    raise BadStatusLine("not-status")
                wire, values = parse_status_line(item[0], item[1], rest)
            else:
                if item is None or item == b"":
                    continue
                wire, values = parse_status_line(item)
            status = usable(values, wanted)
        except BadStatusLine as exc:
            if exc.wire is not None:
                found[_key(exc.wire)] = None
            continue
        key = _key(wire)
        if key not in names:
            continue
        found[key] = None if key in found else status
    return {names[k]: s for k, s in found.items() if s is not None}


def list_with_status(
    client, wanted: Sequence[bytes]
) -> tuple[list[ListEntry], list[UnreadableLine], dict[str, Status]]:
    """LIST "" "*" RETURN (SUBSCRIBED STATUS (`wanted`)) on a connected IMAPClient whose
    server offers LIST-STATUS: (entries, unreadable LIST lines, statuses by folder name).
    No `wanted`: RETURN (SUBSCRIBED) alone (no status asked, none given).
    ListRefused when the server refuses the command (NO or BAD)."""
    imap = client._imap
    imap.untagged_responses.pop("LIST", None)
    imap.untagged_responses.pop("STATUS", None)
    asked = " ".join(w.decode("ascii") for w in wanted)
    returns = f"(SUBSCRIBED STATUS ({asked}))" if asked else "(SUBSCRIBED)"
    try:
        data = run_list(imap, "LIST", '""', '"*"', "RETURN", returns)
    finally:  # a refused command's STATUS lines are not kept either
        status_data = imap.untagged_responses.pop("STATUS", None)
    entries, bad = parse_list(data, mailbox_owner(client))
    return entries, bad, statuses_for(status_data, entries, wanted) if wanted else {}
