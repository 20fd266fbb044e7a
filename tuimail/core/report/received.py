"""Received headers -> hops, oldest first, one hop per header (never fewer).

mail-parser's `parse_received` splits a header into its RFC 5321 clauses (from, by, with,
id, for, date); where it gives up (OpenSMTPD's "from x;\\n by y" for one), a small fallback
reads what it can, and otherwise the hop is kept raw. Every hop has `raw`.
"""

from __future__ import annotations

import email.utils
import logging
import re
from datetime import UTC, datetime

from mailparser.utils import parse_received

from tuimail.core.report.model import Hop
from tuimail.core.sanitize import sanitize

MAX_HOPS = 100  # more than this is absurd: the rest are counted, not parsed
MAX_HEADER_CHARS = 4000  # one Received header; longer ones are cut for parsing
LARGE_DELAY = 10 * 60.0  # seconds between two hops worth pointing out
CLOCK_SLACK = 60.0  # a hop up to this much "before" the previous one is just clock jitter

logging.getLogger("mailparser").setLevel(logging.CRITICAL)  # it logs every failure

_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_BARE_IP = re.compile(r"^\(?((?:\d{1,3}\.){3}\d{1,3})\)?$")
_WORD = re.compile(r"[^\s();\[\]]+")
_TLS_HINT = re.compile(r"\busing TLS|TLSv1|\bTLS1[._]|version=TLS|\bcipher=|\(TLS\)|SSLv3")
_AUTH_HINT = re.compile(r"\bauthenticated\b|Authenticated sender", re.IGNORECASE)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[127.0.0.1]", "local")


def _unfold(value: str) -> str:
    return " ".join(value.split())


def parse_hops(headers: list[str], total: int | None = None) -> tuple[list[Hop], int]:
    """Received header values as they appear (newest first) -> (hops oldest first, omitted).

    `total`: how many Received headers the message has, when `headers` is only the part
    that was read. len(hops) + omitted == max(total, len(headers)), always.
    """
    kept = headers[:MAX_HOPS]  # the newest ones: the part of the route the user's side wrote
    omitted = max(total or 0, len(headers)) - len(kept)
    hops: list[Hop] = []
    previous_time: datetime | None = None
    for number, value in enumerate(reversed(kept), start=1 + omitted):
        hop = _parse_one(number, value)
        if hop.time is not None:
            if previous_time is not None:
                delay = (hop.time - previous_time).total_seconds()
                notes = list(hop.notes)
                if delay < -CLOCK_SLACK:
                    notes.append(
                        f"its time is {_duration(-delay)} before the previous hop's: "
                        "one of the two servers' clocks is off"
                    )
                elif delay >= LARGE_DELAY:
                    notes.append(f"the message waited {_duration(delay)} before this hop")
                hop = _replace(hop, delay=delay, notes=tuple(notes))
            previous_time = hop.time
        hops.append(hop)
    return hops, omitted


def _replace(hop: Hop, **changes) -> Hop:
    from dataclasses import replace

    return replace(hop, **changes)


def _parse_one(number: int, value: str) -> Hop:
    text = _unfold(str(value))
    raw = sanitize(text[:MAX_HEADER_CHARS] + ("…" if len(text) > MAX_HEADER_CHARS else ""))
    text = text[:MAX_HEADER_CHARS]
    try:
        clauses = parse_received(text)
    except Exception:  # mail-parser raises its own error and, on odd input, others
        clauses = {}
    if not clauses.get("from") and not clauses.get("by"):
        clauses = _fallback(text) | {k: v for k, v in clauses.items() if v}
    from_clause = str(clauses.get("from", ""))
    by_clause = str(clauses.get("by", ""))
    with_clause = str(clauses.get("with", ""))
    date_text = str(clauses.get("date", "")) or _date_part(text)
    when = _parse_time(date_text)
    notes: list[str] = []
    parsed = bool(from_clause or by_clause or when)
    if not parsed:
        notes.append("could not be read: shown as written")
    elif date_text and when is None:
        notes.append("its time stamp could not be read")
    protocol = _first_word(with_clause)
    if protocol.lower() == "microsoft" and "smtp" in with_clause.lower():
        protocol = "Microsoft-SMTP"  # "with Microsoft SMTP Server (version=TLS1_2, ...)"
    encrypted, authenticated = _security(
        protocol, with_clause + " " + from_clause + " " + by_clause
    )
    from_host = _first_word(from_clause)
    address = _address(from_clause)
    by_host = _first_word(by_clause)
    local = _is_local(from_host, address, protocol, from_clause)
    return Hop(
        number=number,
        raw=raw,
        parsed=parsed,
        from_host=sanitize(from_host),
        from_address=sanitize(address),
        by_host=sanitize(by_host),
        protocol=sanitize(protocol),
        encrypted=encrypted,
        authenticated=authenticated,
        local=local,
        time=when,
        notes=tuple(notes),
    )


def _fallback(text: str) -> dict[str, str]:
    """What a header mail-parser could not split still tells: from, by, with, date."""
    out: dict[str, str] = {}
    body = text.rsplit(";", 1)[0] if ";" in text else text
    for key in ("from", "by", "with"):
        m = re.search(rf"(?:^|[\s;]){key}\s+([^;]*?)(?=\s(?:from|by|with|id|for|via)\s|;|$)", body)
        if m:
            out[key] = m.group(1).strip()
    return out


def _date_part(text: str) -> str:
    return text.rsplit(";", 1)[1].strip() if ";" in text else ""


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text.strip())
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": UTC, origin unknown (RFC 5322 3.3)
        when = when.replace(tzinfo=UTC)
    return when


def _first_word(clause: str) -> str:
    m = _WORD.search(clause)
    return m.group() if m else ""


def _address(from_clause: str) -> str:
    found = _IP.findall(from_clause)  # the last [IP]: the one the server saw, not the HELO
    if found:
        return found[-1]
    word = _first_word(from_clause)
    m = _BARE_IP.match(word)
    return m.group(1) if m else ""


def _security(protocol: str, context: str) -> tuple[bool | None, bool | None]:
    """RFC 3848 `with` words: ...S = TLS, ...A = authenticated; comments for the rest."""
    word = protocol.upper()
    encrypted: bool | None = None
    authenticated: bool | None = None
    if word in ("ESMTPS", "ESMTPSA", "LMTPS", "LMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "HTTPS"):
        encrypted = True
    elif word in ("SMTP", "ESMTP", "ESMTPA", "LMTP", "LMTPA", "UTF8SMTP", "UTF8SMTPA", "HTTP"):
        encrypted = False
    if word.endswith("A") and word in ("ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPSA"):
        authenticated = True
    elif word in ("SMTP", "ESMTP", "ESMTPS", "LMTP", "LMTPS"):
        authenticated = False
    if encrypted is not True and _TLS_HINT.search(context):
        encrypted = True  # Exim "esmtps (TLS1.2:...)", Microsoft "(version=TLS1_2, ...)"
    if authenticated is not True and _AUTH_HINT.search(context):
        authenticated = True
    return encrypted, authenticated


def _is_local(host: str, address: str, protocol: str, from_clause: str) -> bool:
    if protocol.upper().startswith("LMTP") or protocol.lower() in ("local", "pickup"):
        return True
    if address in ("127.0.0.1", "::1"):
        return True
    return not from_clause or host.lower() in _LOCAL_HOSTS


def _duration(seconds: float) -> str:
    """5 s, 3 min 4 s, 2 h 5 min, 3 d 4 h."""
    seconds = int(round(abs(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s" if s else f"{minutes} min"
    hours, m = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {m} min" if m else f"{hours} h"
    days, h = divmod(hours, 24)
    return f"{days} d {h} h" if h else f"{days} d"


duration = _duration
