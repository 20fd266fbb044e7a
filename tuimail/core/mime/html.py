"""HTML mail -> readable text, with numbered links, never touching the network.

lxml parses the HTML (``no_network=True``; no DTDs, no entities from outside)
and we prune what must not be shown or followed: scripts, styles, hidden
elements, iframes/objects; images become their alt text.  Each link gets a
``[n]`` marker and its URL goes to a list.  inscriptis then lays out the text
(paragraphs, lists, tables, indentation) and annotates blockquotes so quoted
HTML can be folded like quoted plain text.  No resource is ever fetched: the
tree is never asked to load anything, and inscriptis only reads the tree.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig

from .notes import Note, note

__all__ = ["HtmlText", "html_to_text"]

# Removed with their content: never readable text.
_DROP_TREE = {"script", "style", "title", "template"}
# Removed but their content kept: libxml2 treats some void or unknown elements
# (embed, frame, source) as containers, so dropping them whole could hide text.
_UNWRAP = {"head", "meta", "link", "base", "object", "embed", "applet", "svg", "math", "noscript"}
_UNWRAP |= {"frameset", "frame", "iframe", "audio", "video", "canvas", "picture", "source"}
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MAX_HTML = 2 * 1024 * 1024


@dataclass
class HtmlText:
    text: str
    links: list[str] = field(default_factory=list)
    # (start line, end line exclusive, depth) of blockquote regions in ``text``.
    quotes: list[tuple[int, int, int]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # mime.notes


_PARSER = lxml.html.HTMLParser(
    no_network=True, remove_comments=True, remove_pis=True, recover=True, huge_tree=False
)


# libxml2's fatal "stopped at a limit" errors: ERR_RESOURCE_LIMIT since 2.11; before that
# (lxml < 5 bundles 2.10) the depth limit was a fatal ERR_INTERNAL_ERROR, and lxml has no
# ERR_RESOURCE_LIMIT name (looking it up raised AttributeError for every message with a
# parse error: the reader then showed those as text only).
_LIMITS = frozenset(
    getattr(lxml.etree.ErrorTypes, name)
    for name in ("ERR_RESOURCE_LIMIT", "ERR_INTERNAL_ERROR")
    if hasattr(lxml.etree.ErrorTypes, name)
)
_FATAL = lxml.etree.ErrorLevels.FATAL


class _Incomplete(Exception):
    """libxml2 stopped at one of its limits (elements nested 256 deep: a long thread of
    quoted replies): the tree it gives lacks everything past that point."""


def _tree(html: str) -> lxml.html.HtmlElement | None:
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)
    if not html.strip():
        return None
    try:
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError, lxml.etree.XMLSyntaxError):
        return None
    if any(e.type in _LIMITS and e.level == _FATAL for e in _PARSER.error_log):
        raise _Incomplete  # its text alone, rather than a part of it laid out
    return root


_RAW_OPEN = re.compile(r"<(script|style|head)\b", re.I)
_RAW_CLOSE = re.compile(r"</(script|style|head)\s*>", re.I)


def _strip_tags(html: str) -> str:
    """Tags out, script/style/head elements out with their content: one linear scan.

    (The regular expressions this replaces searched to the end of the text from every
    unclosed `<script` or `<`: quadratic on hostile HTML.) The next closing tag of each
    kind is found once and reused, so a thousand unclosed `<script`s cost one search.
    """
    out: list[str] = []
    closes: dict[str, tuple[int, int]] = {}  # kind -> (its start, its end), or (-1, -1)
    i, n = 0, len(html)
    while i < n:
        lt = html.find("<", i)
        if lt < 0:
            out.append(html[i:])
            break
        out.append(html[i:lt])
        opening = _RAW_OPEN.match(html, lt)
        if opening is not None:
            kind = opening.group(1).lower()
            found = closes.get(kind)
            if found is None or (found[0] != -1 and found[0] < opening.end()):
                found = _next_close(html, kind, opening.end())
                closes[kind] = found
            if found[0] != -1:
                out.append(" ")
                i = found[1]
                continue
        gt = html.find(">", lt)
        if gt < 0:  # no tag can end any more: the rest is text
            out.append(html[lt:])
            break
        out.append(" ")
        i = gt + 1
    return re.sub(r"[ \t]+", " ", "".join(out))


def _next_close(html: str, kind: str, start: int) -> tuple[int, int]:
    for match in _RAW_CLOSE.finditer(html, start):
        if match.group(1).lower() == kind:
            return match.start(), match.end()
    return -1, -1


def _prune(root: lxml.html.HtmlElement, links: list[str], first: int) -> None:
    numbers: dict[str, int] = {}
    doomed = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        hidden = _HIDDEN.search(el.get("style", "")) or el.get("hidden") is not None
        if el.tag.lower() in _DROP_TREE or hidden:
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        tag = el.tag.lower()
        if tag in _UNWRAP:
            el.drop_tag()
            continue
        if tag == "img":
            alt = (el.get("alt") or "").strip()
            el.drop_tag() if not alt else _replace_text(el, f"[{alt}]")
        elif tag in ("input", "button", "select", "textarea"):
            val = (el.get("value") or el.text_content() or "").strip()
            _replace_text(el, f"[{val}]" if val else "")
        elif tag == "a":
            href = (el.get("href") or "").strip()
            if not href or href.startswith("#") or href.lower().startswith("javascript:"):
                continue
            n = numbers.get(href)
            if n is None:
                links.append(href)
                n = numbers[href] = len(links) + first - 1
            marker = lxml.html.Element("span")
            marker.text = f"[{n}]"
            el.append(marker)
        for attr in ("background", "src", "srcset", "style"):
            if attr in el.attrib:
                del el.attrib[attr]


def _replace_text(el: lxml.html.HtmlElement, text: str) -> None:
    span = lxml.html.Element("span")
    span.text = text
    span.tail = el.tail
    el.getparent().replace(el, span)


def _quote_regions(text: str, labels: list) -> list[tuple[int, int, int]]:
    if not labels:
        return []
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    import bisect

    depth_by_line: dict[int, int] = {}
    for start, end, _label in labels:
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(start, end - 1)) - 1
        for line in range(first, last + 1):
            depth_by_line[line] = depth_by_line.get(line, 0) + 1
    regions = []
    for line in sorted(depth_by_line):
        d = depth_by_line[line]
        if regions and regions[-1][1] == line and regions[-1][2] == d:
            regions[-1] = (regions[-1][0], line + 1, d)
        else:
            regions.append((line, line + 1, d))
    return regions


def html_to_text(html: str, *, first_link: int = 1) -> HtmlText:
    """Convert HTML to text with links numbered from ``first_link``; never raises or fetches."""
    notes: list[Note] = []
    if len(html) > _MAX_HTML:
        html = html[:_MAX_HTML]
        notes.append(note("html-truncated"))
    links: list[str] = []
    try:
        root = _tree(html)
        if root is None:
            return HtmlText(_strip_tags(html).strip(), notes=notes)
        _prune(root, links, first_link)
        config = ParserConfig(annotation_rules={"blockquote": ["quote"]})
        conv = Inscriptis(root, config)
        text = conv.get_text()
        labels = [(a.start, a.end, a.metadata) for a in conv.get_annotations()]
    except Exception:
        notes.append(note("html-unlaid"))
        return HtmlText(_strip_tags(html).strip(), links, notes=notes)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    regions = _quote_regions(text, labels)
    # inscriptis indents some layouts as a whole; drop the common indentation
    # (line count is unchanged, so the quote regions stay valid).
    return HtmlText(textwrap.dedent(text), links, regions, notes)
