"""An address list split into its entries, in time linear in its length.

    split_entries('Ann <a@x>, "Doe, J" <j@x>, Team: b@x, c@x;')
        -> ['Ann <a@x>', '"Doe, J" <j@x>', 'Team: b@x, c@x;']

The stdlib's header parser hands the rest of the value along as a new string at every
token, so one address field of 100 KB costs it seconds and one of 1 MB minutes: a field is
cut here at its top-level commas (outside quoted strings, comments, angle brackets and
groups) and each entry, small, goes to the stdlib on its own.

Invariant: the entries joined with "," give back the value (less entries of whitespace
only); None when the value is not balanced (an open quote, comment, bracket or group): such a field is not split at all.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r'[\\"()<>,:;]')


def split_entries(value: str) -> list[str] | None:
    """The top-level entries of address list `value` (empty ones dropped), or None."""
    entries: list[str] = []
    start = 0
    skip = -1  # the position a backslash escapes
    quoted = angle = group = False
    depth = 0  # comment nesting
    for match in _SPECIAL.finditer(value):
        at = match.start()
        if at == skip:
            continue
        char = value[at]
        if quoted or depth:
            if char == "\\":
                skip = at + 1
            elif quoted and char == '"':
                quoted = False
            elif depth and char == "(":
                depth += 1
            elif depth and char == ")":
                depth -= 1
        elif char == '"':
            quoted = True
        elif char == "(":
            depth = 1
        elif angle:
            angle = char != ">"
        elif char == "<":
            angle = True
        elif char == ":":
            group = True
        elif char == ";" and group:
            group = False
        elif char == "," and not group:
            entries.append(value[start:at])
            start = at + 1
    if quoted or depth or angle or group:
        return None
    entries.append(value[start:])
    return [entry for entry in entries if entry.strip()]
