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

import re
from email import policy
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.header import Header
from email.headerregistry import Address, Group
from email.message import EmailMessage
from email.utils import getaddresses

import idna

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
# MIME fields with parameters: an encoded word is not allowed in them (RFC 2047 section
# 5), so a parameter that is not ASCII is written as RFC 2231 (name*=utf-8''...).
MIME_PARAMETER_FIELDS = frozenset({"content-type", "content-disposition"})


def _local_part(addr: str) -> str:
    return addr.rpartition("@")[0]


def needs_utf8(values: list[str]) -> bool:
    """True when an address in these header values has a local part that is not ASCII."""
    return any(not _local_part(addr).isascii() for _, addr in getaddresses(values))


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
    """The header block as (lower-case name or "", raw lines with their CRLF)."""
    out: list[tuple[str, bytes]] = []
    for line in head.split(b"\r\n"):
        line += b"\r\n"
        if line[:1] in (b" ", b"\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + line)
            continue
        match = _FIELD.match(line)
        out.append((match.group(1).decode("ascii").lower() if match else "", line))
    return out


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
    items = _address_items(field_name, value) if name in ADDRESS_FIELDS else None
    if items:
        try:
            holder = EmailMessage(policy=policy.SMTP)
            holder[field_name] = items
            folded = holder.as_bytes().partition(b"\r\n\r\n")[0] + b"\r\n"
        except Exception:  # writing it failed the same way: as text below
            folded = b"\xff"
        if folded.isascii():
            return folded
    # Encoded words already in the field are decoded first: encoding them again would
    # show "=?utf-8?q?...?=" to the reader.
    text = decode_rfc2047(value)
    encoded = Header(text, "utf-8", header_name=field_name).encode(linesep="\r\n")
    return f"{field_name}: {encoded}\r\n".encode("ascii")


def _mime_parameter_field(field_name: str, value: str) -> bytes:
    """Content-Type or Content-Disposition in ASCII: its type kept, a parameter that is
    not ASCII (an attachment's name) in RFC 2231 form. A field the parser cannot read
    keeps its ASCII and shows the rest as "?": never encoded words, which would turn the
    type itself into text no reader takes for a type."""
    try:
        if not policy.default.header_factory(field_name, value).defects:
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
    head, sep, body = raw.partition(b"\r\n\r\n")
    if head.isascii():
        return raw
    out = []
    for name, field in _fields(head):
        out.append(field if field.isascii() else _downgraded_field(name, field))
    return b"".join(out)[:-2] + sep + body
