"""The one-list dialogs share their down/up keys (tuimail.ui.screens.list_picker): the
folder picker's arrows move the highlight while the filter line keeps the focus, and
Enter takes the highlighted folder."""

from __future__ import annotations

from textual.app import App

from tests.ui.helpers import wait_for
from tuimail.ui.screens.dialogs import FolderPicker


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[str | None] = []


async def test_the_folder_pickers_arrows_move_the_highlight() -> None:
    app = _Host()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(FolderPicker("Move to:", ["Archive", "Junk", "Trash"]), app.chosen.append)
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        await pilot.press("down", "down", "up", "enter")
        await wait_for(pilot, lambda: app.chosen == ["Junk"])
