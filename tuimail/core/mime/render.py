"""render_message(): ParsedMessage -> sanitized, tagged lines ready for display."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..sanitize import sanitize
from .charsets import decode_bytes
from .notes import Note, note
from .parse import ParsedMessage
from .quotes import Block, split_blocks, unflow

__all__ = ["AttachmentInfo", "RenderedMessage", "render_message", "raw_source", "format_size"]

HEADER_ORDER = ("From", "To", "Cc", "Date", "Subject")
HTML_NOTE = note("html-converted")  # remote content is never loaded


@dataclass(frozen=True)
class AttachmentInfo:
    index: int
    filename: str  # sanitized for display
    content_type: str
    size: int


@dataclass
class RenderedMessage:
    """Everything here is sanitized: safe to print or hand to Rich/Textual."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    # What was done to show it, as data (mime.notes); worded at the edge
    # (tuimail.words.notes.reader_note), which hands the words to as_text().
    notes: list[Note] = field(default_factory=list)

    def lines(self, *, show_quotes: bool = True) -> list[tuple[str, int, str]]:
        """Body lines as (kind, quote depth, text); folded quotes become one marker line."""
        out: list[tuple[str, int, str]] = []
        for block in self.blocks:
            if block.kind == "quote" and not show_quotes:
                n = len(block.lines)
                out.append(("quote", block.depth, f"[{n} quoted line{'s' * (n != 1)} hidden]"))
                continue
            out.extend((block.kind, block.depth, line) for line in block.lines)
        return out

    def as_text(self, *, show_quotes: bool = True, notes: Sequence[str] = ()) -> str:
        """Plain text rendering: headers, body, links, attachments, and `notes`: the
        words the edge made of self.notes (none given: no notes section)."""
        parts = [f"{name}: {value}" for name, value in self.headers]
        parts.append("")
        parts.extend(text for _kind, _depth, text in self.lines(show_quotes=show_quotes))
        if self.links:
            parts += ["", "Links:"] + [f"[{i}] {url}" for i, url in enumerate(self.links, 1)]
        if self.attachments:
            parts += ["", "Attachments:"]
            parts += [
                f"[{a.index}] {a.filename} ({a.content_type}, {format_size(a.size)})"
                for a in self.attachments
            ]
        if notes:
            parts += ["", "Notes:"] + [f"- {n}" for n in notes]
        return "\n".join(parts).rstrip("\n") + "\n"


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _short(url: str, limit: int = 2000) -> str:
    """Keep giant (data:) URLs from flooding the link list."""
    return url if len(url) <= limit else url[:limit] + f"… [{len(url) - limit} more characters]"


def _clean(text: str) -> str:
    return sanitize(text.replace("\r\n", "\n").replace("\r", "\n"), multiline=True)


def render_message(parsed: ParsedMessage, *, show_quotes: bool = True) -> RenderedMessage:
    """Render a parsed message.  ``show_quotes`` is kept for callers that want
    ``as_text()`` folded by default; the blocks always hold every line."""
    rm = RenderedMessage()
    seen = set()
    for wanted in HEADER_ORDER:
        for name, value in parsed.headers:
            if name == wanted and name not in seen:
                seen.add(name)
                rm.headers.append((name, sanitize(value)))
    blocks: list[Block] = []
    for i, part in enumerate(parsed.body):
        new: list[Block]
        if part.kind == "html":
            from .html import html_to_text  # lxml + inscriptis: loaded only when needed

            conv = html_to_text(part.text, first_link=len(rm.links) + 1)
            text = conv.text
            rm.links.extend(_short(sanitize(u)) for u in conv.links)
            new = _html_blocks(_clean(text), conv.quotes)
            for said in [*conv.notes, HTML_NOTE]:
                if said not in rm.notes:
                    rm.notes.append(said)
        elif part.kind == "plain":
            text = part.text.replace("\r\n", "\n").replace("\r", "\n")
            if part.flowed:
                text = unflow(text, part.delsp)
            new = split_blocks(_clean(text).rstrip("\n"))
        elif part.kind == "forward":
            lines = ["---------- Enclosed message ----------"] + _clean(part.text).split("\n")
            new = [Block("text", 0, [ln for ln in lines if ln])]
        else:  # calendar, raw
            new = [Block("text", 0, _clean(part.text).rstrip("\n").split("\n"))]
        if i and blocks:
            blocks.append(Block("text", 0, [""]))
        blocks.extend(new)
    rm.blocks = _squeeze(_merge(blocks))
    for att in parsed.attachments:
        rm.attachments.append(
            AttachmentInfo(att.index, sanitize(att.filename), sanitize(att.content_type), att.size)
        )
    for said in parsed.notes:
        if said not in rm.notes:
            rm.notes.append(said)
    if not show_quotes:
        rm.blocks = [
            Block(b.kind, b.depth, [f"[{len(b.lines)} quoted lines hidden]"])
            if b.kind == "quote"
            else b
            for b in rm.blocks
        ]
    return rm


def _html_blocks(text: str, quotes: list[tuple[int, int, int]]) -> list[Block]:
    lines = text.strip("\n").split("\n") if text.strip() else []
    lead = len(text) - len(text.lstrip("\n"))
    depth = [0] * len(lines)
    for start, end, d in quotes:
        for n in range(start - lead, end - lead):
            if 0 <= n < len(lines):
                depth[n] = max(depth[n], d)
    blocks: list[Block] = []
    for line, d in zip(lines, depth, strict=True):
        kind = "quote" if d else "text"
        shown = ("> " * d + line.strip()).rstrip() if d else line
        if blocks and blocks[-1].kind == kind and blocks[-1].depth == d:
            blocks[-1].lines.append(shown)
        else:
            blocks.append(Block(kind, d, [shown]))
    return blocks


def _squeeze(blocks: list[Block]) -> list[Block]:
    """At most two blank lines in a row (HTML layout and mailers leave many)."""
    blank = 0
    out: list[Block] = []
    for b in blocks:
        kept = []
        for line in b.lines:
            blank = blank + 1 if not line.strip() else 0
            if blank <= 2:
                kept.append(line)
        if kept:
            out.append(Block(b.kind, b.depth, kept))
    while out and out[0].lines and not out[0].lines[0].strip():
        out[0].lines.pop(0)
        if not out[0].lines:
            out.pop(0)
    return _merge(out)


def _merge(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        if out and out[-1].kind == b.kind and out[-1].depth == b.depth:
            out[-1].lines.extend(b.lines)
        else:
            out.append(Block(b.kind, b.depth, list(b.lines)))
    return out


def raw_source(raw: bytes, *, max_bytes: int = 8 * 1024 * 1024) -> str:
    """The message source for "show raw", decoded leniently and sanitized."""
    data = raw[:max_bytes]
    text, _ = decode_bytes(data, None)
    out = sanitize(text.replace("\r\n", "\n"), multiline=True)
    if len(raw) > max_bytes:
        out += f"\n[... truncated: showing {format_size(max_bytes)} of {format_size(len(raw))}]\n"
    return out
