"""L answers the mailing list a message came through (its List-Post), and says why not
when there is no list address."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, seed, wait_for
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.main import MainScreen

LIST_MESSAGE = (
    b"From: Ana <ana@example.test>\r\nTo: dev@lists.example.test\r\n"
    b"Subject: [dev] Release\r\nDate: Mon, 02 Mar 2026 11:00:00 +0000\r\n"
    b"Message-ID: <list-1@example.test>\r\n"
    b"List-Post: <mailto:dev@lists.example.test>\r\n\r\nShall we release?\r\n"
)


async def test_L_replies_to_the_list_address(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, LIST_MESSAGE)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        assert app.screen.query_one("#compose-to").value == "dev@lists.example.test"
        assert app.screen.query_one("#compose-subject").value == "Re: [dev] Release"


async def test_L_on_a_message_from_no_list_says_so(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("L")
        await wait_for(pilot, lambda: app.last_error != "")
        assert app.last_error == (
            "No reply to the list: this message did not come through a mailing list "
            "(it has no List-Post header)."
        )
        assert isinstance(app.screen, MainScreen)
