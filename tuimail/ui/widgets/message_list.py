"""The message list: a virtual, line-rendered `ScrollView`.

Only the visible rows are rendered. Rows are read from the source (the local store) in
pages on demand and rendered `Strip`s are kept in an LRU cache, so a folder of 100,000
messages opens as fast as one of ten. (The pattern of Textualize/toolong's log view;
DataTable would build every row up front.)
"""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuimail.core.sanitize import sanitize
from tuimail.core.service import MessageListSource, MessageRow

PAGE = 200


def _fit(text: str, width: int) -> str:
    """Exactly `width` terminal cells (wide characters counted as two), cut with '…'."""
    if width <= 0:
        return ""
    if text.isascii():
        if len(text) > width:
            return text[: width - 1] + "…"
        return text.ljust(width)
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def _date(value: datetime | None, now: datetime | None) -> str:
    if value is None:
        return ""
    if now is not None and value.date() == now.date():
        return value.strftime("%H:%M")
    if now is not None and value.year == now.year:
        return value.strftime("%d %b")
    return value.strftime("%Y-%m-%d")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size}B"
    if size < 1024 * 1024:
        return f"{size // 1024}K"
    return f"{size // (1024 * 1024)}M"


class MessageList(ScrollView, can_focus=True):
    """Rows from a `MessageListSource`; the cursor row is the selected message."""

    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--flagged",
    }
    DEFAULT_CSS = """
    MessageList { background: $surface; }
    MessageList > .message-list--cursor { background: $accent 50%; color: $text; }
    MessageList:focus > .message-list--cursor { background: $accent; color: $text; }
    MessageList > .message-list--unread { text-style: bold; }
    MessageList > .message-list--flagged { color: $warning; }
    """
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("g,home", "first", "Top", show=False, id="list.top"),
        Binding("G,end", "last", "Bottom", show=False, id="list.bottom"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, row: MessageRow | None) -> None:
            super().__init__()
            self.row = row

    class Opened(Message):
        def __init__(self, row: MessageRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None, now: datetime | None = None) -> None:
        super().__init__(id=id)
        self._source: MessageListSource | None = None
        self._count = 0
        self._pages: LRUCache[int, list[MessageRow]] = LRUCache(64)
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._now = now

    # -- data -------------------------------------------------------------------------

    @property
    def source(self) -> MessageListSource | None:
        return self._source

    def set_source(self, source: MessageListSource | None, keep_cursor: bool = False) -> None:
        """Show another folder (or the same one re-read after a change)."""
        self._source = source
        self.reload(keep_cursor=keep_cursor)

    def reload(self, keep_cursor: bool = True) -> None:
        """Forget cached rows; the store changed. The selected message stays selected."""
        selected = self.current if keep_cursor else None
        old_cursor = self.cursor
        self._pages.clear()
        self._strips.clear()
        try:
            self._count = self._source.count() if self._source is not None else 0
        except Exception:
            self._count = 0
        self.virtual_size = Size(self.size.width, self._count)
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
            self.refresh()
            return
        target = min(old_cursor, max(0, self._count - 1))
        if selected is not None:
            for index in range(max(0, old_cursor - 50), min(self._count, old_cursor + 50)):
                row = self.row_at(index)
                if row is not None and row.id == selected.id:
                    target = index
                    break
        now_at = self.row_at(target)
        same = selected is not None and now_at is not None and now_at.id == selected.id
        if target != self.cursor or not same:
            self.cursor = target  # a different message is under the cursor: re-preview
        else:
            self._scroll_cursor_visible()
        self.refresh()

    @property
    def count(self) -> int:
        return self._count

    def row_at(self, index: int) -> MessageRow | None:
        if self._source is None or not 0 <= index < self._count:
            return None
        page_no = index // PAGE
        page = self._pages.get(page_no)
        if page is None:
            try:
                page = list(self._source.rows(page_no * PAGE, PAGE))
            except Exception:  # the store is busy or gone: paint blank, never crash
                return None
            self._pages[page_no] = page
        offset = index - page_no * PAGE
        return page[offset] if offset < len(page) else None

    @property
    def current(self) -> MessageRow | None:
        return self.row_at(self.cursor)

    # -- rendering --------------------------------------------------------------------

    def on_resize(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.size.width, self._count)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width or self.size.width
        if self._count == 0 and y == 0 and self._source is not None:
            note = " No messages here."
            return Strip([Segment(_fit(note, width), self.rich_style)], width)
        if index >= self._count:
            return Strip.blank(width, self.rich_style)
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        selected = index == self.cursor
        key = (index, row.id, row.flags_key, width, selected, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, selected)
            self._strips[key] = strip
        return strip

    def _render_row(self, row: MessageRow, width: int, selected: bool) -> Strip:
        base = self.rich_style
        if not row.seen:
            base = base + self.get_component_rich_style("message-list--unread", partial=True)
        if row.flagged:
            base = base + self.get_component_rich_style("message-list--flagged", partial=True)
        if selected:
            base = base + self.get_component_rich_style("message-list--cursor", partial=True)
        flags = (
            ("●" if not row.seen else " ")
            + ("★" if row.flagged else " ")
            + ("↩" if row.answered else " ")
        )
        date = _date(row.date, self._now or datetime.now(row.date.tzinfo if row.date else None))
        size = ("+" if row.has_attachments else " ") + _size(row.size).rjust(5)
        if width >= 100:
            sender_w = 24
        elif width >= 60:
            sender_w = 18
        else:
            sender_w = 12
        date_w = 10
        fixed = 3 + 1 + date_w + 1 + sender_w + 1 + 1 + 7
        subject_w = max(0, width - fixed)
        subject = "  " * min(row.depth, 8) + sanitize(row.subject or "(no subject)")
        sender = sanitize(row.sender or "")
        text = (
            f"{flags} {_fit(date, date_w)} {_fit(sender, sender_w)} "
            f"{_fit(subject, subject_w)} {size}"
        )
        segments = [Segment(_fit(text, width), base)]
        return Strip(segments, width).simplify()

    # -- cursor -----------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        # Cached strips are keyed on "selected", so only the two changed rows re-render.
        self._scroll_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _scroll_cursor_visible(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def move_cursor(self, index: int) -> None:
        if self._count == 0:
            self.cursor = 0
            return
        self.cursor = max(0, min(self._count - 1, index))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self._count - 1)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self._count:
            self.move_cursor(index)
            if event.chain >= 2:
                self.action_open()
