"""IMAP wire syntax: reading commands (with literals), tokens, sequence sets, quoting.

Tokens: atoms are `str`; quoted strings and literals are `bytes`; lists are `list`.
An atom may contain a bracketed part with spaces (``BODY[HEADER.FIELDS (FROM)]<0.10>``),
which is how fetch attributes arrive.
"""

from __future__ import annotations

import asyncio
import base64
import re
from bisect import bisect_left, bisect_right
from collections.abc import Awaitable, Callable, Iterable

LITERAL_AT_END = re.compile(rb"\{(\d{1,20})(\+?)\}\r?\n\Z")
TAG_RE = re.compile(r"[!#$&'*+,\-./0-9:;<=>?@A-Z^_`a-z|~]+\Z")
ATOM_END = frozenset(b" ()\r\n")


class BadCommand(Exception):
    """Syntax error: answered with BAD, the session goes on."""


class LiteralTooBig(Exception):
    def __init__(self, tag: str, size: int, nonsync: bool) -> None:
        super().__init__(f"literal of {size} bytes")
        self.tag = tag
        self.size = size
        self.nonsync = nonsync


async def read_command(
    reader: asyncio.StreamReader,
    max_literal: int,
    continuation: Callable[[], Awaitable[None]],
) -> bytes:
    """One whole command: its lines and literal data, as received (CRLF included)."""
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\n")
        parts.append(line)
        match = LITERAL_AT_END.search(line)
        if match is None:
            return b"".join(parts)
        size = int(match[1])
        nonsync = bool(match[2])
        if size > max_literal:
            first = parts[0].split(b" ", 1)[0].decode("latin-1", "replace")
            raise LiteralTooBig(first if TAG_RE.match(first) else "*", size, nonsync)
        if not nonsync:
            await continuation()
        parts.append(await reader.readexactly(size))


def tokenize(data: bytes) -> list:
    """Parse a command into nested lists of atoms (str) and strings (bytes)."""
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    stack: list[list] = [[]]
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x20:
            i += 1
        elif c == 0x28:  # (
            new: list = []
            stack[-1].append(new)
            stack.append(new)
            i += 1
        elif c == 0x29:  # )
            if len(stack) == 1:
                raise BadCommand("unbalanced parenthesis")
            stack.pop()
            i += 1
        elif c == 0x22:  # "
            i += 1
            out = bytearray()
            while True:
                if i >= n:
                    raise BadCommand("unterminated quoted string")
                ch = data[i]
                if ch == 0x5C and i + 1 < n:
                    out.append(data[i + 1])
                    i += 2
                elif ch == 0x22:
                    i += 1
                    break
                elif ch in (0x0D, 0x0A):
                    raise BadCommand("newline in quoted string")
                else:
                    out.append(ch)
                    i += 1
            stack[-1].append(bytes(out))
        elif c == 0x7B:  # {
            end = data.find(b"}", i)
            if end < 0:
                raise BadCommand("bad literal")
            spec = data[i + 1 : end].rstrip(b"+")
            if not spec.isdigit():
                raise BadCommand("bad literal")
            size = int(spec)
            j = end + 1
            if data[j : j + 2] == b"\r\n":
                j += 2
            elif data[j : j + 1] == b"\n":
                j += 1
            else:
                raise BadCommand("bad literal")
            if j + size > n:
                raise BadCommand("short literal")
            stack[-1].append(data[j : j + size])
            i = j + size
        elif c in (0x0D, 0x0A):
            raise BadCommand("unexpected line break")
        else:
            j = i
            while j < n:
                ch = data[j]
                if ch == 0x5B:  # [ ... ] may hold spaces and parentheses
                    close = data.find(b"]", j)
                    if close < 0:
                        raise BadCommand("unterminated [")
                    j = close + 1
                    continue
                if ch in ATOM_END:
                    break
                j += 1
            atom = data[i:j]
            if not atom.isascii():
                raise BadCommand("8bit data in atom")  # as Dovecot: send it as a string
            stack[-1].append(atom.decode("ascii"))
            i = j
    if len(stack) != 1:
        raise BadCommand("unbalanced parenthesis")
    return stack[0]


def astring(token: object) -> str:
    """An astring argument (atom, quoted or literal) as text."""
    if isinstance(token, bytes):
        return token.decode("utf-8", "replace")
    if isinstance(token, str):
        return token
    raise BadCommand("expected a string")


def is_atom(token: object, *names: str) -> bool:
    return isinstance(token, str) and token.upper() in names


def number(token: object) -> int:
    if isinstance(token, str) and token.isdigit():
        return int(token)
    raise BadCommand("expected a number")


# -- sequence sets ---------------------------------------------------------------------

SEQ_RE = re.compile(r"(\d+|\*)(?::(\d+|\*))?\Z")


def parse_seqset(token: object) -> list[tuple[int | None, int | None]]:
    """'1:3,7,9:*' -> [(1, 3), (7, 7), (9, None)] (None stands for '*')."""
    if not isinstance(token, str) or not token:
        raise BadCommand("invalid sequence set")
    ranges = []
    for piece in token.split(","):
        m = SEQ_RE.match(piece)
        if m is None:
            raise BadCommand("invalid sequence set")
        a = None if m[1] == "*" else int(m[1])
        b = a if m[2] is None else (None if m[2] == "*" else int(m[2]))
        if a == 0 or b == 0:
            raise BadCommand("invalid sequence set")
        ranges.append((a, b))
    return ranges


def resolve_seqs(ranges: list[tuple[int | None, int | None]], count: int) -> list[int]:
    """Sequence numbers (1-based) a set names in a view of `count` messages."""
    wanted: set[int] = set()
    for a, b in ranges:
        lo = count if a is None else a
        hi = count if b is None else b
        lo, hi = min(lo, hi), max(lo, hi)
        if hi > count:
            raise BadCommand("invalid message sequence number")
        wanted.update(range(lo, hi + 1))
    wanted.discard(0)
    return sorted(wanted)


def resolve_uids(ranges: list[tuple[int | None, int | None]], uids: list[int]) -> list[int]:
    """The UIDs of a sorted list that a UID set names ('*' is the highest UID)."""
    if not uids:
        return []
    top = uids[-1]
    if len(ranges) == 1:
        a, b = ranges[0]
        lo = top if a is None else a
        hi = top if b is None else b
        lo, hi = min(lo, hi), max(lo, hi)
        return uids[bisect_left(uids, lo) : bisect_right(uids, hi)]
    wanted: set[int] = set()
    for a, b in ranges:
        lo = top if a is None else a
        hi = top if b is None else b
        lo, hi = min(lo, hi), max(lo, hi)
        wanted.update(uids[bisect_left(uids, lo) : bisect_right(uids, hi)])
    return sorted(wanted)


def uids_in(ranges: list[tuple[int | None, int | None]], uid: int, top: int) -> bool:
    for a, b in ranges:
        lo = top if a is None else a
        hi = top if b is None else b
        if min(lo, hi) <= uid <= max(lo, hi):
            return True
    return False


def format_seqset(numbers: Iterable[int]) -> str:
    """[1, 2, 3, 7] -> '1:3,7'."""
    out: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(str(start) if start == prev else f"{start}:{prev}")
            start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(out)


# -- output ----------------------------------------------------------------------------


def _safe_quoted(data: bytes) -> bool:
    if len(data) > 1000:
        return False
    for b in data:
        if (b < 0x20 and b != 0x09) or b > 0x7E:
            return False
    return True


def qstring(value: bytes | str) -> bytes:
    """A string for the wire: quoted when that is safe, a literal otherwise."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    if _safe_quoted(data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(data) + data


def nstring(value: bytes | str | None) -> bytes:
    return b"NIL" if value is None else qstring(value)


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


# -- modified UTF-7 mailbox names (RFC 3501 5.1.3) -------------------------------------


def mutf7_decode(name: str) -> str:
    out = []
    i = 0
    while i < len(name):
        c = name[i]
        if c != "&":
            out.append(c)
            i += 1
            continue
        end = name.find("-", i)
        if end < 0:
            raise BadCommand("invalid mailbox name")
        chunk = name[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            b64 = chunk.replace(",", "/")
            b64 += "=" * (-len(b64) % 4)
            try:
                out.append(base64.b64decode(b64).decode("utf-16-be"))
            except ValueError as exc:
                raise BadCommand("invalid mailbox name") from exc
        i = end + 1
    return "".join(out)


def mutf7_encode(name: str) -> str:
    out = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            b64 = base64.b64encode("".join(buf).encode("utf-16-be")).decode("ascii")
            out.append("&" + b64.rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for c in name:
        if 0x20 <= ord(c) <= 0x7E:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            buf.append(c)
    flush()
    return "".join(out)


def mailbox_arg(token: object) -> str:
    """A mailbox name argument, decoded from modified UTF-7 (raw UTF-8 accepted too)."""
    name = astring(token)
    return mutf7_decode(name) if "&" in name else name


def mailbox_out(name: str) -> bytes:
    return qstring(mutf7_encode(name))
