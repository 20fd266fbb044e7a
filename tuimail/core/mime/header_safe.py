"""Header values the stdlib writes back exactly, whatever received mail put in them.

    set_unstructured(msg, "Subject", "Re: ü =?q?=FF?=")  # read back as exactly that
    address_entry("Ann \\"x\\" (", "a@b.c")  # "Name <addr>" that reads back as a@b.c
    plausible_address("@")                   # False: no such address can be written

The stdlib reads a value set on an EmailMessage as if it came from the wire: text that
looks like an RFC 2047 encoded word (`=?utf-8?q?...?=`, or half of one) is decoded a
second time, and writing the message can then raise (UnicodeEncodeError for
`ü=??q?=FF=?=?`); a display name from a received message can make the address parser
raise HeaderParseError. A reply or forward carries such text into the draft, and Send
must never fail on it.

Invariants: what is set or returned is accepted and written by EmailMessage(policy=SMTP)
(in ASCII and in SMTPUTF8 form) without an exception; a Subject reads back as the text
given; an address entry reads back as its address, with the name given whenever that can
be written, else the nearest that can (never a crash).
"""

from __future__ import annotations

import re
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage

_SMTPUTF8 = policy.SMTPUTF8
# A name with nothing the address parser treats specially (quoted as needed by Address).
_PLAIN_NAME = re.compile(r"[^\"\\()<>\[\]:;@,\x00-\x1f\x7f]+")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+")


def writes(name: str, value: str) -> bool:
    """True when a message with this header can be written (ASCII and UTF-8 forms)."""
    try:
        msg = EmailMessage(policy=policy.SMTP)
        msg[name] = value
        msg.as_bytes()
        msg.as_bytes(policy=_SMTPUTF8)
    except Exception:  # the stdlib raises many kinds on such values
        return False
    return True


def set_unstructured(msg: EmailMessage, name: str, text: str) -> None:
    """Set the unstructured field `name` to `text` (one line): as given unless it holds
    "=?" (the start of an encoded word, which the stdlib would decode again and then
    write back partly as it was, for the receiver to decode); then as encoded words of
    its own, set raw (never refolded), which decode to exactly `text`."""
    if "=?" not in text and writes(name, text):
        msg[name] = text
        return
    msg.set_raw(name, Header(text, "utf-8", header_name=name).encode(linesep="\r\n"))


def plausible_address(addr: str) -> bool:
    """An address a header can carry: local@domain without spaces, brackets, quotes or
    separators (a local part in UTF-8 is fine, RFC 6532)."""
    return bool(_ADDRESS.fullmatch(addr)) and addr.count("@") == 1


def address_entry(display: str, addr: str) -> str:
    """`Name <addr>` that the stdlib reads back as `addr` and writes; the name cleaned of
    what cannot be written, or left out, when it must."""
    if not display:
        return addr
    if _PLAIN_NAME.fullmatch(display) and "=?" not in display and plausible_address(addr):
        try:  # the common case, without the round trip (~0.3 ms an address)
            return str(Address(display_name=display, addr_spec=addr))
        except Exception:  # the stdlib's parser raises many kinds: the careful way below
            pass
    candidates = []
    try:
        candidates.append(str(Address(display_name=display, addr_spec=addr)))
    except Exception:  # the stdlib's parser raises many kinds on hostile input
        pass
    plain = re.sub(r'["\\()<>\[\]]', "", display).replace("=?", "= ?").strip()
    if plain:
        candidates.append(f'"{plain}" <{addr}>')
    for entry in candidates:
        if _reads_back(entry, addr):
            return entry
    return addr


def _reads_back(entry: str, addr: str) -> bool:
    try:
        parsed = policy.default.header_factory("to", entry)
        addresses = parsed.addresses
    except Exception:
        return False
    return len(addresses) == 1 and addresses[0].addr_spec == addr and writes("To", entry)
