"""The message list: a virtual, line-rendered `ScrollView`.

Only the visible rows are rendered. Rows are read from the source (the local store) in
pages on demand and rendered `Strip`s are kept in an LRU cache, so a folder of 100,000
messages opens as fast as one of ten. (The pattern of Textualize/toolong's log view;
DataTable would build every row up front.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuimail.core.service import MessageListSource, MessageRow
from tuimail.ui.lru import LRU
from tuimail.ui.plain import cell_text
from tuimail.ui.settings import DEFAULT_COLUMNS

PAGE = 200
SCREEN = 100  # rows a screen may show below the cursor (read with it)
TREE_CELLS = 16  # a deeper reply shows the end of its tree lines after "…"
TAG_MARK = "✓"  # a tagged row (space, v, T, ctrl+t): bulk actions apply to these


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


def _tail(text: str, width: int) -> str:
    """The end of `text` in `width` cells, '…' in front when cut (a path's end names it)."""
    if cell_len(text) <= width:
        return text
    cut = text[1:]
    while cut and cell_len(cut) > width - 1:
        cut = cut[1:]
    return "…" + cut


def where(account: str, folder: str, width: int) -> str:
    """A search result's place in `width` cells: "account/folder" (no account when
    empty), shortened so the folder's own name stays: the middle of its path goes first
    ("work/…/python"), then the end of the account's name ("wo…/python"), then the
    front of what is left ("…ython")."""
    full = f"{account}/{folder}" if account else folder
    if cell_len(full) <= width:
        return full
    leaf = folder.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    tail = f"/…/{leaf}" if leaf != folder else f"/{leaf}"
    if account:
        if cell_len(account + tail) <= width:
            return account + tail
        room = width - cell_len(leaf) - 2  # the account's first cells, "…/", the name
        if room >= 2:
            return set_cell_size(account, room) + "…/" + leaf
    return _tail(tail[1:], width)


def _date(value: datetime | None, now: datetime | None, arrival: bool = False) -> str:
    """Today: the time; this year: day and month; older: year and month (7 cells). When
    the message had no believable Date header (`arrival`), the time it arrived, marked
    "~" (older: the year's last two digits, to fit)."""
    if value is None:
        return ""
    mark = ARRIVAL_MARK if arrival else ""
    if now is not None and value.date() == now.date():
        return mark + value.strftime("%H:%M")
    if now is not None and value.year == now.year:
        return mark + value.strftime("%d %b")
    return mark + value.strftime("%y-%m" if arrival else "%Y-%m")


def _names(addresses: str) -> str:
    """'Bob <bob@x>, carol@y' -> 'Bob, carol@y' (names where there are names)."""
    import email.utils

    pairs = email.utils.getaddresses([addresses or ""])
    return ", ".join(name or addr for name, addr in pairs if name or addr)


FIXED = {"flags": 3, "date": 7, "size": 6}
ARRIVAL_MARK = "~"  # before a date that is the message's arrival, not its Date header
# Columns that share what the subject does not need: (share of the width, min, max).
FLEXIBLE = {
    "from": (0.22, 10, 24),
    "folder": (0.14, 6, 16),
    "account": (0.14, 6, 16),
    "place": (0.2, 8, 24),  # account/folder, in search results of several accounts
}
SUBJECT_SHARE = 0.4  # the subject gets at least this share of the list's width


def _no_subject(row: MessageRow) -> str:
    """What the subject column shows for a row without one: a thread's placeholder (a
    message the thread refers to that is not here: a negative id) or a message."""
    return "(message not here)" if row.id < 0 else "(no subject)"


def column_plan(columns: tuple[str, ...], context: str, width: int) -> list[tuple[str, int]]:
    """(column, cells) for a list `width` cells wide, flags first. The subject takes what
    the others leave, and the others shrink (to their minimum) before the subject goes
    under SUBJECT_SHARE. Search results add the folder, the unified inbox the account."""
    names = [c for c in columns if c in FIXED or c in FLEXIBLE or c == "subject"]
    extra = {"search": "folder", "search-all": "place", "unified": "account"}.get(context)
    if extra and extra not in names:
        names.insert(names.index("subject") if "subject" in names else len(names), extra)
    names = ["flags", *names]
    widths = {}
    for name in names:
        if name in FIXED:
            widths[name] = FIXED[name]
        elif name in FLEXIBLE:
            share, low, high = FLEXIBLE[name]
            widths[name] = max(low, min(high, int(width * share)))
    gaps = len(names) - 1

    def subject_width() -> int:
        return width - gaps - sum(widths.values())

    flexible = [n for n in names if n in FLEXIBLE]
    while subject_width() < SUBJECT_SHARE * width and flexible:
        shrinkable = [n for n in flexible if widths[n] > 6]
        if not shrinkable:
            break
        for name in shrinkable:
            widths[name] -= 1
    widths["subject"] = max(0, subject_width())
    return [(name, widths[name]) for name in names]


def _tree(row: MessageRow) -> str:
    """What goes before the subject in a thread tree: ▾/▸ on a thread's first row (▸ and
    the count when collapsed), tree lines on replies; nothing in a flat list."""
    if row.thread_root:
        if row.collapsed:
            return f"▸ ({row.thread_count}) "
        return "▾ " if row.thread_count > 1 else "  "
    if row.tree:
        tree = row.tree if len(row.tree) <= TREE_CELLS else "…" + row.tree[1 - TREE_CELLS :]
        return "  " + tree + " "
    return ""


def _size(size: int) -> str:
    if size < 1024:
        return f"{size}B"
    if size < 1024 * 1024:
        return f"{size // 1024}K"
    return f"{size // (1024 * 1024)}M"


NEAR = 50  # a reload looks this far either side of the cursor for the selected message


@dataclass
class Loaded:
    """What the list shows, read off the UI thread by `load()`: the source, its count and
    the pages around the cursor, so showing it on the loop reads nothing more."""

    source: MessageListSource | None
    count: int
    pages: dict[int, list[MessageRow]] = field(default_factory=dict)


def load(source: MessageListSource | None, around: int = 0) -> Loaded:
    """Read `source` for the list (in a worker thread: at 100,000 messages the count and a
    page are milliseconds of SQLite each): the count and every page within NEAR rows of
    `around` plus a screenful. A store that is busy or gone reads as empty, never a crash."""
    if source is None:
        return Loaded(None, 0)
    try:
        count = source.count()
        pages: dict[int, list[MessageRow]] = {}
        if count:
            first = max(0, around - NEAR) // PAGE
            last = min(count - 1, around + NEAR + SCREEN) // PAGE
            for number in range(first, last + 1):
                pages[number] = list(source.rows(number * PAGE, PAGE))
    except Exception:
        return Loaded(source, 0)
    return Loaded(source, count, pages)


class MessageList(ScrollView, can_focus=True):
    """Rows from a `MessageListSource`; the cursor row is the selected message."""

    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--flagged",
        "message-list--tagged",
    }
    DEFAULT_CSS = """
    MessageList { background: $surface; overflow-x: hidden; }
    MessageList > .message-list--cursor { background: $panel-lighten-2; color: $text-muted; }
    MessageList:focus > .message-list--cursor { background: $accent; color: $text; }
    MessageList > .message-list--unread { text-style: bold; }
    MessageList > .message-list--flagged { color: $warning; }
    MessageList > .message-list--tagged { background: $secondary 40%; }
    """
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("g,home", "first", "Top", show=False, id="list.top"),
        Binding("G,end", "last", "Bottom", show=False, id="list.bottom"),
        Binding("enter", "open", "Open", id="list.open"),
        Binding("space", "toggle_tag", "Tag", show=False, id="list.tag"),
        Binding("v", "visual", "Select a range", show=False, id="list.visual"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor is on `row`; `by_user` is false when a reload put it there (a folder
        opened, search results shown), which must not count as reading the message."""

        def __init__(self, row: MessageRow | None, by_user: bool = False) -> None:
            super().__init__()
            self.row = row
            self.by_user = by_user

    class TagsChanged(Message):
        """The set of tagged rows changed (the title shows how many)."""

    class Opened(Message):
        def __init__(self, row: MessageRow) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self,
        *,
        id: str | None = None,
        now: datetime | None = None,
        columns: tuple[str, ...] = DEFAULT_COLUMNS,
    ) -> None:
        super().__init__(id=id)
        self.columns = columns
        self.context = "folder"  # "sent", "search", "search-all", "unified": the columns
        self._source: MessageListSource | None = None
        self._count = 0
        # No reference cycles (tuimail.ui.lru): what a reload drops is freed at once,
        # not left to the cyclic garbage collector's full passes.
        self._pages: LRU[int, list[MessageRow]] = LRU(64)
        self._strips: LRU[tuple, Strip] = LRU(1024)
        self._now = now
        # Tagged rows (by id) for bulk actions; `_visual` is the anchor of a range being
        # selected (v), `_tag_base` the tags from before it.
        self.tagged: dict[int, MessageRow] = {}
        self._visual: int | None = None
        self._tag_base: dict[int, MessageRow] = {}

    # -- data -------------------------------------------------------------------------

    @property
    def source(self) -> MessageListSource | None:
        return self._source

    def set_source(
        self,
        source: MessageListSource | None,
        keep_cursor: bool = False,
        context: str | None = None,
    ) -> None:
        """Show another folder (or the same one re-read after a change). `context`
        ("folder", "sent", "search", "search-all" (account/folder), "unified") decides the extra columns. Reads the
        source on the calling thread: for sources in memory; a store's folder is read off
        the loop with `load()` and shown with `show()`."""
        self.show(load(source, self.cursor if keep_cursor else 0), keep_cursor, context)

    def show(self, loaded: Loaded, keep_cursor: bool = False, context: str | None = None) -> None:
        """Show what `load()` read off the UI thread: the source, its count and the pages
        around the cursor swap in together, so the list never mixes two folders' rows.
        With `keep_cursor` the selected message stays selected (found near the cursor)."""
        selected = self.current if keep_cursor else None
        self._source = loaded.source
        if context is not None:
            self.context = context
        if not keep_cursor:  # another folder or search: its own tags
            self.clear_tags()
        self._apply(loaded.count, loaded.pages, keep_cursor, selected)

    def reload(self, keep_cursor: bool = True) -> None:
        """Forget cached rows; the store changed. The selected message stays selected.
        Reads the source here: for sources in memory (search results, thread trees)."""
        selected = self.current if keep_cursor else None
        loaded = load(self._source, self.cursor if keep_cursor else 0)
        self._apply(loaded.count, loaded.pages, keep_cursor, selected)

    def _apply(
        self,
        count: int,
        pages: dict[int, list[MessageRow]],
        keep_cursor: bool,
        selected: MessageRow | None,
    ) -> None:
        old_cursor = self.cursor
        self._pages.clear()
        for number, page in pages.items():
            self._pages[number] = page
        # The painted rows stay cached: a strip is found by what it shows (the row, not
        # its place), so after new mail only the rows that changed are painted again.
        self._count = count
        self.virtual_size = Size(self.size.width, self._count)
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
            self.refresh()
            return
        target = min(old_cursor, max(0, self._count - 1))
        if selected is not None:
            for index in range(max(0, old_cursor - NEAR), min(self._count, old_cursor + NEAR)):
                row = self.row_at(index)
                if row is not None and row.id == selected.id:
                    target = index
                    break
            else:  # moved far (its thread got new mail and went to the top): ask the source
                row_of = getattr(self._source, "row_of", None)
                found = row_of(selected.id) if row_of is not None and selected.id >= 0 else None
                if found is not None and found < self._count:
                    target = found
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

    _painted_style: Style | None = None  # the list's style the cached strips have

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # The list's colours changed (not only its scrollbar's, as on every focus
        # change): the painted rows with them. The cursor's own colours follow the
        # focus in the strips' key; another theme is in the key too.
        style = self.rich_style
        if style != self._painted_style:
            self._painted_style = style
            self._strips.clear()

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
        tagged = row.id in self.tagged
        # Keyed by everything a row's strip shows (the row itself, not its place: a
        # reload or new mail above keeps the rows already painted). Focus changes the
        # cursor row's colours only; the minute, for dates shown as "today" or not.
        key = (
            row,
            width,
            selected,
            selected and self.has_focus,
            tagged,
            self.context,
            self.columns,
            self.app.theme,
            self._now or int(time.time() // 60),
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, selected, tagged)
            self._strips[key] = strip
        return strip

    def _render_row(self, row: MessageRow, width: int, selected: bool, tagged: bool) -> Strip:
        base = self.rich_style
        if tagged:
            base = base + self.get_component_rich_style("message-list--tagged", partial=True)
        if not row.seen or (row.collapsed and row.thread_unread):
            base = base + self.get_component_rich_style("message-list--unread", partial=True)
        if row.flagged:
            base = base + self.get_component_rich_style("message-list--flagged", partial=True)
        if selected:
            base = base + self.get_component_rich_style("message-list--cursor", partial=True)
        cells = []
        for name, cell_width in column_plan(self.columns, self.context, width):
            if name in ("folder", "place"):  # a path: its end names it, cut at the front
                account = row.account if name == "place" else ""
                text = where(cell_text(account), cell_text(row.folder), cell_width)
                cells.append(_fit(text, cell_width))
                continue
            cells.append(_fit(self._cell(row, name), cell_width))
        text = " ".join(cells)
        if tagged and len(cells) > 1:  # the mark sits in the gap after the flags
            text = cells[0] + TAG_MARK + " ".join(cells[1:])
        segments = [Segment(_fit(text, width), base)]
        return Strip(segments, width).simplify()

    def _cell(self, row: MessageRow, name: str) -> str:
        """One column's text for `row` (sanitised: the strip is never markup)."""
        if name == "flags":
            unread = not row.seen or (row.collapsed and row.thread_unread)
            return (
                ("●" if unread else " ")
                + ("★" if row.flagged else " ")
                + ("↩" if row.answered else " ")
            )
        if name == "date":
            now = self._now or datetime.now(row.date.tzinfo if row.date else None)
            return _date(row.date, now, row.arrival)
        if name == "from":
            if self.context == "sent":
                return "To: " + cell_text(_names(row.recipients) or "(nobody)")
            return cell_text(row.sender or "")
        if name == "subject":
            return _tree(row) + cell_text(row.subject or _no_subject(row))
        if name == "size":
            if row.id < 0:  # a thread's placeholder for a message that is not here
                return ""
            return ("+" if row.has_attachments else " ") + _size(row.size).rjust(5)
        if name == "account":
            return cell_text(row.account)
        return ""

    # -- cursor -----------------------------------------------------------------------

    _user_move = False

    def watch_cursor(self, old: int, new: int) -> None:
        # Cached strips are keyed on "selected", so only the two changed rows re-render.
        if self._visual is not None:
            self._tag_range()
        self._scroll_cursor_visible()
        self.refresh()
        by_user, self._user_move = self._user_move, False
        self.post_message(self.Highlighted(self.current, by_user=by_user))

    def _scroll_cursor_visible(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def move_cursor(self, index: int) -> None:
        """The user moves the cursor (keys, clicks)."""
        self._user_move = True
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

    # -- tags -------------------------------------------------------------------------

    def tagged_rows(self) -> list[MessageRow]:
        """The tagged rows, in the order they were tagged."""
        return list(self.tagged.values())

    def set_tagged(self, rows: list[MessageRow], on: bool = True) -> None:
        for row in rows:
            if row.id < 0:
                continue  # a thread's placeholder for a missing message
            if on:
                self.tagged[row.id] = row
            else:
                self.tagged.pop(row.id, None)
        self._tags_changed()

    def clear_tags(self) -> None:
        had = bool(self.tagged) or self._visual is not None
        self.tagged.clear()
        self._visual = None
        self._tag_base = {}
        if had:
            self._tags_changed()

    def _tags_changed(self) -> None:
        self.refresh()
        self.post_message(self.TagsChanged())

    def action_toggle_tag(self) -> None:
        """Tag or untag the row under the cursor and go to the next one."""
        row = self.current
        if row is None:
            return
        self.set_tagged([row], row.id not in self.tagged)
        self.action_cursor_down()

    @property
    def selecting(self) -> bool:
        return self._visual is not None

    def action_visual(self) -> None:
        """Start selecting a range from the cursor (every row the cursor passes over to
        the anchor is tagged); v again ends it, keeping the tags."""
        if self._visual is not None:
            self._visual = None
            self._tags_changed()
            return
        self._visual = self.cursor
        self._tag_base = dict(self.tagged)
        self._tag_range()

    def _tag_range(self) -> None:
        assert self._visual is not None
        low, high = sorted((self._visual, self.cursor))
        tagged = dict(self._tag_base)
        for index in range(low, high + 1):
            row = self.row_at(index)
            if row is not None and row.id >= 0:
                tagged[row.id] = row
        self.tagged = tagged
        self._tags_changed()
