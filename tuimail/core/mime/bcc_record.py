"""The sender's own copy of a sent message names its blind recipients.

What goes to the recipients carries no Bcc (it is removed before sending). The copy kept
in Sent is the sender's record: like Thunderbird's and mutt's, it says who else got the
message, in a Bcc field. Hidden recipients are the envelope recipients the message's own
To and Cc (or, for a message being re-sent, Resent-To and Resent-Cc) do not name.
"""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from tuimail.core.mime.header_block import header_block

_SHOWN = ("to", "cc")
_RESENT_SHOWN = ("resent-to", "resent-cc")


def hidden_recipients(raw: bytes, recipients: list[str]) -> list[str]:
    """The entries of `recipients` (addr-specs) that the header of `raw` does not name."""
    try:
        header = BytesHeaderParser(policy=compat32).parsebytes(header_block(raw))
        resent = any(header.get_all(name) for name in _RESENT_SHOWN + ("resent-bcc",))
        values = [
            str(v)
            for name in (_RESENT_SHOWN if resent else _SHOWN)
            for v in header.get_all(name) or []
        ]
        shown = {address.lower() for _name, address in getaddresses(values) if address}
    except Exception:  # an unreadable header names nobody for sure: say nothing more
        return []
    seen: set[str] = set()
    hidden = []
    for address in recipients:
        key = address.lower()
        if key not in shown and key not in seen:
            seen.add(key)
            hidden.append(address)
    return hidden


def with_bcc(raw: bytes, recipients: list[str]) -> bytes:
    """`raw` with a Bcc field naming its hidden recipients (unchanged when there are none,
    or when it has one already). The field goes last in the header, in the message's line
    ends."""
    hidden = hidden_recipients(raw, recipients)
    if not hidden:
        return raw
    eol = b"\r\n" if b"\r\n" in raw else b"\n"
    end = raw.find(eol + eol)
    head, rest = (
        (raw, b"") if end < 0 else (raw[: end + len(eol)], memoryview(raw)[end + len(eol) :])
    )
    lines = head.split(eol)
    if any(line[:4].lower() == b"bcc:" for line in lines):
        return raw
    field = b"Bcc: " + ", ".join(hidden).encode("utf-8") + eol
    if not head.endswith(eol):
        head += eol
    return b"".join((head, field, rest))
