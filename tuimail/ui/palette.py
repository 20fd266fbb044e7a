"""Command palette entries for folders: "Open folder Sent", a few letters away.

Textual's own system-commands provider parses every title as content markup, and a
folder's name comes from the server (`[ALERT]`, `[$accent]x` or `[/]` would vanish or
break). This provider gives the palette the titles as Rich `Text`, which it shows
literally; the names are sanitised as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tuimail.ui.plain import plain_text

HELP = "Show this folder's messages"


class FolderCommands(Provider):
    """One "Open folder NAME" command per folder (from the main screen only)."""

    def _commands(self) -> list[tuple[Text, Callable[[], Any]]]:
        app: Any = self.app
        main = getattr(app, "main", None)
        if main is None or self.screen is not main:
            return []
        commands = []
        for title, callback in app.folder_commands():
            commands.append((plain_text(title), callback))
        return commands

    async def discover(self) -> Hits:
        for title, callback in self._commands():
            yield DiscoveryHit(title, callback, text=title.plain, help=HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback in self._commands():
            score = matcher.match(title.plain)
            if score > 0:
                yield Hit(score, title, callback, text=title.plain, help=HELP)
