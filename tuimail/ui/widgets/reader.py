"""The reader pane: sanitized headers, body blocks with quotes folded, links, attachments."""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tuimail.core.sanitize import sanitize
from tuimail.core.service import ReaderBlock, ReaderView
from tuimail.ui.plain import plain_text

_URL = re.compile(r"(?:https?://|mailto:)[!#-;=?-\[\]_a-z~]+", re.I)  # printable ASCII only


def linked(text: str, style: str = "") -> Text:
    """`text` sanitised as plain Text, each web/mailto link in it carrying a hyperlink
    style: the terminal gets OSC 8 around every piece of a link, so a long link that
    wraps onto several lines still opens (and copies) as one whole link."""
    out = plain_text(text, multiline=True, style=style)
    plain = out.plain
    for match in _URL.finditer(plain):
        after = plain[match.end() : match.end() + 1]
        if after and not after.isspace() and after not in "<>\"'`":
            continue  # it goes on with characters no link has: no partial hyperlink
        url = match.group().rstrip(".,;:!?'")
        while url.endswith(")") and url.count(")") > url.count("("):  # "(see https://x/a)"
            url = url[:-1]
        out.stylize(Style(link=url), match.start(), match.start() + len(url))
    return out


def _depth(text: str) -> int:
    """How deeply a quoted block is quoted: the '>' before its first words."""
    prefix = text[: len(text) - len(text.lstrip("> "))]
    return max(1, prefix.count(">"))


def fold_quotes(blocks: list[ReaderBlock], show: bool) -> list[tuple[str, str]]:
    """(kind, text) to show. Folded, each contiguous run of quoted blocks (nested levels
    and blank lines between them included) becomes ONE placeholder line."""
    out: list[tuple[str, str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            lines = sum(t.count("\n") + 1 for t in run)
            deepest = max(_depth(t) for t in run)
            nested = f", nested {deepest} deep" if deepest > 1 else ""
            noun = "line" if lines == 1 else "lines"
            out.append(("quote", f"[… {lines} quoted {noun}{nested} hidden — press z to show]"))
            run.clear()

    for block in blocks:
        text = block.text.strip("\n")
        if block.kind == "quote" and not show:
            run.append(text)
            continue
        if not text and block.kind == "text":
            continue  # a blank line between quotes keeps the run together
        close_run()
        out.append((block.kind, text))
    close_run()
    return out


class ReaderPane(VerticalScroll, can_focus=True):
    """Focused, it scrolls like a pager: j/k a line, Space/b a page."""

    BINDINGS = [
        Binding("j", "scroll_down", "Line down", show=False, id="reader.down"),
        Binding("k", "scroll_up", "Line up", show=False, id="reader.up"),
        Binding("space", "page_down", "Page down", show=False, id="reader.page_down"),
        Binding("b", "page_up", "Page up", show=False, id="reader.page_up"),
    ]
    DEFAULT_CSS = """
    ReaderPane { padding: 0 1; }
    ReaderPane:focus { background-tint: $foreground 4%; }
    ReaderPane .headers { color: $text-muted; margin-bottom: 1; }
    ReaderPane .quote { color: $text-muted; }
    ReaderPane .signature { color: $text-disabled; }
    ReaderPane .links, ReaderPane .attachments { margin-top: 1; color: $text-muted; }
    /* a long link is shortened with an ellipsis, never folded into pieces: l opens or
       copies it whole */
    ReaderPane .links { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message_view: ReaderView | None = None
        self.show_quotes = False
        self.raw: str | None = None

    def show_message(self, view: ReaderView | None, note: str = "") -> None:
        self.message_view = view
        self.raw = None
        self._rebuild()

    def show_raw(self, raw: str | None) -> None:
        """The message's source (None: back to the message)."""
        self.raw = raw
        self._rebuild()

    def show_note(self, note: str) -> None:
        self.message_view = None
        self.raw = None
        self.remove_children()
        self.mount(Static(plain_text(note, multiline=True), classes="note"))

    def toggle_quotes(self) -> None:
        self.show_quotes = not self.show_quotes
        self._rebuild()

    def _rebuild(self) -> None:
        self.remove_children()
        if self.raw is not None:
            self.mount(Static(plain_text(self.raw, multiline=True), classes="raw"))
            self.scroll_home(animate=False)
            return
        view = self.message_view
        if view is None:
            self.mount(Static("No message selected.", classes="note"))
            return
        head = Text()
        for name, value in view.headers:
            head.append(f"{sanitize(name)}: ", style="bold")
            head.append(sanitize(value) + "\n")
        widgets = [Static(head, classes="headers")]
        for kind, text in fold_quotes(view.blocks, self.show_quotes):
            widgets.append(Static(linked(text), classes=kind))
        if view.links:
            links = Text("Links:\n", style="bold")
            for i, link in enumerate(view.links, 1):
                links.append(f"[{i}] ")
                links.append_text(linked(link))
                links.append("\n")
            widgets.append(Static(links, classes="links"))
        if view.attachments:
            att = Text("Attachments (press S to save):\n", style="bold")
            for number, a in enumerate(view.attachments, 1):
                att.append(
                    f"  {number}. {sanitize(a.filename)} ({sanitize(a.content_type)}, {a.size} bytes)\n"
                )
            widgets.append(Static(att, classes="attachments"))
        self.mount_all(widgets)
        self.scroll_home(animate=False)
