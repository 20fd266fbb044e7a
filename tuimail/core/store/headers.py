"""Header bytes -> the columns the store keeps (decoded and sanitized).

`tuimail.core.mime.summarize` does the real work when it is available; a small stdlib
fallback keeps the store usable without it. Either way every string is sanitized.
"""

from __future__ import annotations

import calendar
import email.header
import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from tuimail.core.sanitize import sanitize

try:  # the mime package may not be there yet
    from tuimail.core.mime import summarize as _mime_summarize  # type: ignore[attr-defined]
except Exception:  # pragma: no cover - depends on another module
    _mime_summarize = None


@dataclass
class HeaderSummary:
    subject: str = ""
    from_name: str = ""
    from_addr: str = ""
    to_addrs: str = ""
    cc_addrs: str = ""
    date: float | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    has_attachments: bool = False

    @property
    def thread_key(self) -> str:
        """The root of the conversation as the headers name it (first reference)."""
        refs = self.references.split()
        if refs:
            return refs[0]
        if self.in_reply_to:
            return self.in_reply_to.split()[0]
        return self.message_id


def summarize_header(raw_header: bytes) -> HeaderSummary:
    fast = _fast(raw_header)
    if fast is not None:
        return fast
    if _mime_summarize is not None:
        try:
            return _from_mime(_mime_summarize(raw_header))
        except Exception:
            pass
    return _fallback(raw_header)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _addresses(value: Any) -> list[tuple[str, str]]:
    """Accept 'a, b', [(name, addr)], [obj with .name/.addr] shapes."""
    if not value:
        return []
    if isinstance(value, str):
        return email.utils.getaddresses([value])
    out = []
    for item in value:
        if isinstance(item, tuple | list) and len(item) == 2:
            out.append((str(item[0] or ""), str(item[1] or "")))
        elif isinstance(item, str):
            out.extend(email.utils.getaddresses([item]))
        else:
            name = _get(item, "name", "") or _get(item, "display_name", "")
            addr = _get(item, "addr", "") or _get(item, "address", "") or _get(item, "email", "")
            out.append((str(name or ""), str(addr or "")))
    return out


def _join(pairs: list[tuple[str, str]]) -> str:
    return sanitize(", ".join(email.utils.formataddr(p) if p[0] else p[1] for p in pairs))


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _ids(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    return sanitize(" ".join(str(value).split()))


def _from_mime(summary: Any) -> HeaderSummary:
    name, addr = _get(summary, "from_name", None), _get(summary, "from_addr", None)
    if name is None and addr is None:
        sender = _addresses(_get(summary, "from_") or _get(summary, "from"))
        name, addr = sender[0] if sender else ("", "")
    return HeaderSummary(
        subject=sanitize(str(_get(summary, "subject", "") or "")),
        from_name=sanitize(name or ""),
        from_addr=sanitize(addr or ""),
        to_addrs=_join(_addresses(_get(summary, "to"))),
        cc_addrs=_join(_addresses(_get(summary, "cc"))),
        date=_epoch(_get(summary, "date")),
        message_id=_ids(_get(summary, "message_id")),
        in_reply_to=_ids(_get(summary, "in_reply_to")),
        references=_ids(_get(summary, "references")),
        has_attachments=bool(_get(summary, "has_attachments", False)),
    )


_parser = BytesHeaderParser(policy=compat32)


def _decode(value: Any) -> str:
    if value is None:
        return ""
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except Exception:
        return str(value)


def _fallback(raw_header: bytes) -> HeaderSummary:
    msg = _parser.parsebytes(raw_header)
    sender = email.utils.getaddresses([_decode(v) for v in msg.get_all("From", [])])
    name, addr = sender[0] if sender else ("", "")
    ctype = str(msg.get("Content-Type", "")).lower()
    return HeaderSummary(
        subject=sanitize(" ".join(_decode(msg.get("Subject")).split())),
        from_name=sanitize(name),
        from_addr=sanitize(addr),
        to_addrs=_join(email.utils.getaddresses([_decode(v) for v in msg.get_all("To", [])])),
        cc_addrs=_join(email.utils.getaddresses([_decode(v) for v in msg.get_all("Cc", [])])),
        date=_epoch(msg.get("Date")),
        message_id=_ids(msg.get("Message-ID")),
        in_reply_to=_ids(msg.get("In-Reply-To")),
        references=_ids(msg.get("References")),
        has_attachments="multipart/mixed" in ctype,
    )


# -- the fast path: plain ASCII headers, which most are ---------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DATE = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4})?\s*(?:\([^()]*\))?\s*$"
)
_SIMPLE_ADDR = re.compile(
    r"^\s*(?:([A-Za-z0-9 .'_-]*?)\s*<([^<>@\s]+@[^<>@\s]+)>|([^<>@\s,\"()]+@[^<>@\s,\"()]+))\s*$"
)
_UNSAFE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]|=\?")
_WANTED = {b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to",
           b"references", b"content-type"}  # fmt: skip


def _fast_date(value: str) -> float | None:
    m = _DATE.match(value)
    if not m:
        return None
    day, mon, year, hh, mm, ss, zone = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    try:
        stamp = calendar.timegm((int(year), month, int(day), int(hh), int(mm), int(ss or 0)))
    except (ValueError, OverflowError):
        return None
    if zone:
        offset = (int(zone[1:3]) * 60 + int(zone[3:5])) * 60
        stamp -= offset if zone[0] == "+" else -offset
    return float(stamp)


def _fast_addresses(value: str) -> list[tuple[str, str]] | None:
    out = []
    for part in value.split(","):
        if not part.strip():
            continue
        m = _SIMPLE_ADDR.match(part)
        if not m:
            return None
        if m.group(2):
            out.append((m.group(1).strip(), m.group(2)))
        else:
            out.append(("", m.group(3)))
    return out


def _fast(raw_header: bytes) -> HeaderSummary | None:
    """Plain 7-bit headers with simple addresses and dates; None sends it to the full
    parser (encoded words, 8-bit bytes, quoted names, comments, odd dates)."""
    if _UNSAFE.search(raw_header):
        return None
    fields: dict[bytes, str] = {}
    last: bytes | None = None
    for line in raw_header.replace(b"\r\n", b"\n").split(b"\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if last is None:
                return None
            fields[last] += " " + line.strip().decode("ascii")
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            return None
        key = name.strip().lower()
        last = key if key in _WANTED else b"-"
        if key in _WANTED and key in fields:
            return None  # repeated header: let the full parser decide
        fields[last] = value.strip().decode("ascii")
    fields.pop(b"-", None)
    sender = _fast_addresses(fields.get(b"from", ""))
    to = _fast_addresses(fields.get(b"to", ""))
    cc = _fast_addresses(fields.get(b"cc", ""))
    if sender is None or to is None or cc is None or len(sender) > 1:
        return None
    date_text = fields.get(b"date")
    date = _fast_date(date_text) if date_text else None
    if date_text and date is None:
        return None
    name, addr = sender[0] if sender else ("", "")
    return HeaderSummary(
        # 7-bit without controls (checked above): nothing for sanitize() to change
        subject=" ".join(fields.get(b"subject", "").split()),
        from_name=name,
        from_addr=addr,
        to_addrs=_join(to),
        cc_addrs=_join(cc),
        date=date,
        message_id=_ids(fields.get(b"message-id")),
        in_reply_to=_ids(fields.get(b"in-reply-to")),
        references=_ids(fields.get(b"references")),
        has_attachments=_attachment_type(fields.get(b"content-type", "")),
    )


def _attachment_type(content_type: str) -> bool:
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype == "multipart/mixed" or (
        bool(ctype) and not ctype.startswith(("text/", "multipart/"))
    )
