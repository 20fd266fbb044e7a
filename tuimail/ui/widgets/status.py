"""The status bar: per-account sync state, outbox count, the last error."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tuimail.core.sanitize import sanitize
from tuimail.core.service import AccountState
from tuimail.words.status import state as state_words

GLYPHS = {"syncing": "⟳", "idle": "●", "polling": "○", "offline": "✕", "error": "!"}


class StatusBar(Static):
    """One line; a longer one (an error on an 80-column terminal) wraps onto up to three
    rather than losing its end, which says what happens next ("retrying in 8 s")."""

    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 3; background: $panel; color: $text; padding: 0 1; }
    """

    _said: Text | None = None  # what update_status showed last

    def update_status(
        self,
        states: dict[str, AccountState],
        outbox: int,
        error: str = "",
        diagnose_key: str = "",
    ) -> None:
        text = Text()
        if diagnose_key and any(s.state in ("error", "offline") for s in states.values()):
            # First, so a long error on a narrow terminal cannot push it out of sight.
            text.append(f"press {diagnose_key} to diagnose", style="bold reverse")
            text.append("  ")
        for name, state in states.items():
            text.append(f"{GLYPHS.get(state.state, '?')} {sanitize(name)}: ")
            text.append(state_words(state))  # sanitised, plain text
            text.append("  ")
        text.append(f"Outbox: {outbox}")
        if error:
            text.append("  ")
            text.append(sanitize(error), style="bold red")
        if text == self._said:
            return  # the same words: no repaint, and no layout of the screen (~10 ms)
        self._said = text
        self.update(text)
