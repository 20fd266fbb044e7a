"""The theme picked the way a person picks it (Ctrl+P, Theme, a name, Enter) is written
to the config as `theme = "..."`, the rest of the file kept."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from tests.ui.helpers import account_for, make_app, ready, wait_for
from tuimail.cli.app import _theme_saver
from tuimail.core.config import load_config, save_account


async def _pick(pilot, text: str) -> None:
    """In the open palette: type `text`, highlight the hit reading exactly it, Enter."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*text)
    commands = app.screen.query_one(CommandList)

    def index() -> int | None:
        for i in range(commands.option_count):
            if str(commands.get_option_at_index(i).hit.text) == text:
                return i
        return None

    await wait_for(pilot, lambda: index() is not None)
    commands.highlighted = index()
    await pilot.press("enter")


async def test_the_theme_chosen_in_the_palette_is_saved(mail_server, tmp_path):
    user = mail_server.new_user()
    path = tmp_path / "config.toml"
    save_account(account_for(mail_server, user), path)
    app = make_app(mail_server, user)
    app._save_theme = _theme_saver(path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await _pick(pilot, "Theme")
        await pilot.pause()
        await _pick(pilot, "nord")
        await wait_for(pilot, lambda: load_config(path).settings.get("theme") == "nord", 20)
        assert app.theme == "nord"
    assert "test" in load_config(path).accounts
