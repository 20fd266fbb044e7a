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
        if block.kind == "stored-note":  # the store's note kind for this message
            from tuimail.words.notes import message_note  # a message shown: not at start

            out.append(("note", message_note(text)))
            continue
        if block.kind == "mime-note":  # what was done to show it (mime.notes.Note)
            from tuimail.words.notes import reader_note

            out.append(("note", reader_note(block.note)))
            continue
        out.append((block.kind, text))
    close_run()
    return out


class ReaderPane(VerticalScroll, can_focus=True):
    """Focused, it scrolls like a pager: j/k a line, Space/b a page, g/G top/bottom."""

    BINDINGS = [
        Binding("j", "scroll_down", "Line down", show=False, id="reader.down"),
        Binding("k", "scroll_up", "Line up", show=False, id="reader.up"),
        Binding("space", "page_down", "Page down", show=False, id="reader.page_down"),
        Binding("b", "page_up", "Page up", show=False, id="reader.page_up"),
        # as in less (and the list): the start and the end of a long message
        Binding("g", "scroll_home", "Top", show=False, id="reader.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="reader.bottom"),
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

    SPARE_BLOCKS = 16  # hidden block widgets kept for the next message; more are removed

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message_view: ReaderView | None = None
        self.show_quotes = False
        self.raw: str | None = None
        self._note: str | None = None  # shown while no message and no source is
        # The pane's widgets are made once and reused: a message replaces their content
        # (mounting and removing widgets per message cost the loop 30-60 ms at 160x50).
        # Invariant: after every _rebuild each widget shows only what the current
        # message (or note) gives it; a widget it does not use is emptied and hidden.
        self._single = Static("No message selected.", classes="note")
        self._head = Static("", classes="headers")
        self._blocks: list[Static] = []
        self._links = Static("", classes="links")
        self._attachments = Static("", classes="attachments")

    def compose(self):
        yield self._single
        yield self._head
        yield self._links
        yield self._attachments

    def on_mount(self) -> None:
        self._rebuild()

    def show_message(self, view: ReaderView | None, note: str = "") -> None:
        self.message_view = view
        self.raw = None
        self._note = None
        self._rebuild()

    def show_raw(self, raw: str | None) -> None:
        """The message's source (None: back to the message)."""
        self.raw = raw
        self._rebuild()

    def show_note(self, note: str) -> None:
        self.message_view = None
        self.raw = None
        self._note = note
        self._rebuild()

    def toggle_quotes(self) -> None:
        self.show_quotes = not self.show_quotes
        self._rebuild()

    @staticmethod
    def _set(widget: Static, content: Text | None, kind: str | None = None) -> None:
        """Give `widget` this content (None: empty and hidden), its class set to `kind`.
        Always plain Text (assembled, never parsed as markup)."""
        if kind is not None and not (widget.has_class(kind) and len(widget.classes) == 1):
            widget.set_classes(kind)
        widget.update(Text() if content is None else Text.assemble(content))
        widget.display = content is not None

    def _show_single(self, content: Text, kind: str) -> None:
        """Only the one widget for a note or the raw source; everything else emptied."""
        self._set(self._single, content, kind)
        self._show_parts(None, [], None, None)

    def _show_parts(
        self,
        head: Text | None,
        blocks: list[tuple[str, Text]],
        links: Text | None,
        attachments: Text | None,
    ) -> None:
        self._set(self._head, head)
        new = []
        while len(self._blocks) < len(blocks):
            widget = Static("")
            self._blocks.append(widget)
            new.append(widget)
        for i, widget in enumerate(self._blocks):
            kind, text = blocks[i] if i < len(blocks) else (None, None)
            self._set(widget, text, kind)
        spare = self._blocks[len(blocks) :]
        if len(spare) > self.SPARE_BLOCKS:
            del self._blocks[len(blocks) + self.SPARE_BLOCKS :]
            for widget in spare[self.SPARE_BLOCKS :]:
                widget.remove()
        if new and self.is_attached:
            self.mount_all(new, before=self._links)
        self._set(self._links, links)
        self._set(self._attachments, attachments)

    def _rebuild(self) -> None:
        if not self.is_attached:
            return  # on_mount shows what was set before
        if self.raw is not None:
            self._show_single(plain_text(self.raw, multiline=True), "raw")
            self.scroll_home(animate=False)
            return
        view = self.message_view
        if view is None:
            note = "No message selected." if self._note is None else self._note
            self._show_single(plain_text(note, multiline=True), "note")
            return
        self._set(self._single, None)
        head = Text()
        for name, value in view.headers:
            head.append(f"{sanitize(name)}: ", style="bold")
            head.append(sanitize(value) + "\n")
        blocks = [(kind, linked(text)) for kind, text in fold_quotes(view.blocks, self.show_quotes)]
        links = None
        if view.links:
            links = Text("Links:\n", style="bold")
            for i, link in enumerate(view.links, 1):
                links.append(f"[{i}] ")
                links.append_text(linked(link))
                links.append("\n")
        att = None
        if view.attachments:
            att = Text("Attachments (press S to save):\n", style="bold")
            for number, a in enumerate(view.attachments, 1):
                att.append(
                    f"  {number}. {sanitize(a.filename)} ({sanitize(a.content_type)}, {a.size} bytes)\n"
                )
        self._show_parts(head, blocks, links, att)
        self.scroll_home(animate=False)
