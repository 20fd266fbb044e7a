"""The exact bytes of each message embedded in a message (message/rfc822, message/global,
message/news parts): what saving "Fwd: x.eml" or forwarding it inline must give.

The stdlib parser keeps an embedded message only as parsed objects; writing them back
(`as_bytes`) gives LF line ends, refolded or dropped header lines, respaced fields: another
message than the one attached. Here the raw bytes are scanned with the parser's own rules
(tuimail.core.mime.stubs: header lines, delimiter lines, the line break before a delimiter
belonging to it) to find where each embedded message starts and ends.

Invariant: all or nothing, and every span checked against the parse. The scan walks
the raw bytes and the parser's tree together: it descends where the feed parser descends
(every message/* but message/delivery-status, whose blocks of fields hold no message;
multipart/*, a digest's children being message/rfc822 without a Content-Type field),
and each part it finds must have exactly the parser's header items, content type and
number of children. A span is given only for the part it was found for (by identity,
never by order); none for a message/rfc822 the parser reads in a delivery report's block
of fields. On any disagreement, or a structure the scan does not follow (repeated
delimiter lines, mbox `From ` lines in a header), None: the caller writes the parsed
messages back as before, never another part's bytes.
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
    if not any(
        p.get_content_type() in EMBEDDED_TYPES and isinstance(p.get_payload(), list)
        for p in msg.walk()
    ):
        return {}
    start = raw.find(b"\n") + 1 if raw.startswith(b"From ") else 0  # an mbox separator
    found: dict[int, bytes] = {}
    try:
        _part(raw, start, len(raw), "text/plain", msg, found, 0)
    except _NotFollowed:
        return None
    return found


def _part(
    raw: bytes, start: int, end: int, default: str, part: Message, out: dict, depth: int
) -> None:
    """Check that raw[start:end] is the parser's `part` (`default`: its type without a
    Content-Type field) and put in `out` the bytes of each embedded message inside it."""
    if depth > MAX_DEPTH:
        raise _NotFollowed
    headers, body = _header_section(raw, start, end) if start < end else (Message(), end)
    ctype = headers.get_content_type() if "content-type" in headers else default
    if headers.items() != part.items() or ctype != part.get_content_type():
        raise _NotFollowed  # not the part the parser made of these bytes
    payload = part.get_payload()
    if ctype.startswith("message/") and ctype != "message/delivery-status":
        if not isinstance(payload, list) or len(payload) != 1:
            raise _NotFollowed
        if ctype in EMBEDDED_TYPES:
            out[id(part)] = raw[body:end]
        _part(raw, body, end, "text/plain", payload[0], out, depth + 1)
    elif ctype.startswith("multipart/") and isinstance(payload, list):
        inner = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        _multipart(raw, body, end, headers, inner, payload, out, depth)
    elif isinstance(payload, list) and ctype != "message/delivery-status":
        raise _NotFollowed  # the parser found parts where the scan sees none


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
    raw: bytes,
    start: int,
    end: int,
    headers: Message,
    default: str,
    children: list,
    out: dict,
    depth: int,
) -> None:
    """The parts between the delimiter lines of raw[start:end], checked one by one
    against the parser's `children`: as many, in the same order."""
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
    spans: list[tuple[int, int]] = []
    for before, after in zip(lines, lines[1:], strict=False):
        if after.start() == before.end():
            raise _NotFollowed
        stop = after.start()
        stop -= 2 if raw[stop - 2 : stop] == b"\r\n" else 1  # the break before it
        if stop < before.end():
            raise _NotFollowed
        spans.append((before.end(), stop))
    if not lines[-1].group(1):  # never closed: the parser reads the last part to the end
        spans.append((lines[-1].end(), end))
    if len(spans) != len(children):
        raise _NotFollowed
    for (first, last), child in zip(spans, children, strict=True):
        _part(raw, first, last, default, child, out, depth + 1)
