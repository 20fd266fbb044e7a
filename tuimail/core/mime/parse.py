"""parse_message(): raw bytes -> ParsedMessage, never raising, with bounded work.

The stdlib ``email`` parser with the ``compat32`` policy builds the MIME tree:
it never raises on broken input and never decodes text for us, so the text
decoding is done here from ``get_payload(decode=True)`` through the charset
fallback chain in :mod:`.charsets` (undecodable bytes become U+FFFD, unknown
charsets add a visible note).  mail-parser is not used for bodies: it drops
undecodable bytes silently.  Before parsing, cheap scans reject input that
would take too long (huge headers, in the message or its parts, thousands of parts,
deep nesting); such mail
is shown as "too complex, showing raw (truncated)".
"""

from __future__ import annotations

import binascii
import mimetypes
import quopri
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.feedparser import BytesFeedParser
from email.message import Message
from email.policy import compat32
from email.utils import collapse_rfc2231_value

from .charsets import decode_bytes, decode_header_bytes
from .embedded import embedded_messages
from .headers import (
    MAX_FIELDS,
    MAX_HEADER_BYTES,
    bare_cr_as_blank,
    decode_header_value,
    decode_rfc2047,
    parse_header_fields,
    split_header_block,
)
from .mbox_from import is_mbox_from
from .notes import Note, note
from .stubs import DECODED_ENCODINGS, Stubs, skeleton
from .summary import MessageSummary, summarize_fields

__all__ = ["Attachment", "BodyPart", "ParsedMessage", "parse_message"]

MAX_PARTS = 2000
MAX_DEPTH = 128  # parts inside parts; a forward of a forward is two levels
MAX_BOUNDARIES = 200
MAX_TEXT_CHARS = 2 * 1024 * 1024
# All the MIME parts' header sections together: the parser spends ~1.5 us a header line,
# so this keeps the worst case (6-byte lines) near 0.25 s on any machine.
MAX_PART_HEADER_BYTES = 1024 * 1024
RAW_FALLBACK_BYTES = 256 * 1024
PARSE_BUDGET = 1.0  # CPU seconds (this thread) of MIME parsing before showing raw instead
FEED_CHUNK = 64 * 1024

DISPLAY_HEADERS = ("from", "to", "cc", "date", "subject")


@dataclass
class BodyPart:
    """One piece of the body in display order.

    kind: "plain" (text/plain and other text), "html" (raw HTML to convert),
    "calendar" (already summarized invitation), "forward" (headers of an
    embedded message), "raw" (fallback raw text).
    """

    kind: str
    text: str
    content_type: str = "text/plain"
    flowed: bool = False
    delsp: bool = False


@dataclass
class Attachment:
    """A part the user can save.  ``filename`` is the decoded, NOT yet sanitized name."""

    index: int
    filename: str
    content_type: str
    payload: bytes
    nested: bool = False  # inside an embedded message that is itself an attachment
    charset: str | None = None  # a text/* part's declared charset (as written, unchecked)

    @property
    def size(self) -> int:
        return len(self.payload)


class LazyAttachment(Attachment):
    """An attachment whose bytes are decoded from the raw message when first asked for:
    a big base64 part left out of the parse (.stubs). Reading or indexing a message
    with a 40 MB attachment names it and gives its size without decoding it."""

    def __init__(
        self,
        index: int,
        filename: str,
        content_type: str,
        load: Callable[[], bytes],
        size: int,
        nested: bool = False,
    ) -> None:
        self.index, self.filename, self.content_type, self.nested = (
            index,
            filename,
            content_type,
            nested,
        )
        self._load, self._size, self._payload = load, size, None

    @property  # type: ignore[override]
    def payload(self) -> bytes:
        if self._payload is None:
            self._payload = self._load()
        return self._payload

    @property
    def size(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:  # the same attachment as an eager one
        if not isinstance(other, Attachment):
            return NotImplemented
        fields = ("index", "filename", "content_type", "payload", "nested")
        return all(getattr(self, f) == getattr(other, f) for f in fields)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class ParsedMessage:
    raw: bytes
    summary: MessageSummary
    headers: list[tuple[str, str]] = field(default_factory=list)  # decoded, unsanitized
    body: list[BodyPart] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # what was done to show it (mime.notes)
    too_complex: bool = False

    def note(self, kind: str, **data: str | int) -> None:
        said = note(kind, **data)
        if said not in self.notes:
            self.notes.append(said)

    def keep(self, said: Note | None) -> None:
        if said is not None and said not in self.notes:
            self.notes.append(said)


def _fix_surrogates(text: str) -> str:
    """Undo compat32's surrogateescape on raw 8-bit header bytes."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    return decode_header_bytes(text.encode("utf-8", "surrogateescape"))


def _raw_header(part: Message, name: str) -> str | None:
    """A header as parsed, with raw 8-bit bytes recovered (compat32's get() turns
    them into U+FFFD); None when absent."""
    name = name.lower()
    for key, value in part.raw_items():
        if key.lower() == name:
            if name == "from" and is_mbox_from(str(value)):
                continue  # a mangled mbox separator (mbox_from), not the author
            return _fix_surrogates(value) if isinstance(value, str) else str(value)
    return None


def _header_text(value: object) -> str:
    if value is None:
        return ""
    text = str(value) if not isinstance(value, str) else value
    # Line breaks and the white space around them become one space. No regex: `\s*` in
    # front of a line break backtracks quadratically over a long run of spaces.
    segments = decode_rfc2047(_fix_surrogates(text)).replace("\r", "\n").split("\n")
    if len(segments) == 1:
        return segments[0].strip()
    return " ".join(seg for seg in (s.strip() for s in segments) if seg)


_BOUNDARY = re.compile(rb'(?i)boundary\s*=\s*"?([^"\s;]{1,200})')


def _too_complex_reason(raw: bytes, header_len: int) -> str | None:
    """Cheap scans (C-speed) that spot input the parser would take too long on: why
    (a too-complex note's `why`), or None."""
    if header_len > MAX_HEADER_BYTES:
        return "header-section"
    boundaries = set(_BOUNDARY.findall(raw[: 8 * 1024 * 1024]))
    if len(boundaries) > MAX_BOUNDARIES:
        return "nesting"
    if raw.count(b"\n--") > MAX_PARTS * 2:
        # Many "--" lines: count only real delimiter lines (a long diff is fine).
        delimiters = sum(raw.count(b"\n--" + b) for b in boundaries)
        if delimiters > MAX_PARTS * 2:
            return "parts"
    if _part_header_bytes(raw, boundaries) > MAX_PART_HEADER_BYTES:
        return "part-headers"
    return None


# Header and continuation lines, as the parser reads a part's header section.
_HEADER_LINES = re.compile(rb"(?:[!-9;-~]+:[^\n]*\n|[ \t][^\n]*\n)*")


def _part_header_bytes(raw: bytes, boundaries: set[bytes]) -> int:
    """Bytes of header section after each delimiter line, summed (stops past the limit).

    Deterministic, unlike the parse deadline, so the same message is shown the same way
    on a fast and a slow machine. Every search is bounded by what is left of the limit,
    so the scan reads little more than the limit itself.
    """
    total = 0
    for boundary in boundaries:
        delimiter = b"\n--" + boundary
        at = raw.find(delimiter)
        while at >= 0:
            line_end = raw.find(b"\n", at + len(delimiter))
            if line_end < 0:
                break
            following = raw.find(delimiter, line_end)
            stop = min(
                following if following >= 0 else len(raw),
                line_end + MAX_PART_HEADER_BYTES - total + 3,
            )
            block = _HEADER_LINES.match(raw, line_end + 1, stop)
            total += block.end() - block.start() if block else 0
            if total > MAX_PART_HEADER_BYTES:
                return total
            at = following
    return total


def _fallback(pm: ParsedMessage, body_offset: int, why: str, **data: str) -> ParsedMessage:
    pm.too_complex = True
    pm.note("too-complex", why=why, **data)
    chunk = pm.raw[body_offset : body_offset + RAW_FALLBACK_BYTES]
    if body_offset >= len(pm.raw) and len(pm.raw) > 0:
        chunk = pm.raw[:RAW_FALLBACK_BYTES]
    text, _ = decode_bytes(chunk, None)
    pm.body = [BodyPart("raw", text)]
    return pm


def _parse_with_deadline(raw: bytes, deadline: float) -> Message | None:
    """Feed the stdlib parser in chunks so a pathological message cannot run
    past ``deadline`` (None is returned instead)."""
    parser = BytesFeedParser(policy=compat32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, len(raw), FEED_CHUNK):
            parser.feed(raw[start : start + FEED_CHUNK])
            if time.thread_time() > deadline:
                return None
        return parser.close()


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a raw RFC 5322 message.  Never raises; see module docstring."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raw = str(raw).encode("utf-8", "replace")
    raw = bytes(raw)
    block, body_offset = split_header_block(raw)
    fields = parse_header_fields(block)
    pm = ParsedMessage(raw=raw, summary=MessageSummary())
    try:
        pm.summary = summarize_fields(fields)
    except Exception:
        pm.note("headers-unreadable")
    for name, value in fields:
        if name in DISPLAY_HEADERS:
            if name == "from" and is_mbox_from(value):
                continue  # the summary's rule: a mangled mbox separator, not the author
            pm.headers.append((name.capitalize(), decode_header_value(value)))
    if len(fields) >= MAX_FIELDS:
        pm.note("too-many-headers")
    reason = _too_complex_reason(raw, len(block))
    if reason:
        return _fallback(pm, body_offset, reason)
    try:
        deadline = time.thread_time() + PARSE_BUDGET
        # A big message's big part bodies stay out of the stdlib parser (its copies of
        # them are what made `tuimail read` of 56 MB peak at 400 MB): see .stubs.
        readable = bare_cr_as_blank(raw)  # the fields the header lines above read
        left_out = skeleton(readable)
        msg = _parse_with_deadline(left_out[0] if left_out else readable, deadline)
        if msg is None:
            return _fallback(pm, body_offset, "time")
        # Found before any field of the parse is rewritten: they are checked against them.
        exact = embedded_messages(readable, msg)
        _plain_transfer_encodings(msg)
        # decoding the parts shares the same budget
        walker = _Walker(pm, deadline, left_out[1] if left_out else None)
        walker.exact = exact or {}
        walker.visit(msg, 0)
        if walker.out_of_time:
            pm.notes = [n for n in pm.notes if n.kind != "too-complex"]
            return _fallback(pm, body_offset, "time")
        if pm.too_complex:
            pm.notes = [n for n in pm.notes if n.kind != "too-complex"]
            return _fallback(pm, body_offset, "nested-parts")
        texts = [v for _n, v in pm.headers] + [a.filename for a in pm.attachments]
        if any("\ufffd" in t for t in texts) and b"\xef\xbf\xbd" not in raw:
            pm.note("header-bytes")
    except RecursionError:
        return _fallback(pm, body_offset, "nesting")
    except Exception as exc:
        return _fallback(pm, body_offset, "parser-error", type=type(exc).__name__)
    return pm


_TEXTLIKE_MESSAGE = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/global-disposition-notification",
    "message/feedback-report",
    "message/global-headers",
    "text/rfc822-headers",
}
_ENCRYPTED_TYPES = {
    "application/pgp-encrypted",
    "application/pkcs7-mime",
    "application/x-pkcs7-mime",
}


class _Walker:
    def __init__(
        self, pm: ParsedMessage, deadline: float = float("inf"), stubs: Stubs | None = None
    ) -> None:
        self.pm = pm
        self.stubs = stubs  # bodies left out of the parse (.stubs), read from the raw bytes
        self.parts = 0
        self.deadline = deadline  # thread CPU time: past it, the parse gives up
        self.out_of_time = False
        self.embedded = 0  # how many embedded messages the walk is inside
        # id() of an embedded-message part -> its message's bytes in the raw message
        # (tuimail.core.mime.embedded); a part not in it is written back from the parse
        self.exact: dict[int, bytes] = {}

    def exact_message(self, part: Message) -> bytes | None:
        """The bytes of the message embedded in `part` as they are in the raw message,
        or None when they cannot be told exactly."""
        return self.exact.get(id(part))

    # -- helpers -------------------------------------------------------
    def payload_bytes(self, part: Message) -> bytes:
        span = self.stubs.span(part) if self.stubs is not None else None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if span is not None:
                    data = self.stubs.payload(part, span)
                else:
                    data = part.get_payload(decode=True)
        except Exception:
            data = None
        if data is None and span is not None:
            data = self.stubs.raw[span[0] : span[1]]  # what the parser held as its text
        if data is None:
            raw = part.get_payload()
            if isinstance(raw, str):
                data = raw.encode("utf-8", "surrogateescape")
            else:
                data = b""
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        if cte == "base64" and part.defects:
            self.pm.note("base64-damaged")
        return data

    def filename(self, part: Message) -> str:
        # compat32 turns raw 8-bit parameter bytes into U+FFFD: re-read the raw
        # header with the bytes decoded first, then let email parse parameters.
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            value = _raw_header(part, header)
            if value is None:
                continue
            tmp = Message()
            tmp[header] = value
            try:
                name = tmp.get_param(param, header=header)
                if isinstance(name, tuple):
                    name = collapse_rfc2231_value(name, errors="replace")
            except Exception:
                name = None
            if name:
                return _header_text(name)
        return ""

    def decode_text(self, part: Message, data: bytes) -> str:
        charset = part.get_param("charset")
        if isinstance(charset, tuple):
            charset = charset[2] if len(charset) > 2 else None
        charset = _fix_surrogates(str(charset)) if charset else None
        if len(data) > MAX_TEXT_CHARS * 2:
            data = data[: MAX_TEXT_CHARS * 2]
            self.pm.note("text-truncated")
        text, said = decode_bytes(data, charset)
        self.pm.keep(said)
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            self.pm.note("text-truncated")
        return text

    def attach(self, part: Message | None, name: str, ctype: str, data: bytes | Attachment) -> None:
        """Add an attachment: its bytes, or a LazyAttachment (given the next index)."""
        index = len(self.pm.attachments) + 1
        nested = self.embedded > 0
        charset = (
            _declared_charset(part) if part is not None and ctype.startswith("text/") else None
        )
        if isinstance(data, LazyAttachment):
            data.index, data.filename, data.content_type, data.nested = index, name, ctype, nested
            data.charset = charset
            self.pm.attachments.append(data)
            return
        self.pm.attachments.append(Attachment(index, name, ctype, data, nested, charset))

    def long_text(self, part: Message) -> LazyAttachment | None:
        """A body left out of the parse whose bytes are its content as they are (no
        transfer encoding to undo) and longer than decode_text ever reads."""
        span = self.stubs.span(part) if self.stubs is not None else None
        if span is None or span[1] - span[0] <= MAX_TEXT_CHARS * 2:
            return None
        if str(part.get("content-transfer-encoding", "")).lower() in DECODED_ENCODINGS:
            return None
        return LazyAttachment(0, "", "", lambda: self.payload_bytes(part), span[1] - span[0])

    def text_start(self, part: Message) -> bytes:
        """The first bytes of a long_text body: one more than decode_text keeps, so it
        says the text was cut as it says for the whole."""
        start, _end = self.stubs.span(part)  # type: ignore[union-attr,misc]
        return self.stubs.raw[start : start + MAX_TEXT_CHARS * 2 + 1]  # type: ignore[union-attr]

    def lazy_payload(self, part: Message) -> LazyAttachment | None:
        """A clean base64 body left out of the parse, to be decoded when asked for."""
        span = self.stubs.span(part) if self.stubs is not None else None
        size = self.stubs.decoded_size(part, span) if span is not None else None
        if span is None or size is None:
            return None
        return LazyAttachment(0, "", "", lambda: self.payload_bytes(part), size)

    # -- the walk ------------------------------------------------------
    def visit(self, part: Message, depth: int, in_alternative: bool = False) -> None:
        if self.out_of_time or time.thread_time() > self.deadline:
            self.out_of_time = self.pm.too_complex = True
            return
        self.parts += 1
        if self.parts > MAX_PARTS:
            self.pm.note("too-complex", why="parts")
            self.pm.too_complex = True
            return
        if depth > MAX_DEPTH:
            self.pm.note("too-complex", why="nesting")
            self.pm.too_complex = True
            return
        ctype = part.get_content_type().lower()
        payload = part.get_payload()
        if ctype in ("message/rfc822", "message/global", "message/news"):
            self.visit_embedded(part, ctype, depth)
            return
        if ctype in _TEXTLIKE_MESSAGE and isinstance(payload, list):
            # compat32 parses delivery-status blocks into header-only Messages.
            blocks = []
            for sub in payload:
                if isinstance(sub, Message):
                    try:
                        blocks.append(sub.as_string(policy=compat32).strip())
                    except Exception:
                        blocks.append(str(sub.items()))
            text = _fix_surrogates("\n\n".join(blocks))
            if not _is_attachment(part):
                self.pm.body.append(BodyPart("plain", text, ctype))
            else:
                self.attach(part, self.filename(part) or "report.txt", ctype, text.encode())
            return
        if part.is_multipart():
            self.visit_multipart(part, ctype, payload, depth)
            return
        if ctype.startswith("multipart/"):
            # Boundary missing or never found: show what is there as text.
            self.pm.note("broken-structure")
            data = self.payload_bytes(part)
            self.pm.body.append(BodyPart("plain", self.decode_text(part, data)))
            return
        self.visit_leaf(part, ctype)

    def visit_multipart(self, part: Message, ctype: str, children: list, depth: int) -> None:
        if ctype == "multipart/encrypted":
            self.pm.note("encrypted")
        elif ctype == "multipart/signed":
            self.pm.note("signed")
        if ctype == "multipart/alternative" and children:
            self.visit_alternative(children, depth)
            return
        for child in children:
            if isinstance(child, Message):
                self.visit(child, depth + 1)

    def visit_alternative(self, children: list, depth: int) -> None:
        kids = [c for c in children if isinstance(c, Message)]
        chosen = None
        for kid in kids:
            if kid.get_content_type().lower() == "text/plain" and not _is_attachment(kid):
                if self.payload_bytes(kid).strip():
                    chosen = kid
                    break
        if chosen is None:
            for kid in reversed(kids):
                kt = kid.get_content_type().lower()
                if kt == "text/html" or kt.startswith("multipart/"):
                    chosen = kid
                    break
        if chosen is None and kids:
            chosen = kids[0]
        for kid in kids:
            kt = kid.get_content_type().lower()
            if kid is chosen or kt == "text/calendar":
                self.visit(kid, depth + 1)
            else:
                self.collect_attachments(kid, depth + 1)

    def collect_attachments(self, part: Message, depth: int) -> None:
        """In an alternative not shown: keep only its files (named or non-text parts)."""
        for sub in part.walk():
            self.parts += 1
            if self.parts > MAX_PARTS:
                return
            if sub.is_multipart():
                continue
            ctype = sub.get_content_type().lower()
            name = self.filename(sub)
            if ctype == "text/calendar":
                self.visit_leaf(sub, ctype)
            elif name or not ctype.startswith("text/"):
                data = self.payload_bytes(sub)
                self.attach(sub, name or f"part-{len(self.pm.attachments) + 1}.bin", ctype, data)

    def visit_embedded(self, part: Message, ctype: str, depth: int) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = self.exact_message(part) if isinstance(inner, Message) else None
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        if isinstance(inner, Message) and cte in ("base64", "quoted-printable"):
            # Encoded (RFC 6532 allows it for message/global; Outlook and others do it
            # for message/rfc822 too): the parser read the encoded text as the message.
            data = _decoded(data if data is not None else _written(inner), cte)
            inner = None
        if not isinstance(inner, Message):
            if data is None:
                data = self.payload_bytes(part)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                inner = message_from_bytes(data, policy=compat32)
        lines = []
        for name in ("From", "Date", "Subject", "To", "Cc"):
            value = _raw_header(inner, name)
            if value is not None:
                lines.append(f"{name}: {_header_text(value)}")
        self.pm.body.append(BodyPart("forward", "\n".join(lines)))
        if data is None:
            data = _written(inner) or self.payload_bytes(part)
        subject = _header_text(_raw_header(inner, "Subject")) or "message"
        self.attach(part, self.filename(part) or f"{subject[:60]}.eml", ctype, data)
        self.embedded += 1
        try:
            self.visit(inner, depth + 1)
        finally:
            self.embedded -= 1

    def visit_leaf(self, part: Message, ctype: str) -> None:
        shown = _shown(part, ctype)
        encoded = self.lazy_payload(part)  # a big base64 body: decoded only if shown
        long = self.long_text(part) if shown and encoded is None else None
        lazy = encoded or long
        data = None
        if long is not None:  # only the start of a long text is ever decoded
            data = self.text_start(part)
        elif encoded is not None and shown:
            data = encoded.payload
        elif lazy is None:
            data = self.payload_bytes(part)
        name = self.filename(part)
        attached = _is_attachment(part)
        maintype = ctype.split("/", 1)[0]
        if ctype in _ENCRYPTED_TYPES:
            self.pm.note("encrypted")
        if ctype == "text/calendar":
            from .calendar import summarize_calendar

            text = self.decode_text(part, data)
            self.pm.body.append(BodyPart("calendar", summarize_calendar(text)))
            self.attach(part, name or "invite.ics", ctype, lazy or data)
            return
        if (maintype == "text" or ctype in _TEXTLIKE_MESSAGE) and not attached:
            text = self.decode_text(part, data)
            if ctype == "text/html":
                self.pm.body.append(BodyPart("html", text, ctype))
            else:
                fmt = str(part.get_param("format") or "").lower()
                delsp = str(part.get_param("delsp") or "").lower() == "yes"
                if ctype == "text/plain":
                    text = self._extract_uuencoded(text)
                self.pm.body.append(BodyPart("plain", text, ctype, fmt == "flowed", delsp))
            if name:
                self.attach(part, name, ctype, lazy or data)
            return
        if not name:
            ext = {"text/plain": ".txt", "text/html": ".html"}.get(ctype, "")
            name = f"part-{len(self.pm.attachments) + 1}{ext or '.bin'}"
        self.attach(part, name, ctype, data if data is not None else lazy)

    def _extract_uuencoded(self, text: str) -> str:
        """Replace each `begin MODE NAME` ... `end` block by a line naming the attachment.

        A line scanner, linear in the text: a `begin` line with no `end` after it means
        no later `begin` has one either, so the rest is kept as it is and the scan stops
        (the regular expression this replaces searched to the end from every `begin`:
        quadratic, and outside the parse budget).
        """
        if "begin " not in text:
            return text
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        out: list[str] = []
        i, n = 0, len(lines)
        while i < n:
            name = _uu_begin(lines[i])
            if name is None:
                out.append(lines[i])
                i += 1
                continue
            end = i + 1
            while end < n and not _uu_end(lines[end]):
                end += 1
            if end >= n:  # no end line anywhere below: not a uuencoded block
                out.extend(lines[i:])
                break
            self._attach_uuencoded(name, lines[i + 1 : end])
            out += [f"[uuencoded attachment: {name}]", ""]
            i = end + 1
        return "\n".join(out)

    def _attach_uuencoded(self, name: str, body: list[str]) -> None:
        out = bytearray()
        damaged = False
        for line in body:
            if not line or line == "`":
                continue
            try:
                out += binascii.a2b_uu(line.encode("latin-1", "replace"))
            except binascii.Error:
                # Some encoders emit lines with wrong length bytes; trim and retry.
                nbytes = ((ord(line[0]) - 32) & 63) * 4 // 3 + 1
                try:
                    out += binascii.a2b_uu(line[:nbytes].encode("latin-1", "replace"))
                except binascii.Error:
                    damaged = True
        if damaged:
            self.pm.note("uuencode-damaged")
        guessed = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
        self.attach(None, name, guessed, bytes(out))


_CTE_COMMENT = re.compile(r"\([^()]*\)")


def _plain_transfer_encodings(msg: Message) -> None:
    """Each part's Content-Transfer-Encoding as the mechanism alone ("base64 ", " BASE64
    (encoded)" -> "base64"): the stdlib decodes only an exact "base64" or
    "quoted-printable", and gave the encoded text as the file otherwise."""
    for part in msg.walk():
        value = part.get("content-transfer-encoding")
        if value is None:
            continue
        plain = _CTE_COMMENT.sub("", str(value)).strip().lower()
        if plain != value and plain:
            part.replace_header("content-transfer-encoding", plain)


def _declared_charset(part: Message) -> str | None:
    """The charset parameter as written (RFC 2231 form read), or None."""
    try:
        value = part.get_param("charset")
        if isinstance(value, tuple):
            value = collapse_rfc2231_value(value, errors="replace")
    except Exception:
        return None
    return _fix_surrogates(str(value)) if value else None


def _written(msg: Message) -> bytes:
    """The stdlib's parse written back (b"" when it cannot be)."""
    try:
        return msg.as_bytes(policy=compat32)
    except Exception:
        return b""


def _decoded(data: bytes, cte: str) -> bytes:
    """An encoded embedded message's bytes, decoded leniently (stray characters skipped);
    as they are when they do not decode."""
    try:
        if cte == "base64":
            clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
            return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))
        return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return data


def _uu_begin(line: str) -> str | None:
    """The file name of a `begin 644 name` line (mode: 3 or 4 octal digits), else None."""
    if not line.startswith("begin "):
        return None
    mode, sep, name = line[6:].partition(" ")
    if not sep or not 3 <= len(mode) <= 4 or any(c not in "01234567" for c in mode):
        return None
    name = name.strip()
    return name or None


def _uu_end(line: str) -> bool:
    return line.startswith("end") and not line[3:].strip(" \t")


def _shown(part: Message, ctype: str) -> bool:
    """Whether visit_leaf decodes the part's bytes to show them (else only attaches)."""
    textual = ctype.split("/", 1)[0] == "text" or ctype in _TEXTLIKE_MESSAGE
    return ctype == "text/calendar" or (textual and not _is_attachment(part))


def _is_attachment(part: Message) -> bool:
    disp = str(part.get("content-disposition", "")).split(";", 1)[0].strip().lower()
    return disp == "attachment"
