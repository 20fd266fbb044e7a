"""Reading mail: parse, summarize, render, attachments.

Public API:
    summarize(raw) -> MessageSummary           fast, header-only, sanitized
    parse_message(raw) -> ParsedMessage        never raises, bounded work
    render_message(parsed) -> RenderedMessage  sanitized, tagged blocks; .as_text()
    raw_source(raw) -> str                     sanitized raw source
    save_attachment(parsed, index, directory) -> Path
    open_attachment(parsed, index, directory) -> OpenResult (outcome, path)

The names are loaded on first use (PEP 562): a header sync needs `summarize` only, and
the parser, renderer and HTML converter stay unimported (start-up of `tuimail sync`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the submodule that defines it
_WHERE = {
    "AttachmentError": "attachments",
    "open_attachment": "attachments",
    "save_attachment": "attachments",
    "Attachment": "parse",
    "BodyPart": "parse",
    "ParsedMessage": "parse",
    "parse_message": "parse",
    "Block": "quotes",
    "AttachmentInfo": "render",
    "RenderedMessage": "render",
    "raw_source": "render",
    "render_message": "render",
    "MessageSummary": "summary",
    "summarize": "summary",
}

__all__ = [
    "Attachment",
    "AttachmentError",
    "AttachmentInfo",
    "Block",
    "BodyPart",
    "MessageSummary",
    "ParsedMessage",
    "RenderedMessage",
    "open_attachment",
    "parse_message",
    "raw_source",
    "render_message",
    "save_attachment",
    "summarize",
]

if TYPE_CHECKING:
    from .attachments import AttachmentError, open_attachment, save_attachment
    from .parse import Attachment, BodyPart, ParsedMessage, parse_message
    from .quotes import Block
    from .render import AttachmentInfo, RenderedMessage, raw_source, render_message
    from .summary import MessageSummary, summarize


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
