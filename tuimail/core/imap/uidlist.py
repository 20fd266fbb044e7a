"""Listing a folder's UIDs (UID SEARCH), bounded however big the folder is.

    uids = search_uids(client, "ALL", exists=200_000, esearch="ESEARCH" in caps)

Invariants:
- With ESEARCH (RFC 4731) the answer is `UID SEARCH RETURN (ALL) <criteria>`: one compact
  sequence-set (`1:5,7,9:200000`), parsed by `parse_sequence_set`, which refuses (as
  ProtocolViolation) anything but numbers and ranges within 1..2^32-1 (reversed ranges and
  parts in any order are normalised), and a set of more UIDs than the caller's bound,
  before expanding it: a hostile `1:4294967295` never
  becomes a list of 2^32 numbers.
- Without ESEARCH the answer is one `* SEARCH 1 2 3 ...` line, longer than imaplib's global
  line limit for big folders; only this answer may be longer, up to a bound proportional to
  the folder's EXISTS (`line_bound`). Every other answer keeps the global limit.
"""

from __future__ import annotations

import re
from typing import Any

from tuimail.core.connect import ImapProtocolViolation, long_lines
from tuimail.core.imap.errors import response_code
from tuimail.core.imap.session import ImapError

MAX_UID = (1 << 32) - 1
MAX_UIDS = 1 << 24  # no folder holds more; a bound on any answer whatever EXISTS says
SLACK_UIDS = 10_000  # mail arriving between EXAMINE and the search
BYTES_PER_UID = 11  # up to 10 digits and a space
_PART = re.compile(rb"([0-9]{1,10})(?::([0-9]{1,10}))?")
_CORRELATOR = re.compile(rb'\s*\((?:[^()"]|"(?:[^"\\]|\\.)*")*\)')


def uid_bound(exists: int) -> int:
    """How many UIDs a search in a folder of `exists` messages may return."""
    return min(MAX_UIDS, 2 * max(0, exists) + SLACK_UIDS)


def line_bound(exists: int) -> int:
    """How long a `* SEARCH` line for a folder of `exists` messages may be."""
    return BYTES_PER_UID * uid_bound(exists) + 1024


def _violation(problem: str, data: bytes, **extra: int) -> ImapProtocolViolation:
    """A search answer that is not IMAP: `problem` says how ("unreadable-set",
    "impossible-set", "too-many" with `limit`, "incomplete"), worded at the edge."""
    return ImapProtocolViolation(
        reason="bad-search",
        data={"problem": problem, **extra},
        protocol="imap",
        server_text=data[:200].decode("ascii", "replace"),
    )


def parse_sequence_set(data: bytes, limit: int) -> list[int]:
    """b'1:3,7' -> [1, 2, 3, 7]: ascending UIDs, each once. A reversed range (`9:1`, the
    same set as `1:9` in RFC 3501) and parts in any order are accepted. A part that is not
    a number or a range of numbers within 1..2^32-1 (so no `*`, no 0), an empty set, or
    more than `limit` UIDs: ProtocolViolation, decided before anything is expanded."""
    ranges: list[tuple[int, int]] = []
    total, previous, ordered = 0, 0, True
    for part in data.split(b","):
        match = _PART.fullmatch(part)
        if match is None:
            raise _violation("unreadable-set", data)
        low = int(match[1])
        high = int(match[2]) if match[2] is not None else low
        low, high = min(low, high), max(low, high)
        if not 1 <= low <= high <= MAX_UID:
            raise _violation("impossible-set", data)
        total += high - low + 1
        if total > limit:
            raise _violation("too-many", data, limit=limit)
        ordered = ordered and low > previous
        ranges.append((low, high))
        previous = high
    out: list[int] = []
    for low, high in ranges:
        out.extend(range(low, high + 1))
    return out if ordered else sorted(set(out))


def parse_esearch(data: bytes, limit: int) -> list[int]:
    """The UIDs of one ESEARCH answer (after `* ESEARCH `): `(TAG "A5") UID ALL 1:5,7`.
    No ALL item means nothing matched; other items (MIN, MAX, COUNT) are skipped."""
    match = _CORRELATOR.match(data)
    words = data[match.end() if match else 0 :].split()
    index = 0
    while index < len(words):
        name = words[index].upper()
        if name == b"UID":
            index += 1
            continue
        if index + 1 >= len(words):
            raise _violation("incomplete", data)
        if name == b"ALL":
            return parse_sequence_set(words[index + 1], limit)
        index += 2
    return []


def search_uids(client: Any, criteria: str, *, exists: int, esearch: bool) -> list[int]:
    """UID SEARCH `criteria` in the selected folder of `exists` messages; ascending UIDs.
    A refusal (NO) raises ImapError."""
    imap = client._imap
    limit = uid_bound(exists)
    with long_lines(client, line_bound(exists)):
        if esearch:
            typ, data = imap._simple_command("UID", "SEARCH", "RETURN", "(ALL)", criteria)
            answers = imap.untagged_responses.pop("ESEARCH", None) or []
            plain = imap.untagged_responses.pop("SEARCH", None) or []
        else:
            typ, data = imap._simple_command("UID", "SEARCH", criteria)
            answers, plain = [], imap.untagged_responses.pop("SEARCH", None) or []
    if typ != "OK":
        said = b" ".join(d for d in data or () if isinstance(d, bytes))
        text = said[:200].decode("ascii", "replace")
        raise ImapError(reason="search-refused", code=response_code(text), server_text=text)
    out: list[int] = []
    for answer in answers:
        if isinstance(answer, bytes):
            out.extend(parse_esearch(answer, limit - len(out)))
    for line in plain:
        if isinstance(line, bytes):
            out.extend(int(word) for word in line.split() if word.isdigit())
    if len(out) > limit:
        raise _violation("too-many", b"", limit=limit)
    return out
