"""Keys typed ahead on the main screen (fast, or arriving in one burst over SSH) act in
order: letters typed right after / belong to the search line and are never taken as
commands for the list (d delete, a archive, s flag...). (Keys after one that opens a
dialog, m or c, already go to the dialog: Textual runs a bubbled key's binding on the
screen in front.)"""

from __future__ import annotations

from textual import events

from tests.ui.helpers import make_app, ready, seed, settle, wait_for
from tuimail.core.facade.views import SEARCH
from tuimail.ui.widgets.message_list import MessageList


def _type_burst(app, text: str) -> None:
    """Queue every key at once, as one read of a terminal burst delivers them (pilot.press
    waits after each key, which hides the race)."""
    names = {"/": ("slash", "/"), "\r": ("enter", "\r")}
    for char in text:
        key, character = names.get(char, (char, char))
        app.post_message(events.Key(key, character))


def _flags(server, user) -> list[set[str]]:
    return [set(m.flags) for m in server.store.messages(user.login, "INBOX")]


async def test_a_search_typed_in_one_burst_searches_and_runs_no_command(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lst = app.main.query_one(MessageList)
        count, before = lst.count, _flags(mail_server, user)
        _type_burst(app, "/dasu\r")  # d delete, a archive, s flag, u undo: if lost
        await wait_for(pilot, lambda: app.folder == SEARCH, timeout=20)
        await settle(pilot)
        assert "dasu" in str(app.sub_title)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.folder == "INBOX")
        await settle(pilot)
        assert lst.count == count
        assert _flags(mail_server, user) == before
        assert len(mail_server.store.messages(user.login, "INBOX")) == count
