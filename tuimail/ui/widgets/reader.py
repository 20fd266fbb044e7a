"""The reader pane: sanitized headers, body blocks with quotes folded, links, attachments."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tuimail.core.sanitize import sanitize
from tuimail.core.service import ReaderView
from tuimail.ui.plain import plain_text


class ReaderPane(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ReaderPane { padding: 0 1; }
    ReaderPane .headers { color: $text-muted; margin-bottom: 1; }
    ReaderPane .quote { color: $text-muted; }
    ReaderPane .signature { color: $text-disabled; }
    ReaderPane .links, ReaderPane .attachments { margin-top: 1; color: $text-muted; }
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

    def show_raw(self, raw: str) -> None:
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
        for block in view.blocks:
            text = block.text.strip("\n")
            if not text and block.kind == "text":
                continue
            if block.kind == "quote" and not self.show_quotes:
                lines = text.count("\n") + 1
                widgets.append(
                    Static(
                        Text(f"[… {lines} quoted line(s) hidden — press z to show]"),
                        classes="quote",
                    )
                )
            else:
                widgets.append(Static(plain_text(text, multiline=True), classes=block.kind))
        if view.links:
            links = Text("Links:\n", style="bold")
            for i, link in enumerate(view.links, 1):
                links.append(f"[{i}] {sanitize(link)}\n")
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
