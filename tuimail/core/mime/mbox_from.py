"""The one rule for a mangled mbox "From " separator that became a From: field.

Some archives turn the mbox line ``From addr  Thu Aug 22 13:52:59 2002`` into a first
``From: addr  Thu Aug 22 13:52:59 2002`` header above the real one. That field is never
the author: the list, the reader, ``tuimail read`` and replies all skip it by this rule.
"""

from __future__ import annotations

import re

__all__ = ["MBOX_FROM", "is_mbox_from"]

# An address, white space, then an asctime date ("Thu Aug 22 13:52:59 2002").
MBOX_FROM = re.compile(rb"^\S+\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d ")


def is_mbox_from(value: bytes | str) -> bool:
    """Whether a From field's value is a mangled mbox separator, not an author."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    return MBOX_FROM.match(value.strip()) is not None
