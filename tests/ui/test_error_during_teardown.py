"""A failure reported while the main screen is being taken down (quitting, a bench or
a test ending while a read worker still fails) is said, never a crash: the status bar
may already be gone (seen: NoMatches for StatusBar in show_error)."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, seed
from tuimail.ui.widgets.status import StatusBar


async def test_an_error_after_the_status_bar_is_gone_is_no_crash(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    async with app.run_test(size=(90, 30)) as pilot:
        await ready(pilot)
        await app.main.query_one(StatusBar).remove()
        app.show_error("the connection to the mail server was refused")
        await pilot.pause()
        assert app.last_error == "the connection to the mail server was refused"
        assert app.return_code in (None, 0)
