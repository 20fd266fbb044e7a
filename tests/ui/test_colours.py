"""16 colours (issue 8, "SSH and terminals"): the app stays legible on a 16-colour terminal.

Textual reads TEXTUAL_COLOR_SYSTEM when it is imported (textual.constants.COLOR_SYSTEM)
and gives the app a console with that colour system; when it writes to the terminal every
colour is downgraded to the nearest of the 16 standard ones (rich Color.downgrade). These
tests render the screen's lines, downgrade each segment's colours exactly that way, and
check that the cursor, unread marks and the status bar survive: no visible character in
a colour equal to its background, the cursor row distinct from its neighbours.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
import textual.constants
from rich.color import Color, ColorSystem

from tests.ui.helpers import make_app, seed, settle, wait_for
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.status import StatusBar

# Line and block characters drawn as decoration (borders, scrollbars, separators).
DECORATION = set("▏▎▊▔▁█▌▐│─┃━╭╮╰╯├└┌┐┘┤")


@dataclass
class Cell:
    text: str
    fg: int | None
    bg: int | None
    bold: bool
    reverse: bool


def _n(color: Color | None) -> int | None:
    return None if color is None else color.downgrade(ColorSystem.STANDARD).number


def screen_16(app) -> list[list[Cell]]:
    """Every line of the current screen as the 16-colour terminal receives it."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        cells = []
        for seg in strip:
            style = seg.style
            if style is None:
                continue
            cells.append(
                Cell(
                    seg.text,
                    _n(style.color),
                    _n(style.bgcolor),
                    bool(style.bold),
                    bool(style.reverse),
                )
            )
        lines.append(cells)
    return lines


def invisible(lines: list[list[Cell]], rows: range | None = None) -> list[tuple[int, str]]:
    """Visible characters drawn in their own background colour."""
    out = []
    for y, cells in enumerate(lines):
        if rows is not None and y not in rows:
            continue
        for cell in cells:
            shown = "".join(ch for ch in cell.text if not ch.isspace() and ch not in DECORATION)
            if shown and cell.fg is not None and cell.fg == cell.bg and not cell.reverse:
                out.append((y, cell.text))
    return out


def region_cells(app, widget, y: int) -> list[Cell]:
    """The cells of screen line `y` that lie inside `widget` (its content region)."""
    region = widget.content_region
    out, x = [], 0
    for cell in screen_16(app)[y]:
        width = len(cell.text)
        if x + width > region.x and x < region.right:
            start, end = max(0, region.x - x), min(width, region.right - x)
            out.append(Cell(cell.text[start:end], cell.fg, cell.bg, cell.bold, cell.reverse))
        x += width
    return out


def backgrounds(cells: list[Cell]) -> set[int | None]:
    return {c.bg for c in cells if c.text}


def text_of(cells: list[Cell]) -> str:
    return "".join(c.text for c in cells)


@pytest.fixture
def sixteen_colours(monkeypatch):
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "standard")
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")


def test_textual_honours_the_environment_variable():
    """TEXTUAL_COLOR_SYSTEM=standard (what a user sets for a 16-colour terminal) really
    gives the app a 16-colour console; the in-process tests below rely on the same knob."""
    code = "from tuimail.ui.app import TuimailApp\nprint(TuimailApp(None).console.color_system)\n"
    env = dict(os.environ, TEXTUAL_COLOR_SYSTEM="standard")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "standard"


async def test_list_cursor_unread_and_status_survive_16_colours(mail_server, sixteen_colours):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        assert app.console.color_system == "standard"
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 6)
        # first row read (marked with !: showing it no longer marks it), second row unread,
        # cursor on the first
        await pilot.press("U")
        await wait_for(pilot, lambda: lst.row_at(0).seen)
        await pilot.pause(0.2)
        assert not lst.row_at(1).seen
        top = lst.content_region.y
        lines = screen_16(app)
        assert invisible(lines) == []

        cursor = region_cells(app, lst, top)
        unread = region_cells(app, lst, top + 1)
        # the cursor row has its own background, and its text is readable on it
        assert backgrounds(cursor) and backgrounds(cursor).isdisjoint(backgrounds(unread))
        assert all(c.fg != c.bg for c in cursor if c.text.strip())
        # unread is marked by a glyph and bold, not by colour alone
        assert text_of(unread).lstrip().startswith("●") and any(c.bold for c in unread)
        read_row = text_of(cursor)
        assert "●" not in read_row[:3]

        # the status bar: state glyph and words, readable on its background
        status = app.main.query_one(StatusBar)
        status_cells = region_cells(app, status, status.content_region.y)
        assert "● test: up to date" in text_of(status_cells)
        assert all(c.fg != c.bg for c in status_cells if c.text.strip())
        app.show_error("The server refused the message.")
        await pilot.pause(0.2)
        status_cells = region_cells(app, status, status.content_region.y)
        error = [c for c in status_cells if "refused" in c.text]
        assert error and all(c.fg != c.bg for c in error)


async def test_flagged_row_under_an_unfocused_cursor_stays_readable(mail_server, sixteen_colours):
    """Regression: a flagged message's colour ($warning) and the unfocused cursor's
    background ($accent 50%) both became bright red in 16 colours: the row went blank."""
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        await pilot.press("s")  # flag the first message
        await wait_for(pilot, lambda: lst.row_at(0) is not None and lst.row_at(0).flagged)
        await pilot.press("tab")  # focus leaves the list (to the reader)
        await pilot.pause(0.2)
        assert not lst.has_focus
        top = lst.content_region.y
        cursor = region_cells(app, lst, top)
        other = region_cells(app, lst, top + 1)
        assert "★" in text_of(cursor)
        assert invisible(screen_16(app)) == []
        assert backgrounds(cursor).isdisjoint(backgrounds(other))


async def test_folder_tree_cursor_is_visible_in_16_colours(mail_server, sixteen_colours):
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced)
        await settle(pilot)
        tree = app.main.query_one(FolderTree)
        tree.focus()
        await pilot.pause(0.2)
        tree.move_cursor(next(n for n in tree.root.children[0].children if "INBOX" in str(n.label)))
        await pilot.pause(0.2)
        line = tree.cursor_line
        assert line >= 0
        y = tree.content_region.y + line - tree.scroll_offset.y
        chosen = region_cells(app, tree, y)
        other = region_cells(app, tree, y + 1)
        assert "INBOX" in text_of(chosen)
        assert text_of(other).strip()
        assert invisible(screen_16(app)) == []
        label = [c for c in chosen if "INBOX" in c.text]
        other_label = [c for c in other if c.text.strip() and c.text.strip() not in DECORATION]
        other_label = [c for c in other_label if any(ch.isalpha() for ch in c.text)]
        assert label and other_label
        assert {c.bg for c in label}.isdisjoint({c.bg for c in other_label})
