"""Addresses a downgraded (ASCII) header still carries in a group's name (RFC 6857).

    recovered_addresses('=?utf-8?b?...?=:;, bob@example.org')
        -> [("Jörg Müller", "jörg@example.org")]

A copy of a message sent to a UTF-8 address (RFC 6532) that went to a recipient without
SMTPUTF8 carries that address as an empty group whose (encoded) name shows it: tuimail
writes `"Jörg Müller <jörg@example.org>":;` (utf8_headers.downgrade), RFC 6857 section
3.1.10 the address alone; a group that held such members lists them in parentheses after
its own name. A reply-all from that copy would otherwise leave the person out.

Invariant: nothing is invented. Only a whole address written in a group's name is
returned, and only one whose local part is not ASCII (the one kind a downgrade moves
there; an ASCII address in a group's name is someone's words, not a recipient).
"""

from __future__ import annotations

import re
from email import policy

_ADDR = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+")
MAX_VALUE = 16_384  # characters of a header value looked at (a longer one: nothing)


def recovered_addresses(value: str) -> list[tuple[str, str]]:
    """(display name, address) of each non-ASCII address shown in a group's name in
    `value` (an address header's raw value, encoded words and all)."""
    if ":" not in value or ";" not in value or len(value) > MAX_VALUE:
        return []
    value = re.sub(r"\r?\n(?=[ \t])", "", value)  # unfolded: the parser wants one line
    try:
        parsed = policy.default.header_factory("to", value)
        groups = [(g.display_name, bool(g.addresses)) for g in parsed.groups]
    except Exception:  # the stdlib's parser raises many kinds on hostile input
        return []
    out: list[tuple[str, str]] = []
    for name, has_members in groups:
        if not name:
            continue
        if not has_members:  # "Name <addr>":; or addr:; as a whole
            out += _shown(str(name))
        if str(name).endswith(")"):  # "Team (Name <addr>, ...)": members that were moved
            inner = str(name)[:-1].rpartition("(")[2]
            out += [pair for entry in _split(inner) for pair in _shown(entry)]
    return out


def _split(text: str) -> list[str]:
    """The comma-separated entries of `text`; a comma inside quotes or <> is kept."""
    entries, current, quoted, angle = [], [], False, False
    for char in text:
        if char == '"' and not angle:
            quoted = not quoted
        elif char in "<>" and not quoted:
            angle = char == "<"
        elif char == "," and not quoted and not angle:
            entries.append("".join(current))
            current = []
            continue
        current.append(char)
    entries.append("".join(current))
    return [entry for entry in entries if entry.strip()]


def _shown(text: str) -> list[tuple[str, str]]:
    """[(name, addr)] when `text` is one address (with or without a name) whose local
    part is not ASCII; else []."""
    text = text.strip()
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]*)>", text)
    name, addr = (match.group(1).strip().strip('"'), match.group(2)) if match else ("", text)
    addr = addr.strip()
    if not _ADDR.fullmatch(addr):
        return []
    local, _, domain = addr.rpartition("@")
    if local.isascii() or not domain or any(ord(c) < 32 or c == "\x7f" for c in addr + name):
        return []
    return [(name, addr)]
