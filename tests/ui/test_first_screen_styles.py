"""The main screen, just pushed, is styled once: each widget as it is mounted. Textual
restyled the whole screen again when it was first shown (~10 ms of the first paint's
CPU, issue 19); a screen shown again later is restyled as Textual decides."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import make_app, ready, record_restyles, wait_for
from tuimail.ui.screens.dialogs import HelpScreen
from tuimail.ui.screens.main import MainScreen


async def test_the_main_screen_is_not_restyled_whole_when_first_shown(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    restyled = record_restyles(app)
    async with app.run_test(size=(160, 50)) as pilot:  # wide: no layout class to set
        await ready(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen not in restyled


async def test_the_other_screens_rules_are_read_after_the_first_paint(mail_server):
    """Only the main screen's rules are parsed for the first paint (all of them cost ~10
    ms); the other screens' are read once the user is idle, and apply to them."""
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    others = {"dialogs.tcss", "composer.tcss", "wizard.tcss", "diagnose.tcss"}
    at_first_list: list[set[str]] = []
    first_list = app._freeze_start_objects  # called as the first list is shown

    def shown() -> None:
        at_first_list.append(
            {name for rule in app.stylesheet.rules for name in rule.selector_names}
        )
        first_list()

    app._freeze_start_objects = shown

    def read() -> set[str]:
        return {Path(path).name for path, _name in app.stylesheet.source}

    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        assert not {"#wizard", "#composer", "#diag-keys", ".dialog"} & at_first_list[0]
        await wait_for(pilot, lambda: others <= read(), timeout=30)  # the user is idle
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        box = app.screen.query_one(".dialog.help")
        assert box.styles.max_width is not None and box.styles.max_width.value == 90


async def test_a_dialog_shown_before_then_reads_its_rules_itself(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: bool(app._shown_list) or app.synced)
        app._other_css_read = True  # as if the user had not been idle yet
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        box = app.screen.query_one(".dialog.help")
        assert box.styles.max_width is not None and box.styles.max_width.value == 90
