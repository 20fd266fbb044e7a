"""Help lists keys in aligned columns; its remap example is free; README lists every key."""

from __future__ import annotations

import re
from pathlib import Path

from tests.ui.helpers import make_app, ready, wait_for
from tuimail.ui.screens.dialogs import REMAP_EXAMPLE, HelpScreen
from tuimail.ui.screens.main import MAIN_BINDINGS
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane

README = Path(__file__).resolve().parents[2] / "README.md"
SHOWN = {
    "exclamation_mark": "!",
    "slash": "/",
    "question_mark": "?",
    "plus": "+",
    "vertical_line": "|",
    "minus": "-",
    "equals_sign": "=",
    "space": "Space",
}


def _default_keys() -> set[str]:
    keys = set()
    for bindings in (MAIN_BINDINGS, MessageList.BINDINGS, ReaderPane.BINDINGS):
        for binding in bindings:
            keys.update(k.strip() for k in binding.key.split(","))
    return keys


def test_the_remap_example_uses_a_key_no_default_binding_has():
    key = re.search(r'"(.+)"', REMAP_EXAMPLE).group(1)
    assert key not in _default_keys()


def test_the_readme_key_table_lists_every_main_screen_key():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Keys") :].split("\n## ")[0]
    cells = set()
    for line in table.splitlines():
        if line.startswith("|"):
            line = line.replace("\\|", "\0")  # an escaped | is the pipe key, not a column
            for cell in line.strip("|").split("|")[0::2]:  # the key columns
                cell = cell.replace("\0", "|")
                cell = cell.strip()
                cells.update([cell] if cell == "/" else re.split(r"\s*/\s*|\s+", cell))
    missing = []
    for binding in [*MAIN_BINDINGS, *MessageList.BINDINGS]:
        for key in binding.key.split(","):
            if key in ("down", "up", "pagedown", "pageup", "home", "end", "enter"):
                continue  # the movement keys are one row of the table
            shown = SHOWN.get(key, key)
            shown = {"f2": "F2", "escape": "Esc", "delete": "d"}.get(shown, shown)
            if shown.startswith("ctrl+"):
                shown = "Ctrl+" + shown.removeprefix("ctrl+").upper()
            if key == "tab":
                shown = "Tab"
            if shown not in cells:
                missing.append(key)
    assert missing == []


async def test_help_columns_do_not_run_together(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        lines = [
            "".join(segment.text for segment in app.screen._compositor.render_strips()[y])
            for y in range(50)
        ]
        row = next(line for line in lines if "Move in the list" in line)
        keys = row[: row.index("Move in the list")].rstrip()
        assert keys.endswith("k") and row[len(keys) : len(keys) + 2] == "  "
        assert any(row[1] == "Reader: a page down / up" for row in app.screen.rows)
        statics = [str(w.visual) for w in app.screen.query("Static")]
        assert any(REMAP_EXAMPLE in text for text in statics)


async def test_help_scrolls_with_pager_keys_on_a_small_terminal(mail_server):
    """At 80x24 the key list is longer than the screen: j/k, Space/b, g/G move it as in
    the reader (and less), q closes it."""
    from textual.containers import VerticalScroll

    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        box = app.screen.query_one(VerticalScroll)
        await pilot.pause()
        assert box.max_scroll_y > 0 and box.scroll_y == 0
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: box.scroll_y == 2)
        await pilot.press("k")
        await wait_for(pilot, lambda: box.scroll_y == 1)
        await pilot.press("G")
        await wait_for(pilot, lambda: box.scroll_y == box.max_scroll_y)
        await pilot.press("b")
        await wait_for(pilot, lambda: box.scroll_y < box.max_scroll_y)
        await pilot.press("g")
        await wait_for(pilot, lambda: box.scroll_y == 0)
        await pilot.press("space")
        await wait_for(pilot, lambda: box.scroll_y > 1)
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        assert app.is_running


async def test_help_names_the_readers_top_and_bottom_keys_too(mail_server):
    """Regression: "g / G Top / bottom" named only the list's bindings; the reader's
    g / G (reader.top / reader.bottom) are remapped on their own, so help shows both."""
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    app._keymap["reader.top"] = "ctrl+home"
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        rows = {row[2]: row for row in app.help_rows()}
        assert rows["list.top / list.bottom"][0] == "g / G"
        assert rows["reader.top / reader.bottom"][0] == "ctrl+home / G"
        assert rows["reader.top / reader.bottom"][1] == "Reader: top / bottom"
