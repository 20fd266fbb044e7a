"""Markup payloads for the untrusted-text tests, and ways to read what the UI shows."""

from __future__ import annotations

from hypothesis import strategies as st
from textual.content import Content
from textual.widgets import Label

from tuimail.core.sanitize import sanitize

CLICK = "[@click=app.screenshot('x.svg','.')]invoice.pdf"
PAYLOADS = [
    CLICK,
    "[link='x]a.pdf",
    "[/]",
    "[b]",
    "[b]bold[/b] [i]",
    "[ALERT] Quota exceeded",
    "a]]][[[b",
    "[",
    "]",
    "\\[b]",
    "[on red]x[/on red]",
    "[$accent]x",
    "\x1b]0;pwned\x07Title\x1b[2J",
    "\x9b31mred",
    "safe\u202etxt.exe",
]

# Text made of the characters that mean something to markup and to a terminal.
payloads = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet="[]/@=()'\"\\ $.abAB\x1b\x07\x9b", min_size=1, max_size=24),
    st.builds(lambda a, b: a + b, st.sampled_from(PAYLOADS), st.sampled_from(PAYLOADS)),
)


def shown(visual) -> str:
    """The text a Content/Text/str would put on screen, and whether it carries actions."""
    if isinstance(visual, Content):
        return visual.plain
    return getattr(visual, "plain", str(visual))


def has_actions(visual) -> bool:
    """True if any part of the rendered text carries a click action or a link."""
    spans = getattr(visual, "spans", [])
    for span in spans:
        style = span.style
        text = str(style)
        if "@click" in text or "link" in text:
            return True
        meta = getattr(style, "meta", None) or {}
        if meta.get("@click"):
            return True
    return False


def label_text(label: Label) -> str:
    return shown(label.visual)


def literal(payload: str) -> str:
    """What a payload must look like on screen: sanitised, brackets kept."""
    return sanitize(payload)
