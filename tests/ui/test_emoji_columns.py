"""Emoji in the message list never shift its columns: terminals disagree on the width of
emoji sequences (tmux 3.3 draws ❤️ in one cell and 👍🏽 in four where Rich counts two
and two), so a row is drawn only with characters whose width everyone agrees on."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import get_character_cell_size
from textual.app import App

from tuimail.core.service import ListSource, MessageRow
from tuimail.ui.widgets.message_list import MessageList

SUBJECTS = [
    "love ❤️ it",
    "thumbs 👍🏽 up",
    "family 👩‍👩‍👧‍👦 dinner",
    "coder 👩‍💻 at work",
    "Scotland 🏴󠁧󠁢󠁳󠁣󠁴󠁿 flag",
    "plain ascii",
]


class ListOnly(App[None]):
    def compose(self):
        yield MessageList(id="messages", now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


def _per_character_width(text: str) -> int:
    """The width a terminal without grapheme clusters gives (one character at a time)."""
    return sum(get_character_cell_size(c) for c in text)


async def test_rows_with_emoji_sequences_are_as_wide_for_every_terminal():
    app = ListOnly()
    async with app.run_test(size=(80, 12)) as pilot:
        rows = [
            MessageRow(n, "acct", "INBOX", n, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), s, s)
            for n, s in enumerate(SUBJECTS, 1)
        ]
        lst = app.query_one(MessageList)
        lst.set_source(ListSource(rows))
        await pilot.pause()
        for y in range(len(SUBJECTS)):
            strip = lst.render_line(y)
            text = "".join(segment.text for segment in strip)
            assert _per_character_width(text) == strip.cell_length, text
        first = "".join(segment.text for segment in lst.render_line(0))
        assert "love ❤ it" in first  # the heart stays, only its variation selector goes
