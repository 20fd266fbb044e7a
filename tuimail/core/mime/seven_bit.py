"""8-bit mail for a server that does not offer 8BITMIME (RFC 6152 section 3).

Such a server may only be given 7-bit data: `seven_bit(raw)` converts every part whose
content is not ASCII to quoted-printable (text) or base64 (anything else), and writes
header blocks that are not ASCII as `utf8_headers.downgrade` does (encoded words, RFC
2231 parameters, A-label domains). Invariants: what each part decodes to is exactly what
it was (an attachment saved from the copy that arrives is byte for byte the one sent); an
ASCII message comes back as the same bytes; the top header block is kept as it is apart
from that downgrade (and a single part's Content-Transfer-Encoding); message/* and
multipart containers are never base64'd themselves (RFC 2046), their parts are converted.
A message the stdlib cannot take apart goes as it was (better than not sending), its top
header block downgraded all the same.
"""

from __future__ import annotations

from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from io import BytesIO

from tuimail.core.mime.long_lines import CTE_FIELD, encode_part
from tuimail.core.mime.seven_bit_stubs import ascii_from, expand, stubbed, whole_payloads
from tuimail.core.mime.utf8_headers import downgrade

_WRITE = policy.compat32.clone(linesep="\r\n")


def seven_bit(raw: bytes) -> bytes:
    """`raw` (CRLF) as 7-bit data meaning the same (see the module's invariants).

    Big leaves (an attachment, a long text) are kept out of the parse and encoded a chunk
    at a time (seven_bit_stubs): the cost follows the parts that need it, not the whole
    message, and the bytes are those of converting it whole (which is done when the
    small message does not read as the big one would)."""
    if raw.isascii():
        return raw
    end = raw.find(b"\r\n\r\n")
    try:
        small, leaves = stubbed(raw) if end != -1 and not ascii_from(raw, end) else (raw, [])
        if leaves and whole_payloads(small, raw, leaves):
            out = expand(_entity(downgrade(small)), raw, leaves)
            if out is not None:
                return out
    except Exception:  # RecursionError, parser failures: converted whole below
        pass
    raw = downgrade(raw)
    try:
        return _entity(raw)
    except Exception:  # RecursionError, parser failures on hostile input: nothing lost
        return raw


def _entity(raw: bytes) -> bytes:
    """The whole message (its top header block ASCII already) in 7 bits; that header
    block kept as it is."""
    end = raw.find(b"\r\n\r\n")
    if end == -1 or ascii_from(raw, end):
        return raw
    head, sep = raw[:end], b"\r\n\r\n"
    msg = _fixed(BytesParser(policy=policy.compat32).parsebytes(raw))
    if msg.is_multipart():
        return head + sep + _flat(msg).partition(b"\r\n\r\n")[2]
    field = b"Content-Transfer-Encoding: " + str(msg["Content-Transfer-Encoding"]).encode()
    if "Content-Type" not in msg:  # plain text was US-ASCII, which 8-bit text is not
        field = b"Content-Type: text/plain; charset=" + _charset(_content(msg)) + b"\r\n" + field
    if "MIME-Version" not in msg:  # the encoding means something only in MIME
        field = b"MIME-Version: 1.0\r\n" + field
    kept = CTE_FIELD.sub(b"", head + b"\r\n")
    return kept + field + b"\r\n\r\n" + _flat(msg).partition(b"\r\n\r\n")[2]


def _fixed(part: Message) -> Message:
    """`part` (changed in place, or a new one) with 7-bit headers and content."""
    if not all(str(value).isascii() for value in part.values()):  # a part's own
        # header block in UTF-8 (a forwarded message's): written again, then downgraded
        part = BytesParser(policy=policy.compat32).parsebytes(downgrade(_flat(part)))
    payload = part.get_payload()
    if isinstance(payload, list):  # multipart/*, message/rfc822
        payload[:] = [_fixed(child) for child in payload]
        # The text around a multipart's parts means nothing (RFC 2046 section 5.1.1):
        # its 8-bit bytes become "?" rather than go out as 8 bits.
        part.preamble = _ascii(part.preamble)
        part.epilogue = _ascii(part.epilogue)
        if str(part.get("Content-Transfer-Encoding", "")).strip().lower() in ("8bit", "binary"):
            part.replace_header("Content-Transfer-Encoding", "7bit")  # what it holds now
    elif not isinstance(payload, str) or not payload.isascii():
        encode_part(part, _content(part))
    return part


def _content(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _ascii(text: str | None) -> str | None:
    if text is None or text.isascii():
        return text
    return text.encode("ascii", "replace").decode("ascii")


def _charset(data: bytes) -> bytes:
    """The charset 8-bit text without a Content-Type is in: UTF-8 when it is valid UTF-8,
    else "unknown-8bit" (RFC 1428): said, not guessed."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return b"unknown-8bit"
    return b"utf-8"


def _flat(msg: Message) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WRITE).flatten(msg)
    return out.getvalue()
