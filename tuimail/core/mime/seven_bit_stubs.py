"""Big leaves of a message kept out of `seven_bit`'s parse (the cost is the leaves'
size, not the message's).

`stubbed(raw)` finds, by a scan of the bytes (header blocks parsed alone), every leaf part
whose body is over STUB_ABOVE bytes and whose transfer encoding leaves its bytes as they
are (none, 7bit, 8bit, binary), and gives back the message with each such body replaced
by a one-line placeholder of the same kind (ASCII or not; valid UTF-8 or not): small,
parsed and converted as before. `expand` then puts each leaf back into the converted
message, encoded a chunk at a time exactly as `long_lines.encode_part` encodes a whole
payload (base64 in lines of 57 bytes, quoted-printable line by line), or, for an ASCII
leaf, with its line ends made CRLF as the generator writes them.

Invariant: `expand(convert(stubbed))` is byte for byte `convert(raw)`. Every placeholder
must come back exactly once where the conversion put it, the parse of the small message
must see each as a whole payload, else the caller converts the whole message as before.

The reader's mime.stubs leaves big bodies out of its parse too, by stricter rules (it
never enters message/* parts, where a forwarded 8-bit message is what needs converting
here) and with tokens that need not look like the body; this one checks its result
against the conversion's own output instead. Folding the two into one walker is left
for later.
"""

from __future__ import annotations

import base64
import codecs
import quopri
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from io import BytesIO

STUB_ABOVE = 64 << 10  # leaves larger than this are kept out of the parse
CHUNK = 57 * 16384  # bytes encoded at a time (whole base64 lines: 57 bytes each)
_AS_IS = ("", "7bit", "8bit", "binary")
_EOL = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Leaf:
    start: int  # raw[start:end] is replaced by the placeholder
    end: int
    stop: int  # raw[start:stop] is the part's body as the parser reads it (a message/*
    # part's last body keeps the CRLF before the next delimiter: raw[end:stop])
    text: bool  # a text/* part (quoted-printable) or anything else (base64)
    normalize: bool  # under a part header block not in ASCII: written again first
    ascii: bool
    placeholder: bytes


def stubbed(raw: bytes) -> tuple[bytes, list[Leaf]]:
    """`raw` with its big leaves replaced by placeholders, and those leaves."""
    found: list[tuple[int, int, int, bool]] = []
    _walk(raw, 0, len(raw), found, in_part=False, extra=0, top=True, rewritten=False)
    if not found:
        return raw, []
    tag = secrets.token_hex(8)
    leaves, pieces, pos = [], [], 0
    for number, (start, end, stop, text, normalize) in enumerate(found):
        ascii_ = _ascii(raw, start, end)
        lead = b"" if ascii_ else b"\xc3\xa9" if _utf8(raw, start, end) else b"\xff"
        placeholder = lead + b"tuimail-7bit-%s-%d" % (tag.encode(), number)
        leaves.append(Leaf(start, end, stop, text, normalize, ascii_, placeholder))
        pieces += [raw[pos:start], placeholder]
        pos = end
    pieces.append(raw[pos:])
    small = b"".join(pieces)
    if ascii_from(small, small.find(b"\r\n\r\n")):
        return raw, []  # an ASCII body is sent as it is: nothing to convert
    return small, leaves


def _ascii(raw: bytes, start: int, end: int) -> bool:
    return all(raw[at : min(at + CHUNK, end)].isascii() for at in range(start, end, CHUNK))


def ascii_from(data: bytes, start: int) -> bool:
    """Whether data[start:] is ASCII (read a chunk at a time, not copied whole)."""
    return all(data[at : at + CHUNK].isascii() for at in range(start, len(data), CHUNK))


def whole_payloads(small: bytes, raw: bytes, leaves: list[Leaf]) -> bool:
    """Whether the parser reads each placeholder of `small` as one part's whole body."""
    msg = BytesParser(policy=policy.compat32).parsebytes(small)
    payloads = {part.get_payload(decode=True) for part in msg.walk()}
    return all(_content(raw, leaf) in payloads for leaf in leaves)


def _content(raw: bytes, leaf: Leaf) -> bytes:
    """The placeholder's part's body, as the parser reads it."""
    return leaf.placeholder + raw[leaf.end : leaf.stop]


def expand(converted: bytes, raw: bytes, leaves: list[Leaf]) -> bytes | None:
    """The converted small message with every leaf put back; None when a placeholder
    is not where the conversion should have put it (exactly once, in its form)."""
    out = BytesIO()  # grown in place; getvalue() hands over its buffer (no second copy)
    pos = 0
    for leaf in leaves:
        image = _image(_content(raw, leaf), leaf)
        at = converted.find(image, pos)
        if at == -1 or converted.find(image, at + 1) != -1:
            return None
        out.write(converted[pos:at])
        try:
            for chunk in _encoded(raw, leaf):
                out.write(chunk)
        except _Unlike:
            return None
        pos = at + len(image)
    out.write(converted[pos:])
    return out.getvalue()


class _Unlike(Exception):
    """A leaf that encoded a chunk at a time would not be what the whole encoding is."""


def _image(content: bytes, leaf: Leaf) -> bytes:
    """What the conversion writes for the placeholder's body (as encode_part would)."""
    if leaf.ascii:
        return _EOL.sub(b"\r\n", content)
    if leaf.text:
        return _qp(content.replace(b"\r\n", b"\n"))
    return base64.encodebytes(content).replace(b"\n", b"\r\n")


def _pieces(raw: bytes, leaf: Leaf) -> Iterator[bytes]:
    """The leaf's body in pieces of about CHUNK bytes, each ending just after a LF (a
    CR LF pair never split); every line end CRLF where the conversion writes the part
    again before encoding it (`normalize`)."""
    start = leaf.start
    for stop in _line_cuts(raw, start, leaf.stop):
        piece = raw[start:stop]
        yield _EOL.sub(b"\r\n", piece) if leaf.normalize and not _crlf_only(piece) else piece
        start = stop


def _encoded(raw: bytes, leaf: Leaf) -> Iterator[bytes]:
    if leaf.ascii:  # left as it is: the generator writes every line end as CRLF
        for piece in _pieces(raw, leaf):
            yield piece if _crlf_only(piece) else _EOL.sub(b"\r\n", piece)
    elif not leaf.text:  # base64 of the whole: whole lines of 57 bytes at a time
        carry = b""
        for piece in _pieces(raw, leaf):
            data = carry + piece if carry else piece
            cut = len(data) - len(data) % 57
            if cut:
                yield base64.encodebytes(data[:cut]).replace(b"\n", b"\r\n")
            carry = data[cut:]
        if carry:
            yield base64.encodebytes(carry).replace(b"\n", b"\r\n")
    else:
        # encode_part: CRLF -> LF, quoted-printable, LF -> CRLF. binascii.b2a_qp reads
        # the first line end of its input to choose CRLF mode: every chunk must read the
        # same as the whole would.
        mode = None
        for piece in _pieces(raw, leaf):
            text = piece.replace(b"\r\n", b"\n")
            newline = text.find(b"\n")
            if newline != -1:
                crlf = newline > 0 and text[newline - 1] == 13
                if mode is None:
                    mode = crlf
                elif crlf != mode:
                    raise _Unlike
            yield _qp(text)


def _qp(text: bytes) -> bytes:
    """encode_part's quoted-printable of `text` (its CRLFs made LF already), with a CR
    left alone made a line end as the generator writes it."""
    encoded = quopri.encodestring(text).replace(b"\n", b"\r\n")
    return encoded if _crlf_only(encoded) else _EOL.sub(b"\r\n", encoded)


def _line_cuts(raw: bytes, start: int, end: int) -> Iterator[int]:
    """Ends of chunks of raw[start:end] of about CHUNK bytes, each just after a LF (a
    CR LF pair, or a CR line end, never split), the last at `end`."""
    while start < end:
        newline = raw.find(b"\n", min(start + CHUNK, end) - 1, end)
        stop = end if newline == -1 else newline + 1
        yield stop
        start = stop


def _crlf_only(data: bytes) -> bool:
    return data.count(b"\r") == data.count(b"\n") == data.count(b"\r\n")


def _utf8(raw: bytes, start: int, end: int) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for at in range(start, end, CHUNK):
            decoder.decode(raw[at : min(at + CHUNK, end)], final=at + CHUNK >= end)
    except UnicodeDecodeError:
        return False
    return True


def _walk(
    raw: bytes,
    start: int,
    end: int,
    found: list,
    *,
    in_part: bool,
    extra: int,
    top: bool = False,
    rewritten: bool,
) -> None:
    """Collect the big leaves of the entity raw[start:end] (its header block first): a
    multipart's part (`in_part`) or a message's body; `extra` bytes after `end` belong
    to its body if it is a leaf and not a part. `rewritten`: an enclosing part's header
    block is not ASCII, so seven_bit writes that part again (line ends CRLF) and parses
    it before converting its leaves (the top block is made ASCII first)."""
    if raw.startswith(b"\r\n", start):
        body, head = start + 2, Message()  # no header fields: text/plain
    else:
        sep = raw.find(b"\r\n\r\n", start, end)
        if sep == -1:
            return
        body = sep + 4
        head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[start:body])
    kind = head.get_content_type()
    rewritten = rewritten or (not top and not all(str(v).isascii() for v in head.values()))
    if head.get_content_maintype() == "multipart":
        boundary = head.get_boundary()
        if boundary:
            for part_start, part_end in _parts(raw, body, end, boundary):
                _walk(raw, part_start, part_end, found, in_part=True, extra=2, rewritten=rewritten)
        return
    if head.get_content_maintype() == "message":
        # The parser keeps the CRLF before a delimiter in a message part's last body.
        if kind != "message/delivery-status":
            _walk(raw, body, end, found, in_part=False, extra=extra, rewritten=rewritten)
        return
    encoding = str(head.get("Content-Transfer-Encoding", "")).strip().lower()
    if (
        end - body > STUB_ABOVE
        and encoding in _AS_IS
        and not raw.startswith(b"--", body)
        and raw.find(b"\n--", body, end) == -1  # no line the parser could take for a boundary
    ):
        stop = end if in_part else end + extra
        found.append((body, end, stop, head.get_content_maintype() == "text", rewritten))


def _parts(raw: bytes, body: int, end: int, boundary: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each part of a multipart body: between delimiter lines, less the
    CRLF before the next one (it belongs to the delimiter, RFC 2046 section 5.1.1)."""
    try:
        mark = boundary.encode("ascii")
    except UnicodeEncodeError:
        return
    delimiter = re.compile(rb"^--" + re.escape(mark) + rb"(--)?[ \t]*(?:\r\n|\Z)", re.M)
    previous = None
    for found in delimiter.finditer(raw, body, end):
        if previous is not None:
            if raw[found.start() - 2 : found.start()] != b"\r\n":
                return
            yield previous, found.start() - 2
        if found.group(1):  # the close delimiter
            return
        previous = found.end()
