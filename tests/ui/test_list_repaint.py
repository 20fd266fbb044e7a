"""The message list keeps its painted rows across reloads (found by what they show, issue
19) but never shows a stale one: after a theme change every row is painted in the new
theme's colours, and the rows not under the cursor look the same focused or not."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, seed, settle
from tuimail.ui.widgets.message_list import MessageList


def _painted(lst: MessageList, y: int) -> list[tuple[str, object]]:
    return [(segment.text, segment.style) for segment in lst.render_line(y)]


async def test_rows_follow_a_theme_change_and_keep_their_look_through_a_reload(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        lst = app.main.query_one(MessageList)
        assert lst.count == 3 and lst.cursor == 0
        before = _painted(lst, 1)
        lst.reload(keep_cursor=True)
        await settle(pilot)
        assert _painted(lst, 1) == before  # the same row, the same look
        app.theme = "nord" if app.theme != "nord" else "gruvbox"
        await settle(pilot)
        after = _painted(lst, 1)
        assert [text for text, _ in after] == [text for text, _ in before]
        assert [style for _, style in after] != [style for _, style in before]
