"""Header bytes -> the columns the store keeps (decoded and sanitized).

`tuimail.core.mime.summarize` does the real work when it is available; a small stdlib
fallback keeps the store usable without it. Either way every string is sanitized.

Invariants: `summarize_header` never raises (one unreadable message must never take its
neighbours down with it); every string it returns is bounded (LIMITS) and every date is
sane (DATE_RANGE, else None). When something could not be read or had to be cut, the
summary says so in `note` (a short sentence shown beside the message) and the store keeps
the raw header.
"""

from __future__ import annotations

import calendar
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tuimail.core.mime.headers import parse_date
from tuimail.core.sanitize import sanitize
from tuimail.core.store.columns import summarize_columns

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
    note: str = ""  # why this summary is partial ("" when it is complete)

    @property
    def thread_key(self) -> str:
        """The root of the conversation as the headers name it (first reference)."""
        refs = self.references.split(None, 1)  # the first word (not all of a long list)
        if refs:
            return refs[0]
        if self.in_reply_to:
            return self.in_reply_to.split()[0]
        return self.message_id


# Longest value kept per column, in characters (a 10 MB Subject is cut here, so nothing
# downstream, list or terminal, ever handles it whole).
LIMITS = {
    "subject": 2000,
    "from_name": 500,
    "from_addr": 500,
    "to_addrs": 8000,
    "cc_addrs": 8000,
    "message_id": 1000,
    "in_reply_to": 1000,
    "references": 16000,
}
# Dates outside 1970..9999 are not dates anyone sent mail at (and would not format).
DATE_RANGE = (0.0, 253402214400.0)

# Why a message is shown as it is (its `note`, kept with it in the store): a kind, worded
# at the edge (tuimail.words.notes). "" when nothing is wrong.
NOTE_UNREADABLE = "unreadable-header"  # its header could not be read in full: kept as received
NOTE_SHORTENED = "shortened"  # a header was too long and is shown shortened
# (store.store has the others: NOTE_SIZE, NOTE_UNREADABLE_ANSWER)


def sane_date(value: float | None) -> float | None:
    """`value` if it is a finite epoch within DATE_RANGE, else None."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if DATE_RANGE[0] <= value < DATE_RANGE[1] else None


def summarize_header(raw_header: bytes) -> HeaderSummary:
    """The store's columns for a header block; never raises, always bounded.

    Plain 7-bit headers take `_fast`; the others `columns.summarize_columns` (one pass,
    each field decoded once, repeated values remembered), which gives exactly what the
    full parser's route gives. Whatever either cannot do, the full route does."""
    try:
        if not _unsafe(raw_header):
            fast = _fast(raw_header, checked=True)
            if fast is not None:
                return _bounded(fast)
        if _mime_summarize is not None:
            return summarize_columns(raw_header)
    except Exception:  # the full route decides (and salvages what it cannot read)
        pass
    return summarize_header_full(raw_header)


def summarize_header_full(raw_header: bytes) -> HeaderSummary:
    """summarize_header without the one-pass route: the reference it is tested against."""
    try:
        summary = _summarize(raw_header)
    except Exception:  # one message that cannot be read never stops the others
        summary = _salvage(raw_header)
    return _bounded(summary)


def _summarize(raw_header: bytes) -> HeaderSummary:
    fast = _fast(raw_header)
    if fast is not None:
        return fast
    if _mime_summarize is not None:
        try:
            return _from_mime(_mime_summarize(raw_header))
        except Exception:
            pass
    return _fallback(raw_header)


_LINE_VALUE = re.compile(rb"^(subject|from|message-id)[ \t]*:[ \t]*([^\r\n]{0,4000})", re.I | re.M)


def _salvage(raw_header: bytes) -> HeaderSummary:
    """What can be read without a parser: the first Subject, From and Message-ID lines,
    decoded as UTF-8 with replacement, marked as partial."""
    found: dict[bytes, str] = {}
    try:
        for match in _LINE_VALUE.finditer(raw_header[: 1 << 20]):
            key = match.group(1).lower()
            if key not in found:
                found[key] = sanitize(match.group(2).decode("utf-8", "replace").strip())
    except Exception:
        found = {}
    sender = found.get(b"from", "")
    return HeaderSummary(
        subject=found.get(b"subject", ""),
        from_addr=sender,
        message_id=found.get(b"message-id", ""),
        note=NOTE_UNREADABLE,
    )


def _bounded(summary: HeaderSummary) -> HeaderSummary:
    """Cut every string to LIMITS and drop insane dates; say so in `note` if cut."""
    note = summary.note
    for name, limit in LIMITS.items():
        value = getattr(summary, name)
        if not isinstance(value, str):
            value = str(value or "")
            setattr(summary, name, value)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: SQLite would refuse the batch
                value = value.encode("utf-8", "replace").decode("utf-8")
                setattr(summary, name, value)
        if len(value) > limit:
            setattr(summary, name, value[:limit])
            note = note or NOTE_SHORTENED
    summary.date = sane_date(summary.date)
    summary.note = note
    return summary


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


_SPECIALS = re.compile(r'[][()<>@,;:\\".]')


def _format_address(name: str, addr: str) -> str:
    """'Name <addr>' for display. Not `email.utils.formataddr`: it raises
    UnicodeEncodeError on a UTF-8 address (RFC 6532), which real mail has."""
    if not name:
        return addr
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{addr}>"


def _join(pairs: list[tuple[str, str]]) -> str:
    if len(pairs) <= 20:  # the usual To/Cc: the same few lists come again and again
        try:
            return _join_cached(tuple(pairs))
        except TypeError:  # an unhashable value: joined as before
            pass
    return _join_uncached(pairs)


def _join_uncached(pairs: Sequence[tuple[str, str]]) -> str:
    return sanitize(", ".join(_format_address(str(n or ""), str(a or "")) for n, a in pairs[:500]))


@lru_cache(maxsize=4096)
def _join_cached(pairs: tuple[tuple[str, str], ...]) -> str:
    """`_join_uncached` remembered (a pure function of the pairs)."""
    return _join_uncached(pairs)


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    parsed = parse_date(str(value))  # the one date parser (years as written)
    return parsed.timestamp() if parsed is not None else None


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


def _parser():
    """The stdlib header parser of the last resort, loaded the first time it is needed
    (most syncs never need it)."""
    from email._policybase import compat32  # email.policy would load the header registry
    from email.parser import BytesHeaderParser

    return BytesHeaderParser(policy=compat32)


def _decode(value: Any) -> str:
    if value is None:
        return ""
    try:
        import email.header

        return str(email.header.make_header(email.header.decode_header(str(value))))
    except Exception:
        return str(value)


def _fallback(raw_header: bytes) -> HeaderSummary:
    msg = _parser().parsebytes(raw_header)
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
_CONTROLS = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"


def _unsafe(raw_header: bytes) -> bool:
    """Whether _UNSAFE matches anywhere in `raw_header` (an encoded word, 8-bit bytes, a
    control other than TAB, LF and CR), by three scans in C instead of the regex's
    alternation at every byte (4x faster on a plain header; a test compares both)."""
    return (
        b"=?" in raw_header
        or not raw_header.isascii()
        or len(raw_header.translate(None, _CONTROLS)) != len(raw_header)
    )


_WANTED = {b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to",
           b"references", b"content-type"}  # fmt: skip


@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=4096)
def _fast_addresses(value: str) -> tuple[tuple[str, str], ...] | None:
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
    return tuple(out)


def _fast(raw_header: bytes, checked: bool = False) -> HeaderSummary | None:
    """Plain 7-bit headers with simple addresses and dates; None sends it to the full
    parser (encoded words, 8-bit bytes, quoted names, comments, odd dates). `checked`:
    the caller found nothing _unsafe in it already."""
    if not checked and _unsafe(raw_header):
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


@lru_cache(maxsize=512)
def _attachment_type(content_type: str) -> bool:
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype == "multipart/mixed" or (
        bool(ctype) and not ctype.startswith(("text/", "multipart/"))
    )
