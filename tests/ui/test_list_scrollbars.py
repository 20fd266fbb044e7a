"""A message list longer than its pane has a vertical scrollbar and no horizontal one:
rows are cut to the pane's width, so there is nothing to scroll sideways, and at 80x24
every line of the screen counts."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App

from tuimail.core.service import ListSource, MessageRow
from tuimail.ui.widgets.message_list import MessageList

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class ListOnly(App[None]):
    def compose(self):
        yield MessageList(id="messages", now=NOW)


async def test_a_long_list_has_no_horizontal_scrollbar_beside_its_vertical_one():
    """Regression: the list's virtual width was its outer width, two columns more than
    the room left beside the vertical scrollbar, so a folder of more messages than rows
    showed a useless horizontal scrollbar over its last row."""
    app = ListOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        rows = [
            MessageRow(n, "acct", "INBOX", n, NOW, f"Sender {n}", f"Subject {n}")
            for n in range(1, 81)
        ]
        lst = app.query_one(MessageList)
        lst.set_source(ListSource(rows))
        await pilot.pause()
        assert lst.show_vertical_scrollbar
        assert not lst.show_horizontal_scrollbar
        assert lst.scrollable_content_region.height == 24
