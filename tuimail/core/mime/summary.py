"""Fast header-only summary for the message list and the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..sanitize import sanitize
from .headers import (
    decode_header_value,
    parse_addresses,
    parse_date,
    parse_header_fields,
    parse_msgid_list,
    split_header_block,
)

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
_MBOX_FROM = re.compile(rb"^\S+\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d ")
_MIXED = re.compile(rb"multipart/mixed", re.I)


def _pairs(raw: bytes | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    return [(sanitize(n), sanitize(a)) for n, a in parse_addresses(raw)[:500]]


def summarize_fields(fields: list[tuple[str, bytes]]) -> MessageSummary:
    """Build a summary from already split header fields."""
    first: dict[str, bytes] = {}
    for name, value in fields:
        if name == "from" and _MBOX_FROM.match(value):
            continue  # a mangled mbox "From " separator, not the author
        first.setdefault(name, value)
    subject = sanitize(decode_header_value(first.get("subject", b"")))[:2000]
    froms = parse_addresses(first["from"]) if first.get("from") else []
    from_name, from_addr = froms[0] if froms else ("", "")
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
