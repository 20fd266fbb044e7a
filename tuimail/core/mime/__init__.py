"""Reading mail: parse, summarize, render, attachments.

Public API:
    summarize(raw) -> MessageSummary        fast, header-only, sanitized
    parse_message(raw) -> ParsedMessage     never raises, bounded work
    render_message(parsed) -> RenderedMessage  sanitized, tagged lines
    raw_source(raw) -> str                  sanitized raw source
    save_attachment / open_attachment
"""

from .summary import MessageSummary, summarize

__all__ = ["MessageSummary", "summarize"]
