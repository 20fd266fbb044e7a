"""COPYUID (RFC 4315 UIDPLUS): the UIDs a server gave the copies of a UID COPY, or the
moved messages of a UID MOVE (RFC 6851 sends it in an untagged OK before the expunges).

    forget(client)                       # before the command: nothing stale is read
    client.move(uids, "Archive")
    said = take(client)                  # b"<uidvalidity> <source set> <dest set>" or None
    pairs = parse(said, asked=uids)      # CopyUid(uidvalidity, {source uid: dest uid})
    confirmed(client, "Archive", pairs.uidvalidity, {dest uid: row, ...})

The answer is untrusted: `parse` gives None for anything but three well-formed words whose
sets pair up (same length, no repeats, every source one of the UIDs asked for, never
expanded past that count), and `confirmed` reads the named messages back from the target
folder and says whether each is the row it is meant for (size, Message-ID, sender and
subject as the store has them). Only then may a row get the UID; otherwise the caller keeps
the placeholder way (the next sync matches the moved rows)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient

MAX_UID = 0xFFFFFFFF  # RFC 3501 nz-number
_NUMBER = re.compile(rb"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class CopyUid:
    uidvalidity: int
    pairs: dict[int, int]  # source UID -> the UID of its copy in the target folder


def forget(client: IMAPClient) -> None:
    """Drop COPYUID codes imaplib kept from earlier answers (read before each command)."""
    client._imap.untagged_responses.pop("COPYUID", None)


def take(client: IMAPClient) -> bytes | None:
    """The COPYUID code the last command's answers carried (imaplib keeps the response
    codes of tagged and untagged OKs alike under their name), without its brackets;
    None when there was none, or several that differ (a server contradicting itself)."""
    said = client._imap.untagged_responses.pop("COPYUID", None) or []
    texts = set()
    for item in said:
        if not isinstance(item, bytes):  # a literal in a response code: not COPYUID
            return None
        # imaplib's pattern runs to the last "]" of the line: the code ends at the first.
        texts.add(item.partition(b"]")[0].strip())
    return texts.pop() if len(texts) == 1 else None


def parse(text: bytes | None, asked: Collection[int]) -> CopyUid | None:
    """`text` (b"<uidvalidity> <source uid-set> <dest uid-set>") read against the UIDs
    `asked` for; None for anything that is not a usable, consistent answer."""
    if not text:
        return None
    words = text.split(b" ")
    if len(words) != 3:
        return None
    uidvalidity = _number(words[0])
    limit = len(set(asked))
    source = _uid_set(words[1], limit)
    dest = _uid_set(words[2], limit)
    if uidvalidity is None or source is None or dest is None or len(source) != len(dest):
        return None
    if len(set(source)) != len(source) or len(set(dest)) != len(dest):
        return None
    if not set(source) <= set(asked):
        return None
    return CopyUid(uidvalidity, dict(zip(source, dest, strict=True)))


def confirmed(client: IMAPClient, target: str, uidvalidity: int, rows: Mapping[int, Any]) -> bool:
    """Whether `target` (examined now: the selected folder changes) has `uidvalidity` and,
    under each UID of `rows`, the message that row is (its size, Message-ID, sender and
    subject as stored: `rows` maps UID -> a store MessageRow)."""
    from tuimail.core.imap.sync import examine, fetch_headers, uid_set
    from tuimail.core.store.headers import summarize_header

    if not rows:
        return False
    info = examine(client, target)
    if info.get(b"UIDVALIDITY") != uidvalidity:
        return False
    wanted = set(rows)
    seen: dict[int, tuple] = {}
    for msg in fetch_headers(client, uid_set(wanted), False, wanted):
        s = summarize_header(msg.header)
        found = (msg.size, s.message_id, s.from_addr, s.subject)
        if seen.setdefault(msg.uid, found) != found:
            return False  # one UID, two different messages
    for uid, row in rows.items():
        if seen.get(uid) != (row.size, row.message_id, row.from_addr, row.subject):
            return False
    return True


def _number(word: bytes) -> int | None:
    if not _NUMBER.fullmatch(word):
        return None
    value = int(word)
    return value if value <= MAX_UID else None


def _uid_set(word: bytes, limit: int) -> list[int] | None:
    """b"4,7:9" -> [4, 7, 8, 9] (a range in either direction counts upwards, RFC 3501);
    None when malformed or naming more than `limit` UIDs (counted before expanding)."""
    ranges = []
    count = 0
    for part in word.split(b","):
        low, colon, high = part.partition(b":")
        a = _number(low)
        b = _number(high) if colon else a
        if a is None or b is None:
            return None
        lo, hi = min(a, b), max(a, b)
        count += hi - lo + 1
        if count > limit:
            return None
        ranges.append((lo, hi))
    return [uid for lo, hi in ranges for uid in range(lo, hi + 1)]
