"""Header blocks for addresses that are not ASCII (RFC 6532, RFC 6531, RFC 6857).

An address whose local part is not ASCII (`jörg@example.org`) cannot be written with
RFC 2047 encoded words: `=?utf-8?q?j=C3=B6rg?=@example.org` is not an address at all.
It is written in raw UTF-8, and such a message may only travel with SMTPUTF8.

- `needs_utf8(values)`: does one of these address-header values need that?
- `ascii_domains(value)`: an address list with each IDNA domain in A-labels, the form
  an ASCII header carries (an encoded word is not allowed in a domain either).
- `message_bytes(msg)`: the message as CRLF bytes; when an address needs UTF-8 the top
  header block is raw UTF-8 (policy SMTPUTF8), every MIME part below it stays ASCII,
  so `downgrade` only ever has the top block to rewrite. ASCII-only mail is unchanged.
- `downgrade(raw)`: the header block in ASCII for a server without SMTPUTF8: an address
  with a UTF-8 local part becomes an empty group whose encoded display name shows it
  (RFC 6857 section 3.1.10: readable, and never a wrong address), other addresses get
  A-label domains, unstructured fields encoded words. Fields already ASCII are kept
  byte for byte.
"""

from __future__ import annotations

import base64
import re
from email import policy
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.header import Header
from email.headerregistry import Address, Group
from email.message import EmailMessage
from email.utils import getaddresses
from functools import lru_cache

import idna

from tuimail.core.mime.address_list import split_entries
from tuimail.core.mime.headers import decode_rfc2047

ADDRESS_FIELDS = frozenset(
    {
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "resent-from",
        "resent-sender",
        "resent-to",
        "resent-cc",
        "resent-bcc",
        "disposition-notification-to",
    }
)
# Headers that came from a parsed message (a forwarded one inside ours) are written as
# they came, never refolded (policy.SMTP refolds long ones, with encoded words: a
# forwarded message would not be the one received). Headers tuimail sets are unaffected.
_SMTP = policy.SMTP.clone(refold_source="none")
_SMTPUTF8 = policy.SMTPUTF8.clone(refold_source="none")
_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:")
# Characters of one address-list entry (or MIME field) given to the stdlib's parser, whose
# time grows with the square of it; a longer one is written as text. An ASCII entry up
# to MAX_KEPT_ENTRY is kept as it is (longer: folded by the stdlib, within MAX_ENTRY).
MAX_ENTRY = 16_384
MAX_KEPT_ENTRY = 900
# MIME fields with parameters: an encoded word is not allowed in them (RFC 2047 section
# 5), so a parameter that is not ASCII is written as RFC 2231 (name*=utf-8''...).
MIME_PARAMETER_FIELDS = frozenset({"content-type", "content-disposition"})


def _local_part(addr: str) -> str:
    return addr.rpartition("@")[0]


def needs_utf8(values: list[str]) -> bool:
    """True when an address in these header values has a local part that is not ASCII."""
    return any(not _local_part(addr).isascii() for _, addr in getaddresses(values))


@lru_cache(maxsize=4096)  # a long list names few domains; IDNA costs ~50 us a call
def _a_labels(domain: str) -> str | None:
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def ascii_domains(entry: str) -> str:
    """One `Name <local@domain>` entry with its domain in A-labels when it is an IDNA
    domain and the local part is ASCII; anything else is returned as given."""
    parsed = getaddresses([entry])
    if len(parsed) != 1:
        return entry
    display, addr = parsed[0]
    local, at, domain = addr.rpartition("@")
    if not at or not local.isascii() or domain.isascii():
        return entry
    wire = _a_labels(domain)
    if wire is None:
        return entry
    try:
        return str(Address(display_name=display, username=local, domain=wire))
    except (ValueError, IndexError, HeaderParseError):
        return entry


def _address_values(msg: EmailMessage) -> list[str]:
    return [str(value) for name in ADDRESS_FIELDS for value in msg.get_all(name, [])]


def message_bytes(msg: EmailMessage) -> bytes:
    """`msg` as CRLF bytes: raw UTF-8 top headers when an address needs them, else
    exactly what policy.SMTP writes (headers of parsed parts, such as a forwarded
    message's, kept as they came)."""
    ascii_form = msg.as_bytes(policy=_SMTP)
    if not needs_utf8(_address_values(msg)):
        return ascii_form
    # The ASCII form fixed any multipart boundary on `msg`, so both forms share it.
    head = msg.as_bytes(policy=_SMTPUTF8).partition(b"\r\n\r\n")[0]
    return head + b"\r\n\r\n" + ascii_form.partition(b"\r\n\r\n")[2]


# -- downgrade -----------------------------------------------------------------------


def _fields(head: bytes) -> list[tuple[str, bytes]]:
    """The header block as (lower-case name or "", raw lines with their CRLF). Linear:
    a field's lines are joined once (adding each to the last made 100k folded lines
    quadratic)."""
    out: list[tuple[str, list[bytes]]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1].append(line)
            continue
        match = _FIELD.match(line)
        out.append((match.group(1).decode("ascii").lower() if match else "", [line]))
    return [(name, b"\r\n".join(lines) + b"\r\n") for name, lines in out]


def _downgraded_address(address: Address) -> Address | Group:
    local, domain = address.username, address.domain
    if local.isascii():
        wire = _a_labels(domain)
        if wire is not None:
            return Address(display_name=address.display_name, username=local, domain=wire)
    shown = (
        f"{address.display_name} <{address.addr_spec}>"
        if address.display_name
        else (address.addr_spec)
    )
    return Group(display_name=shown)


def _address_items(field_name: str, value: str) -> list[Address | Group] | None:
    """The address list `value` made ASCII, or None when the stdlib parser cannot read
    it without loss (a hostile or broken field: it is then encoded as text)."""
    try:
        parsed = policy.default.header_factory(field_name, value)
        if any(not isinstance(d, NonASCIILocalPartDefect) for d in parsed.defects):
            return None
        items: list[Address | Group] = []
        for group in parsed.groups:
            converted = [_downgraded_address(a) for a in group.addresses]
            if group.display_name is None:
                items.extend(converted)
            else:  # a group cannot hold a group: its name shows those members
                plain = [a for a in converted if isinstance(a, Address)]
                shown = [str(g.display_name) for g in converted if isinstance(g, Group)]
                label = group.display_name + (f" ({', '.join(shown)})" if shown else "")
                items.append(Group(label, plain))
    except Exception:  # the stdlib's parser raises many kinds on hostile input
        return None
    kept = sum(str(item).count("@") for item in items)
    return items if kept == value.count("@") else None  # every address still there


def _downgraded_field(name: str, raw: bytes) -> bytes:
    """One field (name: value, folded) written in ASCII."""
    text = raw.decode("utf-8", "replace")
    if not name:  # not a field at all: kept, with what is not ASCII as "?"
        return text.encode("ascii", "replace")
    field_name, _, value = text.partition(":")
    value = re.sub(r"\r\n([ \t])", r"\1", value).strip()
    if name in MIME_PARAMETER_FIELDS:
        return _mime_parameter_field(field_name, value)
    if name in ADDRESS_FIELDS:
        folded = _address_field(field_name, value)
        if folded is not None:
            return folded
    # Encoded words already in the field are decoded first: encoding them again would
    # show "=?utf-8?q?...?=" to the reader.
    return f"{field_name}: {_encoded_text(decode_rfc2047(value), field_name)}\r\n".encode("ascii")


def _encoded_text(text: str, field_name: str) -> str:
    """`text` as RFC 2047 encoded words, folded. Header's encoder measures the line
    again at each character (~1 us a byte); beyond MAX_ENTRY the text goes out in base64
    words of 45 bytes cut at character boundaries (the same text once decoded)."""
    if len(text) <= MAX_ENTRY:
        return Header(text, "utf-8", header_name=field_name).encode(linesep="\r\n")
    return _base64_words(text)


def _base64_words(text: str) -> str:
    """`text` as base64 encoded words of at most 45 bytes each (72 characters), cut at
    character boundaries, one a line: decoded, exactly `text`; valid in a phrase too."""
    data = text.encode("utf-8", "surrogateescape")
    words = []
    start = 0
    while start < len(data):
        end = min(start + 45, len(data))
        while end < len(data) and end > start + 1 and 0x80 <= data[end] < 0xC0:
            end -= 1  # never inside a character
        words.append("=?utf-8?b?" + base64.b64encode(data[start:end]).decode("ascii") + "?=")
        start = end
    return "\r\n ".join(words)


def _address_field(field_name: str, value: str) -> bytes | None:
    """An address field in ASCII, entry by entry (address_list: the stdlib's parser is
    quadratic in the length it is given): ASCII entries as they are, the others made
    ASCII; None when an entry cannot be (the field is then encoded as text)."""
    entries = split_entries(value)
    if entries is None:
        entries = [value]
    lines = []
    for entry in entries:
        entry = entry.strip()
        if entry.isascii() and len(entry) <= MAX_KEPT_ENTRY:
            lines.append(entry.encode("ascii"))
            continue
        if len(entry) > MAX_ENTRY:
            return None  # no one address is that long: as text (linear)
        items = _simple_entry(entry) or _address_items(field_name, entry)
        if not items:
            return None
        try:
            written = ",\r\n ".join(_written(item) for item in items)
        except Exception:  # an address the stdlib cannot write: the field as text
            return None
        if not written.isascii():
            return None
        lines.append(written.encode("ascii"))
    return field_name.encode("ascii") + b": " + b",\r\n ".join(lines) + b"\r\n"


_ATEXT = r"[^\s\"<>()\[\]\\,;:@]"  # atext, and any UTF-8 (RFC 6532)
_SIMPLE = re.compile(
    rf'(?:"(?P<quoted>[^"\\\r\n]*)"|(?P<atoms>{_ATEXT}+(?:[ \t]+{_ATEXT}+)*))?[ \t]*'
    rf"<(?P<local>{_ATEXT}+)@(?P<domain>{_ATEXT}+)>"
    rf"|(?P<bare_local>{_ATEXT}+)@(?P<bare_domain>{_ATEXT}+)"
)


def _simple_entry(entry: str) -> list[Address | Group] | None:
    """`Name <local@domain>`, `"Name" <local@domain>` or `local@domain` read without the
    stdlib's parser (~0.1 ms an entry); None for anything else, or an encoded word
    (the stdlib decodes those), which the parser then reads."""
    match = _SIMPLE.fullmatch(entry)
    if match is None or "=?" in entry:
        return None
    name = match["quoted"] if match["quoted"] is not None else (match["atoms"] or "")
    local = match["local"] or match["bare_local"]
    domain = match["domain"] or match["bare_domain"]
    try:
        return [_downgraded_address(Address(name, local, domain))]
    except (ValueError, IndexError, HeaderParseError):  # the parser decides then
        return None


def _written(item: Address | Group) -> str:
    """One address or group in ASCII, folded (no line over 78 characters where the parts
    allow it): the stdlib's folder costs ~0.2 ms an entry, this a few microseconds."""
    if isinstance(item, Group):
        members = ", ".join(_written(a) for a in item.addresses)
        return f"{_phrase(item.display_name or '')}:{' ' + members if members else ''};"
    name = item.display_name
    if not name:
        return item.addr_spec
    return (
        f"{_phrase(name)}\r\n <{item.addr_spec}>"
        if len(name) > 40
        else (f"{_phrase(name)} <{item.addr_spec}>")
    )


_ATOMS = re.compile(r"[\w!#$%&'*+\-/=?^`{|}~]+(?: [\w!#$%&'*+\-/=?^`{|}~]+)*", re.ASCII)


def _phrase(text: str) -> str:
    """A display name as an RFC 5322 phrase: an atom or quoted string when ASCII, else
    RFC 2047 base64 words (phrase-safe; Header's encoder costs ~0.3 ms a name)."""
    if text.isascii() and len(text) <= 200 and "=?" not in text:  # else: encoded words
        if _ATOMS.fullmatch(text):
            return text
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _base64_words(text)


def _mime_parameter_field(field_name: str, value: str) -> bytes:
    """Content-Type or Content-Disposition in ASCII: its type kept, a parameter that is
    not ASCII (an attachment's name) in RFC 2231 form. A field the parser cannot read
    keeps its ASCII and shows the rest as "?": never encoded words, which would turn the
    type itself into text no reader takes for a type."""
    try:
        if len(value) <= MAX_ENTRY and not policy.default.header_factory(field_name, value).defects:
            holder = EmailMessage(policy=policy.SMTP)
            holder[field_name] = value
            folded = holder.as_bytes().partition(b"\r\n\r\n")[0] + b"\r\n"
            if folded.isascii():
                return folded
    except Exception:  # the stdlib's parser raises many kinds on hostile input
        pass
    return f"{field_name}: {value}\r\n".encode("ascii", "replace")


def downgrade(raw: bytes) -> bytes:
    """`raw` (CRLF) with its top header block in ASCII; the body is untouched. A
    message whose headers are already ASCII comes back as the same bytes."""
    end = raw.find(b"\r\n\r\n")
    head = raw if end == -1 else raw[:end]
    if head.isascii():
        return raw
    out = []
    for name, field in _fields(head):
        out.append(field if field.isascii() else _downgraded_field(name, field))
    # One copy of the body (a 56 MB one is not copied twice on the way)
    return b"".join((b"".join(out)[:-2], memoryview(raw)[len(head) :]))
