"""Plain-text body structure: format=flowed, quoted text and signatures.

Splits text into blocks the UI can fold: "text", "quote" (with depth) and
"signature".  Quotes are lines starting with ">" (depth = number of ">"),
plus everything after an Outlook-style "-----Original Message-----" marker;
the signature is everything after a "-- " line (RFC 3676 sig separator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Block", "split_blocks", "unflow"]

_QUOTE = re.compile(r"^((?:[ \t]{0,3}>)+)[ ]?")
_ORIGINAL = re.compile(
    r"^(?:-{3,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)"
    r"\s*-{3,})\s*$",
    re.I,
)
_OUTLOOK_RULE = re.compile(r"^_{20,}\s*$")
_FROM = re.compile(r"^\*?(?:From|Von|De|Da)\*?:\s")
_SIG = re.compile(r"^--[ ]?$")


@dataclass
class Block:
    kind: str  # "text" | "quote" | "signature"
    depth: int = 0
    lines: list[str] = field(default_factory=list)


def unflow(text: str, delsp: bool = False) -> str:
    """Join RFC 3676 soft line breaks (lines ending in a space)."""
    out: list[str] = []
    buf = ""
    buf_depth = -1
    for line in text.split("\n"):
        m = re.match(r"^(>*)", line)
        depth = len(m.group(1)) if m else 0
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if buf_depth >= 0 and depth != buf_depth:
            out.append(">" * buf_depth + (" " if buf_depth else "") + buf)
            buf, buf_depth = "", -1
        if content.endswith(" ") and content != "-- ":
            buf += content[:-1] if delsp else content
            buf_depth = depth
            continue
        buf += content
        out.append(">" * depth + (" " if depth and buf else "") + buf)
        buf, buf_depth = "", -1
    if buf_depth >= 0:
        out.append(">" * buf_depth + (" " if buf_depth else "") + buf)
    return "\n".join(out)


def _add(blocks: list[Block], kind: str, depth: int, line: str) -> None:
    if blocks and blocks[-1].kind == kind and blocks[-1].depth == depth:
        blocks[-1].lines.append(line)
    else:
        blocks.append(Block(kind, depth, [line]))


def split_blocks(text: str) -> list[Block]:
    """Tag each line of a plain-text body as text, quote (with depth) or signature."""
    blocks: list[Block] = []
    lines = text.split("\n")
    nxt = lines[1:] + [""]
    in_sig = False
    original = False
    for line, following in zip(lines, nxt, strict=True):
        if in_sig:
            _add(blocks, "signature", 0, line)
            continue
        if _SIG.match(line) and not original:
            in_sig = True
            _add(blocks, "signature", 0, line)
            continue
        m = _QUOTE.match(line)
        if m:
            depth = m.group(1).count(">") + (1 if original else 0)
            _add(blocks, "quote", depth, line)
        elif original:
            _add(blocks, "quote", 1, line)
        elif _ORIGINAL.match(line) or (_OUTLOOK_RULE.match(line) and _FROM.match(following)):
            original = True
            _add(blocks, "quote", 1, line)
        else:
            _add(blocks, "text", 0, line)
    # A "signature" longer than 40 lines is probably not one (e.g. "--" as a divider).
    for i, block in enumerate(blocks):
        if block.kind == "signature" and len(block.lines) > 40:
            blocks[i] = Block("text", 0, block.lines)
    return blocks
