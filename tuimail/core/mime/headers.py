"""Header-level decoding: raw header block splitting, RFC 2047 words, addresses, dates.

Works on bytes we split ourselves so that raw 8-bit headers (UTF-8 per RFC 6532,
or legacy latin-1) are decoded per header instead of being lost.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from .charsets import codec_for, decode_bytes, decode_header_bytes

__all__ = [
    "split_header_block",
    "parse_header_fields",
    "decode_rfc2047",
    "parse_addresses",
    "parse_date",
    "parse_msgid_list",
]

MAX_HEADER_BYTES = 256 * 1024
MAX_FIELDS = 2000

_BLANK = re.compile(rb"\r?\n\r?\n|\r\r")
_LF_BLANK = re.compile(rb"\r?\n\r?\n")
_BARE_CR = re.compile(rb"\r(?!\n)")


def blank_line_match(raw: bytes) -> re.Match[bytes] | None:
    """The empty line that ends the header (see split_header_block), or None."""
    return (_LF_BLANK if b"\n" in raw[:MAX_HEADER_BYTES] else _BLANK).search(raw)


def split_header_block(raw: bytes) -> tuple[bytes, int]:
    """Return (header bytes, offset of the body) for a raw message.

    A message with LF (or CRLF) line ends ends its header at an empty line of those:
    a bare CR there is no line end (servers such as Dovecot and Postfix end lines at
    LF), so "\r\r" inside a field does not end the header. Only a message written with
    CR line ends alone (classic Mac) is split at "\r\r"."""
    m = blank_line_match(raw)
    if m is None:
        return raw, len(raw)
    if m.start() == 0 and raw[:1] in (b"\r", b"\n"):
        return b"", m.end() if raw.startswith((b"\n\n", b"\r\n\r\n")) else 1
    return raw[: m.start()], m.end()


# One header field with its folded continuation lines (CR, LF or CRLF endings).
_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)", re.M)
_FOLD = re.compile(rb"[ \t]*\n[ \t]*")


def parse_header_fields(
    block: bytes, *, limit: int = MAX_FIELDS, wanted: frozenset[str] | None = None
) -> list[tuple[str, bytes]]:
    """Unfold a header block into (lowercase name, raw value bytes) pairs.

    Lines that are not headers (garbage, mbox "From " lines) are skipped; at
    most ``limit`` fields and MAX_HEADER_BYTES bytes are looked at.  With
    ``wanted``, only those (lowercase) names are returned.
    """
    if len(block) > MAX_HEADER_BYTES:
        block = block[:MAX_HEADER_BYTES]
    if b"\r" in block:
        block = lf_lines(block)
    fields: list[tuple[str, bytes]] = []
    for count, m in enumerate(_FIELD.finditer(block)):
        if count >= limit:
            break
        name = m.group(1).decode("ascii").lower()
        if wanted is not None and name not in wanted:
            continue
        value = m.group(2)
        if b"\n" in value:
            value = _FOLD.sub(b" ", value)
        fields.append((name, value.strip()))
    return fields


def lf_lines(block: bytes) -> bytes:
    """A header block with LF line ends. With LF or CRLF ends a bare CR is no line end
    but a blank (as for the servers that checked the message): "Subject: x\rFrom: ceo"
    stays one Subject, never a second From shown in place of the real sender. A block
    written with CR line ends alone (classic Mac) has them made LF."""
    if b"\n" not in block:
        return block.replace(b"\r", b"\n")
    return _BARE_CR.sub(b" ", block.replace(b"\r\n", b"\n"))


def bare_cr_as_blank(raw: bytes) -> bytes:
    """`raw` with each bare CR of its top header block made a blank (same length, so
    offsets into it stay right), when the message has LF line ends: what a parser that
    ends lines at CR too (the stdlib's) must be given to read the fields the servers
    read (see lf_lines). Unchanged otherwise."""
    block, _offset = split_header_block(raw)
    if b"\r" not in block or b"\n" not in block or not _BARE_CR.search(block):
        return raw
    return _BARE_CR.sub(b" ", block) + raw[len(block) :]


_EWORD = re.compile(r"=\?([^?\s]{1,75})\?([QqBb])\?([^?\s]*)\?=")
_EWORD_GAP = re.compile(r"(=\?[^?\s]{1,75}\?[QqBb]\?[^?\s]*\?=)[ \t]+(?==\?[^?\s]{1,75}\?[QqBb]\?)")
_QHEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _decode_b(payload: str) -> bytes:
    """Lenient base64: stray characters are skipped. A payload with no base64 in it at
    all ("=?utf-8?B?!!!?=") is shown as written, never as nothing (a Subject that
    vanished)."""
    data = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    if not data and payload.strip("="):
        return payload.encode("ascii", "replace")
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return payload.encode("ascii", "replace")


_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_QODD = re.compile(rb"=(?![0-9A-Fa-f]{2})")


def _decode_q(payload: str) -> bytes:
    """Q-encoding: '_' is a space, '=XX' (two hex digits) a byte, any other '=' kept.
    (What _QHEX.sub would do, without a Python call per escape.)"""
    raw = payload.replace("_", " ").encode("latin-1", "replace")
    if b"=" not in raw:
        return raw
    if _QODD.search(raw) is None:  # every '=' starts an escape: binascii does the same
        return binascii.a2b_qp(raw)
    parts = raw.split(b"=")
    out = [parts[0]]
    hexdigits = _HEX_DIGITS
    for part in parts[1:]:
        if len(part) >= 2 and part[0] in hexdigits and part[1] in hexdigits:
            out.append(bytes((int(part[:2], 16),)))
            out.append(part[2:])
        else:
            out.append(b"=")
            out.append(part)
    return b"".join(out)


def decode_rfc2047(value: str) -> str:
    """Decode RFC 2047 encoded words in ``value`` (lenient; never raises).

    Adjacent encoded words in the same charset are joined before decoding so
    that multi-byte characters split across words survive.
    """
    if "=?" not in value:
        return value
    if value.count("=?") == 1:  # at most one encoded word (none holds another "=?")
        m = _EWORD.search(value)
        if m is None:
            return value
        charset, enc, payload = m.groups()
        data = _decode_b(payload) if enc in "Bb" else _decode_q(payload)
        codec = codec_for(charset) or charset.lower()
        try:  # most words: valid UTF-8, which decode_bytes would decode just so
            text = data.decode("utf-8") if codec == "utf-8" else decode_bytes(data, codec)[0]
        except UnicodeDecodeError:
            text = decode_bytes(data, codec)[0]
        return value[: m.start()] + text + value[m.end() :]
    return decode_rfc2047_words(value)


def decode_rfc2047_words(value: str) -> str:
    """decode_rfc2047 for any number of encoded words (the general way)."""
    if "=?" not in value:
        return value
    if value.count("=?") > 1:  # a gap needs two encoded words
        value = _EWORD_GAP.sub(r"\1", value)
    out: list[str] = []
    pending: list[bytes] = []
    pending_cs: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            text, _note = decode_bytes(b"".join(pending), pending_cs)
            out.append(text)
        pending, pending_cs = [], None

    for m in _EWORD.finditer(value):
        if m.start() > pos:
            flush()
            out.append(value[pos : m.start()])
        charset, enc, payload = m.group(1), m.group(2).upper(), m.group(3)
        data = _decode_b(payload) if enc == "B" else _decode_q(payload)
        cs = codec_for(charset) or charset.lower()
        if pending and cs != pending_cs:
            flush()
        pending.append(data)
        pending_cs = cs
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def decode_header_value(raw: bytes) -> str:
    """Raw header bytes -> text: 8-bit decoding, then RFC 2047, then unfolding."""
    text = decode_rfc2047(decode_header_bytes(raw))
    if "\r" in text or "\n" in text:
        text = _NEWLINES.sub(" ", text)
    return text


_NEWLINES = re.compile(r"[\r\n]+[ \t]*")


# One mailbox written `name <addr>`, whatever the name holds (no angle brackets).
_NAME_ADDR = re.compile(r"\s*([^<>]*?)\s*<([^<>]*)>\s*")


def parse_addresses(raw: bytes | str) -> list[tuple[str, str]]:
    """Parse an address list into (display name, address) pairs; never raises.

    One `name <addr>` whose name the parser splits into pieces that are no addresses
    (a name holding a terminal escape, `]`, `;` or an unquoted comma: ESC ] 0 ; x BEL
    gave the sender "ESC") is that one mailbox, its name kept whole, as written."""
    text = decode_header_bytes(raw) if isinstance(raw, bytes) else raw
    if len(text) > 64 * 1024:
        text = text[: 64 * 1024]
    try:
        pairs = getaddresses([text])
    except Exception:
        pairs = [("", text)]
    pairs = _one_mailbox(text, pairs)
    result = []
    for name, addr in pairs:
        name = decode_rfc2047(name).strip()
        addr = decode_rfc2047(addr).strip()
        if name or addr:
            result.append((name, addr))
    if not result and text.strip():
        result.append((decode_rfc2047(text.strip()), ""))
    return result


def _one_mailbox(text: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`pairs`, or the one mailbox `text` is when the parser cut its name into pieces
    none of which is an address (see parse_addresses)."""
    if len(pairs) == 1 and pairs[0][0] or "<" not in text:
        return pairs  # the usual case: parsed, or no `name <addr>` form to fall back on
    match = _NAME_ADDR.fullmatch(text)
    if match is None or not match.group(1):
        return pairs
    addr = match.group(2).strip()
    if any("@" in other for _name, other in pairs if other != addr):
        return pairs  # a list after all ("a@b, <c@d>"): never lose a recipient
    name = match.group(1)
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return [(name, addr)]


# The year as written: the first number of three or more digits that is no part of a
# time (10:00:00) or zone (+0000). The standard library reads every year below 100 as a
# two-digit one ("0000" became 2000, "0099" 1999).
_LONG_NUMBER = re.compile(r"(?<![\d:+-])\d{3,}(?![\d:])")


def parse_date(raw: bytes | str | None) -> datetime | None:
    """RFC 5322 date -> aware datetime (naive dates taken as UTC); None when unparseable.

    Invariant: a year written with three or more digits is that year (three digits: 1900
    plus it, RFC 5322 4.3); one no datetime can hold (0000) or that the library would
    have read otherwise gives None (unknown), never another, plausible date."""
    if not raw:
        return None
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()[:200]
    try:
        dt = parsedate_to_datetime(text)
    except Exception:
        return None
    if dt is None:
        return None
    written = _LONG_NUMBER.search(text)
    if written is not None:
        digits = written.group()
        year = int(digits) + (1900 if len(digits) == 3 else 0)
        if year != dt.year:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return dt


_MSGID = re.compile(r"<[^<>\s]{1,998}>")


def parse_msgid_list(raw: bytes | str | None) -> list[str]:
    """Message-IDs in a References / In-Reply-To header, angle brackets kept."""
    if not raw:
        return []
    text = decode_header_bytes(raw) if isinstance(raw, bytes) else raw
    ids = _MSGID.findall(text)
    if not ids and text.strip() and " " not in text.strip():
        ids = [text.strip()]
    return ids
