"""The main screen, just pushed, is styled once: each widget as it is mounted. Textual
restyled the whole screen again when it was first shown (~10 ms of the first paint's
CPU, issue 19); a screen shown again later is restyled as Textual decides."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, record_restyles
from tuimail.ui.screens.main import MainScreen


async def test_the_main_screen_is_not_restyled_whole_when_first_shown(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    restyled = record_restyles(app)
    async with app.run_test(size=(160, 50)) as pilot:  # wide: no layout class to set
        await ready(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen not in restyled
