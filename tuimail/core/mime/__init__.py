"""Reading mail: parse, summarize, render, attachments.

Public API:
    summarize(raw) -> MessageSummary           fast, header-only, sanitized
    parse_message(raw) -> ParsedMessage        never raises, bounded work
    render_message(parsed) -> RenderedMessage  sanitized, tagged blocks; .as_text()
    raw_source(raw) -> str                     sanitized raw source
    save_attachment(parsed, index, directory) -> Path
    open_attachment(parsed, index, directory) -> str (sentence for the user)
"""

from .attachments import AttachmentError, open_attachment, save_attachment
from .parse import Attachment, BodyPart, ParsedMessage, parse_message
from .quotes import Block
from .render import AttachmentInfo, RenderedMessage, raw_source, render_message
from .summary import MessageSummary, summarize

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
