"""FETCH: attribute parsing, ENVELOPE, BODYSTRUCTURE and BODY[section] data.

ENVELOPE and BODYSTRUCTURE bytes are cached in `StoredMessage.cache` (raw never changes),
so a second FETCH of a big folder costs only the joining of bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from testserver.imap.address import parse_address_list
from testserver.imap.mime import Part, header_fields, last, split_header
from testserver.imap.parser import BadCommand, literal, nstring, qstring
from testserver.mailstore import StoredMessage

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SECTION_RE = re.compile(
    r"(?P<part>\d+(?:\.\d+)*)?"
    r"(?:(?(part)\.)(?P<spec>HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME))?"
    r"(?:\s*\((?P<fields>[^)]*)\))?\Z",
    re.IGNORECASE,
)
BODY_RE = re.compile(
    r"(?P<name>BODY\.PEEK|BODY|BINARY\.PEEK|BINARY)\[(?P<section>[^\]]*)\]"
    r"(?:<(?P<start>\d+)(?:\.(?P<length>\d+))?>)?\Z",
    re.IGNORECASE,
)
SIMPLE = {
    "FLAGS",
    "UID",
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "MODSEQ",
}
MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}


@dataclass(frozen=True)
class Item:
    name: str  # FLAGS, UID, ..., or BODY[] for sections
    part: tuple[int, ...] = ()
    spec: str = ""  # "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME
    fields: tuple[str, ...] = ()
    start: int | None = None
    length: int | None = None
    peek: bool = False
    binary: bool = False

    @property
    def sets_seen(self) -> bool:
        return (self.name in ("BODY[]", "RFC822", "RFC822.TEXT")) and not self.peek

    def key(self) -> bytes:
        """How the item is named in the response."""
        if self.name != "BODY[]":
            return self.name.encode()
        section = ".".join(str(p) for p in self.part)
        if self.spec:
            section = f"{section}.{self.spec}" if section else self.spec
        if self.fields:
            section += " (" + " ".join(self.fields) + ")"
        head = "BINARY" if self.binary else "BODY"
        origin = f"<{self.start}>" if self.start is not None else ""
        return f"{head}[{section}]{origin}".encode()


def parse_items(token: object) -> list[Item]:
    """The attribute list of a FETCH command (an atom, a macro or a list)."""
    atoms = token if isinstance(token, list) else [token]
    items = []
    for atom in atoms:
        if not isinstance(atom, str):
            raise BadCommand("invalid fetch attribute")
        upper = atom.upper()
        if upper in MACROS:  # RFC 3501 wants them alone; "(FAST)" is accepted like Dovecot
            items.extend(Item(n) for n in MACROS[upper])
            continue
        if upper in SIMPLE:
            items.append(Item(upper))
            continue
        m = BODY_RE.match(atom)
        if m is None:
            raise BadCommand(f"unknown fetch attribute {atom[:40]}")
        s = SECTION_RE.match(m["section"].strip())
        if s is None:
            raise BadCommand("invalid section")
        spec = (s["spec"] or "").upper()
        fields = tuple(f.upper() for f in (s["fields"] or "").split())
        if spec.startswith("HEADER.FIELDS") != bool(s["fields"] is not None):
            raise BadCommand("invalid section")
        if spec.startswith("HEADER.FIELDS") and not fields:
            raise BadCommand("empty header field list")
        part = tuple(int(p) for p in s["part"].split(".")) if s["part"] else ()
        if spec == "MIME" and not part:
            raise BadCommand("MIME needs a part number")
        if 0 in part:
            raise BadCommand("invalid part number")
        name = m["name"].upper()
        start = int(m["start"]) if m["start"] is not None else None
        length = int(m["length"]) if m["length"] is not None else None
        if start is not None and length == 0:
            length = 0
        items.append(
            Item(
                "BODY[]",
                part,
                spec,
                fields,
                start,
                length,
                peek=name.endswith(".PEEK"),
                binary=name.startswith("BINARY"),
            )
        )
    return items


# -- dates -----------------------------------------------------------------------------


def imap_date(dt: datetime) -> bytes:
    """'17-Jul-1996 02:44:25 -0700'."""
    offset = dt.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return (
        f'"{dt.day:2d}-{MONTHS[dt.month - 1]}-{dt.year:04d} '
        f'{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} {sign}{minutes // 60:02d}{minutes % 60:02d}"'
    ).encode()


# -- ENVELOPE --------------------------------------------------------------------------


def _text(value: bytes | None) -> bytes:
    return nstring(value)


def _addresses(value: bytes | None) -> bytes:
    if value is None:
        return b"NIL"
    out = []
    for name, route, mailbox, host in parse_address_list(value.decode("latin-1")):
        out.append(
            b"("
            + b" ".join(
                nstring(None if v is None else v.encode("latin-1"))
                for v in (name, route, mailbox, host)
            )
            + b")"
        )
    if not out:
        return b"NIL"
    return b"(" + b"".join(out) + b")"


def envelope_of(fields) -> bytes:
    def f(name: str) -> bytes | None:
        return last(fields, name)  # a repeated Subject:/Date:: Dovecot takes the last

    def addresses(name: str) -> bytes | None:
        # Several From:/To:/... headers are read as one list, as Dovecot does.
        values = [value for fname, value, _ in fields if fname == name]
        return b", ".join(values) if values else None

    sender_from = addresses("from")
    return (
        b"("
        + b" ".join(
            [
                _text(f("date")),
                _text(f("subject")),
                _addresses(sender_from),
                _addresses(addresses("sender") or sender_from),
                _addresses(addresses("reply-to") or sender_from),
                _addresses(addresses("to")),
                _addresses(addresses("cc")),
                _addresses(addresses("bcc")),
                _text(f("in-reply-to")),
                _text(f("message-id")),
            ]
        )
        + b")"
    )


def envelope(message: StoredMessage) -> bytes:
    cached = message.cache.get("envelope")
    if cached is None:
        header, _ = split_header(message.raw)
        cached = envelope_of(header_fields(header))
        message.cache["envelope"] = cached
    return cached


# -- BODYSTRUCTURE ---------------------------------------------------------------------


def _params(params: list[tuple[str, str]]) -> bytes:
    if not params:
        return b"NIL"
    return (
        b"("
        + b" ".join(
            qstring(k.encode("latin-1")) + b" " + qstring(v.encode("latin-1")) for k, v in params
        )
        + b")"
    )


def _disposition(part: Part) -> bytes:
    value = part.field("content-disposition")
    if value is None:
        return b"NIL"
    from testserver.imap.mime import parse_params

    main, params = parse_params(value.decode("latin-1"))
    if not main:
        return b"NIL"
    return b"(" + qstring(main.lower()) + b" " + _params(params) + b")"


def _field(part: Part, name: str) -> bytes:
    return nstring(part.field(name))


def _language(part: Part) -> bytes:
    """Content-Language as a list of tags, as Dovecot sends it."""
    value = part.field("content-language")
    if value is None:
        return b"NIL"
    tags = [t.strip() for t in value.split(b",") if t.strip()]
    if not tags:
        return b"NIL"
    return b"(" + b" ".join(qstring(t) for t in tags) + b")"


def _lines(data: bytes) -> int:
    return data.count(b"\n")  # like Dovecot: an unterminated last line does not count


def bodystructure_of(part: Part, extended: bool) -> bytes:
    if part.is_multipart:
        if not part.children:
            # A multipart without parts: describe it as empty text, as Dovecot does.
            inner = b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0'
            inner += b" NIL NIL NIL NIL)" if extended else b")"
            children = inner
        else:
            children = b"".join(bodystructure_of(c, extended) for c in part.children)
        out = children + b" " + qstring(part.subtype)
        if extended:
            out += (
                b" "
                + _params(part.params)
                + b" "
                + _disposition(part)
                + b" "
                + _language(part)
                + b" "
                + _field(part, "content-location")
            )
        return b"(" + out + b")"
    params = list(part.params)
    if part.maintype == "text" and not any(k == "charset" for k, _ in params):
        params.append(("charset", "us-ascii"))
    encoding = part.field("content-transfer-encoding")
    enc = encoding.decode("latin-1").strip().lower() if encoding else "7bit"
    out = [
        qstring(part.maintype),
        qstring(part.subtype),
        _params(params),
        _field(part, "content-id"),
        _field(part, "content-description"),
        qstring(enc or "7bit"),
        str(len(part.body)).encode(),
    ]
    if part.maintype == "text":
        out.append(str(_lines(part.body)).encode())
    elif part.message is not None:
        out.append(envelope_of(part.message.fields))
        out.append(bodystructure_of(part.message, extended))
        out.append(str(_lines(part.body)).encode())
    if extended:
        out += [
            _field(part, "content-md5"),
            _disposition(part),
            _language(part),
            _field(part, "content-location"),
        ]
    return b"(" + b" ".join(out) + b")"


def bodystructure(message: StoredMessage, extended: bool = True) -> bytes:
    key = "bodystructure" if extended else "body"
    cached = message.cache.get(key)
    if cached is None:
        cached = bodystructure_of(Part(message.raw), extended)
        message.cache[key] = cached
    return cached


# -- sections --------------------------------------------------------------------------


def _select_fields(part: Part, names: tuple[str, ...], exclude: bool) -> bytes:
    wanted = {n.lower() for n in names}
    out = [raw for name, _, raw in part.fields if (name in wanted) != exclude]
    data = b"".join(out)
    if data and not data.endswith(b"\n"):
        data += b"\r\n"
    return data + b"\r\n"


def section_data(raw: bytes, item: Item) -> bytes:
    """The bytes BODY[section] names ("" when the part does not exist)."""
    if not item.part and not item.spec:
        return raw
    if not item.part and item.spec == "HEADER":
        return split_header(raw)[0]
    if not item.part and item.spec == "TEXT":
        return split_header(raw)[1]
    node = Part(raw)
    path = item.part
    for depth, n in enumerate(path):
        if node.is_multipart:
            if n > len(node.children):
                return b""
            node = node.children[n - 1]
        elif n != 1:
            return b""
        if depth < len(path) - 1 and node.message is not None:
            node = node.message
    spec = item.spec
    if not spec:
        if not path:
            return raw
        if node.is_multipart and not item.part:
            return node.body
        return node.body
    if spec == "MIME":
        return node.header
    target = node
    if path:
        if node.message is None:
            return b""
        target = node.message
    if spec == "HEADER":
        return target.header
    if spec == "TEXT":
        return target.body
    return _select_fields(target, item.fields, exclude=spec == "HEADER.FIELDS.NOT")


def decode_binary(data: bytes, raw: bytes, item: Item) -> bytes:
    """BINARY[]: undo the part's transfer encoding (RFC 3516), best effort."""
    import base64
    import quopri

    node = Part(raw)
    for n in item.part:
        if node.is_multipart and n <= len(node.children):
            node = node.children[n - 1]
    enc = (node.field("content-transfer-encoding") or b"").strip().lower()
    try:
        if enc == b"base64":
            return base64.b64decode(data)
        if enc == b"quoted-printable":
            return quopri.decodestring(data)
    except ValueError:
        return data
    return data


def render_item(message: StoredMessage, item: Item, seq_uid: int) -> bytes:
    """The response bytes of one attribute (except FLAGS/UID/MODSEQ handled by caller)."""
    name = item.name
    if name == "INTERNALDATE":
        return b"INTERNALDATE " + imap_date(message.internaldate)
    if name == "RFC822.SIZE":
        return b"RFC822.SIZE %d" % message.size
    if name == "ENVELOPE":
        return b"ENVELOPE " + envelope(message)
    if name == "BODYSTRUCTURE":
        return b"BODYSTRUCTURE " + bodystructure(message, True)
    if name == "BODY":
        return b"BODY " + bodystructure(message, False)
    if name == "RFC822":
        return b"RFC822 " + literal(message.raw)
    if name == "RFC822.HEADER":
        return b"RFC822.HEADER " + literal(split_header(message.raw)[0])
    if name == "RFC822.TEXT":
        return b"RFC822.TEXT " + literal(split_header(message.raw)[1])
    data = section_data(message.raw, item)
    if item.binary:
        data = decode_binary(data, message.raw, item)
    if item.start is not None:
        end = None if item.length is None else item.start + item.length
        data = data[item.start : end]
    if item.binary:
        return item.key() + b" ~" + literal(data)  # literal8 (RFC 3516)
    return item.key() + b" " + literal(data)
