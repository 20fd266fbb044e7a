"""Fast header-only summary for the message list and the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from ..sanitize import sanitize
from .headers import (
    decode_header_value,
    parse_addresses,
    parse_date,
    parse_header_fields,
    parse_msgid_list,
    split_header_block,
)
from .mbox_from import MBOX_FROM as _MBOX_FROM

__all__ = ["MessageSummary", "summarize", "summarize_fields"]


@dataclass(frozen=True)
class MessageSummary:
    """What the message list needs; every string is decoded and sanitized."""

    subject: str = ""
    from_name: str = ""
    from_addr: str = ""
    to: list[tuple[str, str]] = field(default_factory=list)
    cc: list[tuple[str, str]] = field(default_factory=list)
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    has_attachments: bool = False


_WANTED = frozenset(
    ("subject", "from", "to", "cc", "date", "message-id", "in-reply-to", "references")
    + ("content-type", "content-disposition")
)
_MIXED = re.compile(rb"multipart/mixed", re.I)


# Senders, recipients and subjects repeat from message to message (a mailbox has far
# fewer distinct To/Cc/From values than messages): each distinct short value is parsed
# once. The functions are pure (bytes in, immutable tuples/str out), so a cached answer
# is exactly the answer; long values are not cached (no memory held for a 64 KB header).
_CACHE_BELOW = 1024


@lru_cache(maxsize=8192)
def _cached_pairs(raw: bytes) -> tuple[tuple[str, str], ...]:
    return tuple((sanitize(n), sanitize(a)) for n, a in parse_addresses(raw)[:500])


@lru_cache(maxsize=4096)
def _cached_first_address(raw: bytes) -> tuple[str, str]:
    froms = parse_addresses(raw)
    return froms[0] if froms else ("", "")


@lru_cache(maxsize=8192)
def _cached_subject(raw: bytes) -> str:
    return sanitize(decode_header_value(raw))[:2000]


def _pairs(raw: bytes | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    if len(raw) < _CACHE_BELOW:
        return list(_cached_pairs(raw))
    return [(sanitize(n), sanitize(a)) for n, a in parse_addresses(raw)[:500]]


def _first_address(raw: bytes | None) -> tuple[str, str]:
    if not raw:
        return ("", "")
    if len(raw) < _CACHE_BELOW:
        return _cached_first_address(raw)
    froms = parse_addresses(raw)
    return froms[0] if froms else ("", "")


def _subject(raw: bytes) -> str:
    if len(raw) < _CACHE_BELOW:
        return _cached_subject(raw)
    return sanitize(decode_header_value(raw))[:2000]


def summarize_fields(fields: list[tuple[str, bytes]]) -> MessageSummary:
    """Build a summary from already split header fields."""
    first: dict[str, bytes] = {}
    for name, value in fields:
        if name == "from" and _MBOX_FROM.match(value):
            continue  # a mangled mbox "From " separator, not the author
        first.setdefault(name, value)
    subject = _subject(first.get("subject", b""))
    from_name, from_addr = _first_address(first.get("from"))
    ctype = first.get("content-type", b"")
    has_att = bool(_MIXED.search(ctype)) or (
        bool(ctype) and bool(re.search(rb"\bname\*?=", ctype, re.I))
    )
    if not has_att and first.get("content-disposition", b"").lower().startswith(b"attachment"):
        has_att = True
    irt = parse_msgid_list(first.get("in-reply-to"))
    mid = parse_msgid_list(first.get("message-id"))
    return MessageSummary(
        subject=subject,
        from_name=sanitize(from_name)[:500],
        from_addr=sanitize(from_addr)[:500],
        to=_pairs(first.get("to")),
        cc=_pairs(first.get("cc")),
        date=parse_date(first.get("date")),
        message_id=sanitize(mid[0] if mid else "")[:1000],
        in_reply_to=sanitize(irt[0] if irt else "")[:1000],
        references=[sanitize(r)[:1000] for r in parse_msgid_list(first.get("references"))[:200]],
        has_attachments=has_att,
    )


def summarize(raw_headers_or_message: bytes) -> MessageSummary:
    """Summarize a raw message (or just its header block); never raises."""
    try:
        block, _ = split_header_block(raw_headers_or_message or b"")
        return summarize_fields(parse_header_fields(block, wanted=_WANTED))
    except Exception:
        return MessageSummary(subject="(unreadable headers)")
