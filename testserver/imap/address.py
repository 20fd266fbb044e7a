"""RFC 5322 address lists for ENVELOPE, parsed the forgiving way Dovecot does.

`email.utils.getaddresses` loses groups and mangles junk after an address; this keeps
groups (IMAP's (NIL NIL "name" NIL) ... (NIL NIL NIL NIL) form), ignores junk after an
addr-spec, takes a comment as the name when there is no phrase, and fills in
MISSING_MAILBOX / MISSING_DOMAIN as Dovecot does. Text stays as it was (RFC 2047 words
are not decoded), because ENVELOPE carries the raw header text.
"""

from __future__ import annotations

import re

SPECIALS = set('()<>@,;:\\".[]')
WS = " \t\r\n"

# (name, route, mailbox, host); a group start is (None, None, name, None) and a group end
# is (None, None, None, None), as in the IMAP ENVELOPE.
Address = tuple[str | None, str | None, str | None, str | None]


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.comments: list[str] = []

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def skip_cfws(self) -> bool:
        """Skip whitespace and comments; True if anything was skipped."""
        start = self.i
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in WS:
                self.i += 1
            elif c == "(":
                self.comments.append(self._comment())
            else:
                break
        return self.i > start

    def _comment(self) -> str:
        depth = 0
        out = []
        while self.i < len(self.text):
            c = self.text[self.i]
            self.i += 1
            if c == "\\" and self.i < len(self.text):
                out.append(self.text[self.i])
                self.i += 1
                continue
            if c == "(":
                depth += 1
                if depth == 1:
                    continue
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            out.append(c)
        return "".join(out).strip()

    def quoted(self) -> str:
        self.i += 1  # opening quote
        out = []
        while self.i < len(self.text):
            c = self.text[self.i]
            self.i += 1
            if c == "\\" and self.i < len(self.text):
                out.append(self.text[self.i])
                self.i += 1
            elif c == '"':
                break
            elif c in "\r\n":
                continue
            else:
                out.append(c)
        return "".join(out)

    def atom(self, allow_dot: bool = True) -> str:
        start = self.i
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in WS or (c in SPECIALS and not (allow_dot and c == ".")):
                break
            self.i += 1
        return self.text[start : self.i]

    def skip_to_separator(self) -> None:
        while self.i < len(self.text) and self.text[self.i] not in ",;":
            if self.text[self.i] == '"':
                self.quoted()
            elif self.text[self.i] == "(":
                self._comment()
            else:
                self.i += 1

    def domain(self) -> str:
        parts = []
        while True:
            self.skip_cfws()
            c = self.peek()
            if c == "[":
                end = self.text.find("]", self.i)
                end = len(self.text) if end < 0 else end + 1
                parts.append(self.text[self.i : end])
                self.i = end
            elif c and c not in SPECIALS and c not in WS:
                parts.append(self.atom(allow_dot=False))
            else:
                break
            save = self.i
            self.skip_cfws()
            if self.peek() == ".":
                self.i += 1
                parts.append(".")
                continue
            self.i = save
            break
        return "".join(parts)


_ADDR = r"([^<>@\s,;:()\"\\\[\]]+)@([^<>@\s,;:()\"\\\[\]]+)"
_ANGLE = re.compile(r'\s*(?:"([^"\\\r\n]*)"|([^"<>,;:()\\@\[\]]*?))\s*<' + _ADDR + r">\s*\Z")
_BARE = re.compile(r"\s*" + _ADDR + r"\s*\Z")


def _simple(piece: str) -> Address | None:
    """The common shapes ('Name <a@b>', '"Name" <a@b>', 'a@b') without the full parser."""
    m = _ANGLE.match(piece)
    if m is not None:
        if m[1] is not None:
            name = m[1] or None
        else:
            name = " ".join(m[2].split()) or None
        return (name, None, m[3], m[4])
    m = _BARE.match(piece)
    if m is not None:
        return (None, None, m[1], m[2])
    return None


def parse_address_list(text: str) -> list[Address]:
    if not any(c in text for c in "():;\\["):
        pieces = [text] if '"' in text else text.split(",")
        out = []
        for piece in pieces:
            if not piece.strip():
                continue
            address = _simple(piece)
            if address is None:
                break
            out.append(address)
        else:
            return out
    return _parse_full(text)


def _parse_full(text: str) -> list[Address]:
    s = _Scanner(text)
    out: list[Address] = []
    in_group = False
    while s.i < len(s.text):
        s.skip_cfws()
        c = s.peek()
        if not c:
            break
        if c == ",":
            s.i += 1
            continue
        if c == ";":
            s.i += 1
            if in_group:
                out.append((None, None, None, None))
                in_group = False
            continue
        s.comments = []
        words: list[str] = []
        spaced: list[bool] = []
        while True:
            gap = s.skip_cfws()
            c = s.peek()
            if c == '"':
                spaced.append(gap)
                words.append(s.quoted())
            elif c and c not in SPECIALS:
                spaced.append(gap)
                words.append(s.atom())
            elif c == ".":
                spaced.append(gap)
                words.append(".")
                s.i += 1
            else:
                break
        c = s.peek()
        if c == ":" and not in_group:
            s.i += 1
            out.append((None, None, " ".join(words) or None, None))
            in_group = True
            continue
        if c == "<":
            s.i += 1
            name = " ".join(words) or None
            route = None
            s.skip_cfws()
            if s.peek() == "@":  # obsolete source route: <@a,@b:user@host>
                start = s.i
                while s.i < len(s.text) and s.text[s.i] not in ":>":
                    s.i += 1
                route = s.text[start : s.i]
                if s.peek() == ":":
                    s.i += 1
            mailbox, host = _addr_spec(s, [])
            while s.i < len(s.text) and s.text[s.i] != ">":
                s.i += 1
            s.i += 1
            if name is None and s.comments:
                name = s.comments[-1] or None
            s.comments = []
            s.skip_cfws()
            if name is None and s.comments:
                name = s.comments[0] or None
            out.append(_fill(name, route, mailbox, host))
            s.skip_to_separator()
            continue
        if not words and c not in ("@",):
            # Nothing usable here (stray special character): skip to the next address.
            s.i += 1
            s.skip_to_separator()
            continue
        if c != "@" and len(words) > 1 and any(spaced[1:]):
            # "MAILER DAEMON": a phrase and no address at all (Dovecot's reading).
            out.append(_fill(" ".join(words), None, None, None))
            s.skip_to_separator()
            continue
        local = "".join(words)
        mailbox, host = _addr_spec(s, [local]) if c == "@" else (local or None, None)
        s.skip_cfws()
        name = s.comments[-1] if s.comments else None
        out.append(_fill(name or None, None, mailbox, host))
        s.skip_to_separator()
    if in_group:
        out.append((None, None, None, None))
    return out


def _addr_spec(s: _Scanner, local_words: list[str]) -> tuple[str | None, str | None]:
    """local@domain from here (local_words: local part already read)."""
    if not local_words:
        words = []
        while True:
            s.skip_cfws()
            c = s.peek()
            if c == '"':
                words.append(s.quoted())
            elif c == ".":
                words.append(".")
                s.i += 1
            elif c and c not in SPECIALS:
                words.append(s.atom())
            else:
                break
        local_words = words
    local = "".join(local_words) or None
    s.skip_cfws()
    if s.peek() != "@":
        return local, None
    s.i += 1
    return local, s.domain() or None


def _fill(name, route, mailbox, host) -> Address:
    if mailbox is None and host is None and name is None:
        return (None, route, "MISSING_MAILBOX", "MISSING_DOMAIN")
    return (name, route, mailbox or "MISSING_MAILBOX", host or "MISSING_DOMAIN")
