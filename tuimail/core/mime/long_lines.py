"""Body lines too long for SMTP (RFC 5322 section 2.1.1: at most 998 octets).

A server that relays or delivers such a line breaks it by inserting CRLF and a space
(Postfix's `smtp_line_length_limit`, its LMTP to Dovecot too): an HTML newsletter
forwarded as an attachment, a log or a minified file arrives with a space in the middle
of a word, a link or a style. `fit_lines(raw)` re-encodes only the parts that hold such a
line, losslessly: text as quoted-printable (lines of 76), anything else as base64; their
decoded content is exactly what it was. Invariants: a message whose lines all fit comes
back as the same bytes; header blocks are never rewritten (only a re-encoded part's
Content-Transfer-Encoding changes); parts already in base64 or quoted-printable, and
message/* and multipart containers themselves, are left alone (their own parts are
re-encoded where needed).
"""

from __future__ import annotations

import base64
import quopri
import re
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from io import BytesIO

LIMIT = 998
_CHUNK = 1 << 20
_PLAIN_ENCODINGS = ("", "7bit", "8bit", "binary")
# One Content-Transfer-Encoding field with its folded lines, in a header block.
CTE_FIELD = re.compile(rb"^content-transfer-encoding[ \t]*:.*\r?\n(?:[ \t].*\r?\n)*", re.I | re.M)


def too_long(data: bytes, start: int = 0) -> bool:
    """Whether a line of data[start:] (CRLF, LF or CR ended) is longer than 998 octets.
    (Measured line by line, a chunk of ~1 MB cut after a LF at a time: a regular
    expression for it backtracks at every byte, ~9 s of CPU for a 56 MB attachment, and
    the lines of all of it at once are a list of 770,000 objects, +85 MB.)"""
    end = len(data)
    while end - start > LIMIT:
        stop = data.find(b"\n", min(start + _CHUNK, end) - 1)
        stop = end if stop == -1 else stop + 1
        if max(map(len, data[start:stop].splitlines()), default=0) > LIMIT:
            return True
        start = stop
    return False


def fit_lines(raw: bytes) -> bytes:
    """`raw` with every part that holds an over-long body line re-encoded (see above).
    The top header block is kept byte for byte (a re-encoded single part gets its
    Content-Transfer-Encoding field replaced). A message the stdlib cannot take apart
    and write again (nested too deeply, broken beyond its parser) goes as it is: the
    servers' line breaking is better than not sending."""
    try:
        return _fitted(raw)
    except Exception:  # RecursionError, parser failures on hostile input: nothing lost
        return raw


def _fitted(raw: bytes) -> bytes:
    sep = b"\r\n\r\n"
    end = raw.find(sep)
    if end == -1:
        sep = b"\n\n"
        end = raw.find(sep)
    if end == -1 or not too_long(raw, end + len(sep)):
        return raw
    head = raw[:end]
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    if not msg.is_multipart():  # one part: the message itself
        if not _reencode(msg):
            return raw
        eol = b"\n" if sep == b"\n\n" else b"\r\n"
        field = b"Content-Transfer-Encoding: " + str(msg["Content-Transfer-Encoding"]).encode()
        kept = CTE_FIELD.sub(b"", head + eol)
        if "MIME-Version" not in msg:  # the encoding means something only in MIME
            field = b"MIME-Version: 1.0" + eol + field
        return kept + field + eol + eol + msg.get_payload().encode("ascii")
    changed = [_reencode(part) for part in msg.walk() if not part.is_multipart()]
    if not any(changed):
        return raw
    out = BytesIO()
    writer = policy.compat32.clone(linesep="\r\n")
    BytesGenerator(out, mangle_from_=False, policy=writer).flatten(msg)
    return head + sep + out.getvalue().partition(b"\r\n\r\n")[2]


def _reencode(part: Message) -> bool:
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding not in _PLAIN_ENCODINGS:
        return False
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not too_long(data):
        return False
    encode_part(part, data)
    return True


def encode_part(part: Message, data: bytes) -> None:
    """Give `part` the content `data` in quoted-printable (text) or base64 (anything
    else): 7-bit lines of at most 76 octets that decode to exactly `data`."""
    if part.get_content_maintype() == "text":
        # Text's line breaks are CRLF on the wire whatever they were here; the lines
        # themselves keep every byte.
        text = data.replace(b"\r\n", b"\n")
        encoded = quopri.encodestring(text).replace(b"\n", b"\r\n")
        name = "quoted-printable"
    else:
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        name = "base64"
    part.set_payload(encoded.decode("ascii"))
    if "Content-Transfer-Encoding" in part:
        part.replace_header("Content-Transfer-Encoding", name)
    else:
        part["Content-Transfer-Encoding"] = name
