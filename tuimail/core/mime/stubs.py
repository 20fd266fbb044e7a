"""Big part bodies kept out of the stdlib parser: a skeleton of the message to parse, and
where each left-out body is in the raw bytes.

The stdlib feed parser holds a body as one text string per line, then joins them, and
`get_payload(decode=True)` encodes the text back to bytes before decoding it: about five
copies of a 40 MB attachment at once. For a big message, `skeleton(raw)` finds the body of
each simple leaf part (the parser's own rules: header lines as its `headerRE` reads them,
delimiter lines as its boundary expression matches them, the line break before a
delimiter belonging to the delimiter) and replaces it by a token line; `Stubs.payload`
gives what `get_payload(decode=True)` would have given for it, from the raw bytes (one
copy; base64 decoded straight from them when it is clean).

Invariants: a part is left out only when the parser would certainly read the same
structure (explicit Content-Type outside multipart/ and message/, a header section ended
by an empty line, a closing delimiter, no bare CR anywhere, no repeated delimiter lines);
anything else keeps its body in the skeleton. The tokens are random per message, so no
message can name one. The result of the parse is the same with or without stubs (tests:
tests/message/test_big_parts.py).
"""

from __future__ import annotations

import binascii
import re
import secrets
import warnings
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

BIG_MESSAGE = 4 << 20  # smaller messages are parsed as they are
BIG_PART = 256 << 10  # a body left out is at least this big
MAX_DEPTH = 16

# The feed parser's header line (email.feedparser.headerRE), in bytes.
_HEADER_LINE = re.compile(rb"(From |[\041-\071\073-\176]*:|[\t ])")
_LINE = re.compile(rb"[^\n]*\n|[^\n]+\Z")
_BASE64_AND_BREAKS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n"
_CHUNK = 1 << 20
# The transfer encodings Message.get_payload(decode=True) decodes (compat32): any other
# value gives the body's bytes as they are.
DECODED_ENCODINGS = ("quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue")
_PADDING_END = re.compile(rb"={1,2}[\r\n]*")


@dataclass
class Stubs:
    """Token text -> (start, end) of the body it stands for in `raw`."""

    raw: bytes
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def span(self, part: Message) -> tuple[int, int] | None:
        payload = part._payload
        return self.spans.get(payload) if isinstance(payload, str) else None

    def _clean_base64(self, start: int, end: int) -> bool:
        """Only the alphabet and line breaks, padding only at the end, whole quanta."""
        raw = self.raw
        for at in range(start, end, _CHUNK):  # by chunks: no copy of the whole body
            if raw[at : min(at + _CHUNK, end)].translate(None, _BASE64_AND_BREAKS).strip(b"="):
                return False
        pad = raw.find(b"=", start, end)
        if pad != -1 and not _PADDING_END.fullmatch(raw, pad, end):
            return False
        chars = end - start - raw.count(b"\n", start, end) - raw.count(b"\r", start, end)
        return chars % 4 == 0

    def decoded_size(self, part: Message, span: tuple[int, int]) -> int | None:
        """How many bytes `payload` gives for a clean base64 body, without decoding it
        (None for any other body)."""
        start, end = span
        cte = str(part.get("content-transfer-encoding", "")).lower()
        if cte != "base64" or not self._clean_base64(start, end):
            return None
        chars = end - start - self.raw.count(b"\n", start, end) - self.raw.count(b"\r", start, end)
        return chars // 4 * 3 - self.raw.count(b"=", start, end)

    def payload(self, part: Message, span: tuple[int, int]) -> bytes:
        """What `part.get_payload(decode=True)` gives for the body at `span` (compat32)."""
        start, end = span
        cte = str(part.get("content-transfer-encoding", "")).lower()
        if cte == "base64" and self._clean_base64(start, end):
            # what the stdlib's decode_b gives for it (no defect), without its copies
            return binascii.a2b_base64(memoryview(self.raw)[start:end])
        if cte not in DECODED_ENCODINGS:  # the parser gives its text's bytes as they are: these
            return self.raw[start:end]
        # Anything else exactly as the parser would: its text, then its own decoding.
        original = part._payload
        part.set_payload(self.raw[start:end].decode("ascii", "surrogateescape"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return part.get_payload(decode=True)
        finally:
            part.set_payload(original)


def skeleton(raw: bytes) -> tuple[bytes, Stubs] | None:
    """The message with its big simple leaf bodies replaced by tokens, and where they
    were; None when nothing is left out (small message, or no part qualifies)."""
    if len(raw) < BIG_MESSAGE or raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    spans: list[tuple[int, int]] = []
    _part(raw, 0, len(raw), True, spans, 0)
    if not spans:
        return None
    stubs = Stubs(raw)
    pieces, at = [], 0
    word = secrets.token_hex(16)
    for number, (start, end) in enumerate(sorted(spans)):
        token = f"tuimail-left-out-{word}-{number}"
        stubs.spans[token] = (start, end)
        pieces += [raw[at:start], token.encode("ascii")]
        at = end
    pieces.append(raw[at:])
    return b"".join(pieces), stubs


def _headers(raw: bytes, start: int, end: int) -> tuple[Message, int] | None:
    """The part's header section parsed as the parser would, and where its body starts;
    None unless it is header lines ended by an empty line."""
    at = start
    while at < end:
        line = _LINE.match(raw, at, end)
        if line is None:
            return None
        text = line.group()
        if text in (b"\n", b"\r\n"):
            block = raw[start:at]
            if b"\nFrom " in b"\n" + block:
                return None  # the parser's unix-from rules: not worth following
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return BytesHeaderParser(policy=compat32).parsebytes(block), line.end()
        if not _HEADER_LINE.match(text):
            return None
        at = line.end()
    return None


def _part(raw: bytes, start: int, end: int, root: bool, out: list, depth: int) -> None:
    """Collect in `out` the body spans of the big simple leaves of the part in
    raw[start:end] (for a part inside a multipart, `end` is where the line break before
    the next delimiter line starts)."""
    if depth > MAX_DEPTH:
        return
    parsed = _headers(raw, start, end)
    if parsed is None:
        return
    headers, body = parsed
    if headers.get("content-type") is None and not root:
        return  # the default type depends on the parent (message/rfc822 in a digest)
    maintype = headers.get_content_maintype()
    if maintype == "message":
        return
    if maintype == "multipart":
        _multipart(raw, body, end, headers, out, depth)
        return
    if end - body >= BIG_PART:
        out.append((body, end))


def _multipart(raw: bytes, start: int, end: int, headers: Message, out: list, depth: int) -> None:
    boundary = headers.get_boundary()
    if not boundary:
        return
    try:
        separator = b"--" + boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return
    if b"\n" in separator or b"\r" in separator:
        return  # a folded boundary: the parser, line by line, never finds it
    lines = list(_delimiters(raw, separator, start, end))
    if not lines or not lines[-1].group(1) or any(m.group(1) for m in lines[:-1]):
        return  # no closing delimiter, or more than one: left to the parser
    for before, after in zip(lines, lines[1:], strict=False):
        if after.start() == before.end():
            return  # repeated delimiter lines: the parser skips them, not followed here
        stop = after.start()
        stop -= 2 if raw[stop - 2 : stop] == b"\r\n" else 1  # the break before it
        if stop < before.end():
            return
        _part(raw, before.end(), stop, False, out, depth + 1)


_AFTER_SEPARATOR = re.compile(rb"(--)?[ \t]*(?:\r?\n|\Z)")


class _Delimiter:
    """One delimiter line: where it starts and ends, `group(1)` "--" when closing."""

    def __init__(self, start: int, tail: re.Match) -> None:
        self._start, self._tail = start, tail

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._tail.end()

    def group(self, _number: int) -> bytes | None:
        return self._tail.group(1)


def _delimiters(raw: bytes, separator: bytes, start: int, end: int):
    """The delimiter lines in raw[start:end], as the parser's boundary expression
    matches them (a line starting with the separator, then an optional "--", blanks, the
    line break): found with bytes.find, not a regular expression over the whole body."""
    at = start
    while True:
        found = raw.find(separator, at, end)
        if found == -1:
            return
        if found == 0 or raw[found - 1] == 0x0A:
            tail = _AFTER_SEPARATOR.match(raw, found + len(separator), end)
            if tail is not None:
                yield _Delimiter(found, tail)
        at = found + 1
