"""The exact bytes of each message embedded in a message (message/rfc822, message/global,
message/news parts): what saving "Fwd: x.eml" or forwarding it inline must give.

The stdlib parser keeps an embedded message only as parsed objects; writing them back
(`as_bytes`) gives LF line ends, refolded or dropped header lines, respaced fields: another
message than the one attached. Here the raw bytes are scanned with the parser's own rules
(tuimail.core.mime.stubs: header lines, delimiter lines, the line break before a delimiter
belonging to it) to find where each embedded message starts and ends.

Invariant: all or nothing. The spans are given only when the scan understood every
multipart and embedded message on its way (no repeated delimiter lines, header sections
ended by an empty line) and found exactly as many embedded messages as the parser, each
starting with the parser's first field; otherwise None, and the caller writes the parsed
message back as before.
"""

from __future__ import annotations

import warnings
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from .stubs import _HEADER_LINE, _LINE, _delimiters

EMBEDDED_TYPES = ("message/rfc822", "message/global", "message/news")
MAX_DEPTH = 256  # parse.py stops at its own, lower, depth


class _NotFollowed(Exception):
    """A structure the scan does not follow exactly as the parser would."""


def embedded_messages(raw: bytes, msg: Message) -> dict[int, bytes] | None:
    """id() of each embedded-message part of `msg` (the parse of `raw`) -> the bytes of
    the message it holds, as they are in `raw`; None when they cannot be told exactly."""
    parts = [
        p
        for p in msg.walk()
        if p.get_content_type() in EMBEDDED_TYPES and isinstance(p.get_payload(), list)
    ]
    if not parts:
        return {}
    spans: list[tuple[int, int]] = []
    start = raw.find(b"\n") + 1 if raw.startswith(b"From ") else 0  # an mbox separator
    try:
        _part(raw, start, len(raw), "text/plain", spans, 0)
    except _NotFollowed:
        return None
    if len(spans) != len(parts):
        return None
    found: dict[int, bytes] = {}
    for part, (start, end) in zip(parts, spans, strict=True):
        inner = part.get_payload()[0]
        keys = inner.keys() if isinstance(inner, Message) else []
        data = raw[start:end]
        if keys and not data.lower().startswith(keys[0].lower().encode("ascii", "replace")):
            return None
        found[id(part)] = data
    return found


def _part(raw: bytes, start: int, end: int, default: str, out: list, depth: int) -> None:
    """Append to `out`, in document order, the span of each embedded message inside the
    part in raw[start:end] (`default`: its type without a Content-Type field)."""
    if depth > MAX_DEPTH:
        raise _NotFollowed
    if start == end:
        return  # an empty part: no header, no body
    headers, body = _header_section(raw, start, end)
    ctype = headers.get_content_type() if headers.get("content-type") else default
    if ctype in EMBEDDED_TYPES:
        out.append((body, end))
        _part(raw, body, end, "text/plain", out, depth + 1)
    elif ctype.startswith("message/"):
        return  # delivery reports and the like: blocks of fields, no message inside
    elif ctype.startswith("multipart/"):
        inner = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        _multipart(raw, body, end, headers, inner, out, depth)


def _header_section(raw: bytes, start: int, end: int) -> tuple[Message, int]:
    """The part's fields and where its body starts, by the parser's rules: the header
    ends at an empty line (taken), at a line that is no header line (the body's first),
    or at the end of the part (no body)."""
    at = body = start
    while at < end:
        line = _LINE.match(raw, at, end)
        if line is None:
            break
        text = line.group()
        if text in (b"\n", b"\r\n"):
            body = line.end()  # the empty line ends the header and is neither's
            break
        if not _HEADER_LINE.match(text):
            break  # the body's first line (the parser notes a missing empty line)
        if text.startswith(b"From "):
            raise _NotFollowed  # the parser's unix-from rules: not worth following
        at = body = line.end()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BytesHeaderParser(policy=compat32).parsebytes(raw[start:at]), body


def _multipart(
    raw: bytes, start: int, end: int, headers: Message, default: str, out: list, depth: int
) -> None:
    boundary = headers.get_boundary()
    if not boundary:
        raise _NotFollowed
    separator = b"--" + boundary.encode("ascii", "surrogateescape")
    if b"\n" in separator or b"\r" in separator:
        raise _NotFollowed
    lines: list = []
    for line in _delimiters(raw, separator, start, end):
        lines.append(line)
        if line.group(1):
            break  # the closing delimiter: what follows is the epilogue
    if not lines:
        raise _NotFollowed
    for before, after in zip(lines, lines[1:], strict=False):
        if after.start() == before.end():
            raise _NotFollowed
        stop = after.start()
        stop -= 2 if raw[stop - 2 : stop] == b"\r\n" else 1  # the break before it
        if stop < before.end():
            raise _NotFollowed
        _part(raw, before.end(), stop, default, out, depth + 1)
    if not lines[-1].group(1):  # never closed: the parser reads the last part to the end
        _part(raw, lines[-1].end(), end, default, out, depth + 1)
