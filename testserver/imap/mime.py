"""A small MIME splitter that keeps exact byte offsets (what IMAP sections need).

The stdlib parser re-serialises parts, so sizes and section bytes would not match the
stored message; this one only slices the raw bytes.
"""

from __future__ import annotations

import re

MAX_DEPTH = 24
_BLANK = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(rb"\r?\n[ \t]+")


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header including the blank line, body)."""
    if raw.startswith(b"\r\n"):
        return raw[:2], raw[2:]
    if raw.startswith(b"\n"):
        return raw[:1], raw[1:]
    m = _BLANK.search(raw)
    if m is None:
        return raw, b""
    return raw[: m.end()], raw[m.end() :]


def header_fields(header: bytes) -> list[tuple[str, bytes, bytes]]:
    """[(lower-case name, unfolded value, raw field with its line breaks), ...]."""
    fields: list[tuple[str, bytes, bytes]] = []
    lines = header.splitlines(keepends=True)
    current: list[bytes] = []

    def close() -> None:
        if not current:
            return
        raw_field = b"".join(current)
        name, sep, value = raw_field.partition(b":")
        if sep and name.strip() and b" " not in name.strip():
            # Folding (line break + blanks) becomes one space, as Dovecot shows it.
            unfolded = value.strip()
            if b"\n" in unfolded:
                unfolded = _FOLD.sub(b" ", unfolded)
            fields.append((name.strip().decode("latin-1").lower(), unfolded, raw_field))
        current.clear()

    for line in lines:
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
        else:
            close()
            current.append(line)
    close()
    return fields


def last(fields: list[tuple[str, bytes, bytes]], name: str) -> bytes | None:
    for fname, value, _ in reversed(fields):
        if fname == name:
            return value
    return None


def first(fields: list[tuple[str, bytes, bytes]], name: str) -> bytes | None:
    for fname, value, _ in fields:
        if fname == name:
            return value
    return None


def parse_params(value: str) -> tuple[str, list[tuple[str, str]]]:
    """'text/plain; charset="utf-8"' -> ('text/plain', [('charset', 'utf-8')])."""
    pieces = []
    buf = []
    quoted = False
    escape = False
    for ch in value:
        if escape:
            buf.append(ch)
            escape = False
        elif ch == "\\" and quoted:
            escape = True
        elif ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == ";" and not quoted:
            pieces.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    pieces.append("".join(buf))
    main = re.sub(r"\([^)]*\)", "", pieces[0]).strip()
    params = []
    for piece in pieces[1:]:
        key, sep, val = piece.partition("=")
        key = key.strip()
        if not sep or not key:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        params.append((key.lower(), val))
    return main, _join_continuations(params)


def _join_continuations(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """RFC 2231 'name*0*=..; name*1*=..' as one 'name*' (or 'name'), still encoded,
    which is how Dovecot reports them."""
    if not any("*" in key for key, _ in params):
        return params
    out: list[tuple[str, str]] = []
    joined: dict[str, list[tuple[int, str]]] = {}
    extended: dict[str, bool] = {}
    for key, value in params:
        m = re.fullmatch(r"(.+?)\*(\d+)(\*?)", key)
        if m is None:
            out.append((key, value))
            continue
        name = m[1]
        if name not in joined:
            joined[name] = []
            out.append((name, ""))  # placeholder keeps the order
        joined[name].append((int(m[2]), value))
        extended[name] = extended.get(name, False) or (m[2] == "0" and bool(m[3]))
    result = []
    for key, value in out:
        if key in joined and value == "":
            text = "".join(v for _, v in sorted(joined[key]))
            result.append((key + "*" if extended[key] else key, text))
        else:
            result.append((key, value))
    return result


class Part:
    """One MIME entity: its header, body and (for multipart/message) what it holds."""

    __slots__ = (
        "header",
        "body",
        "fields",
        "maintype",
        "subtype",
        "params",
        "children",
        "message",
    )

    def __init__(self, raw: bytes, default: tuple[str, str] = ("text", "plain"), depth: int = 0):
        self.header, self.body = split_header(raw)
        self.fields = header_fields(self.header)
        ctype = first(self.fields, "content-type")
        maintype, subtype = default
        self.params: list[tuple[str, str]] = []
        if ctype is not None:
            main, self.params = parse_params(ctype.decode("latin-1"))
            if "/" in main:
                t, s = main.split("/", 1)
                if t.strip() and s.strip():
                    maintype, subtype = t.strip().lower(), s.strip().lower()
        self.maintype, self.subtype = maintype, subtype
        self.children: list[Part] = []
        self.message: Part | None = None
        if depth >= MAX_DEPTH:
            return
        if maintype == "multipart":
            boundary = self.param("boundary")
            if boundary:
                child_default = ("message", "rfc822") if subtype == "digest" else ("text", "plain")
                for chunk in split_multipart(self.body, boundary.encode("latin-1")):
                    self.children.append(Part(chunk, child_default, depth + 1))
        elif maintype == "message" and subtype == "rfc822":
            self.message = Part(self.body, ("text", "plain"), depth + 1)

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def field(self, name: str) -> bytes | None:
        return first(self.fields, name)

    @property
    def is_multipart(self) -> bool:
        return self.maintype == "multipart"


def split_multipart(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between boundary lines; the CRLF before a boundary belongs to it."""
    # The line end after a boundary is only looked at, so that a boundary line right
    # after another one still has its preceding line break (an empty part, as Dovecot).
    pattern = re.compile(
        rb"(?:\A|\r?\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?=\r?\n|\Z)",
    )
    parts = []
    start = None
    for m in pattern.finditer(body):
        if start is not None:
            parts.append(body[start : max(start, m.start())])
        if m[1]:
            start = None
            break
        start = m.end()
        if body.startswith(b"\r\n", start):
            start += 2
        elif body.startswith(b"\n", start):
            start += 1
    if start is not None:
        parts.append(body[start:])
    return parts
