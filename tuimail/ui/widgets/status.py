"""The status bar: per-account sync state, outbox count, the last error."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tuimail.core.sanitize import sanitize
from tuimail.core.service import AccountState
from tuimail.words.status import state as state_words
from tuimail.words.status import troubled, troubled_summary

GLYPHS = {"syncing": "⟳", "idle": "●", "polling": "○", "offline": "✕", "error": "!"}


class StatusBar(Static):
    """One line; a longer one (an error on an 80-column terminal) wraps onto up to three
    rather than losing its end, which says what happens next ("retrying in 8 s").
    Two or more troubled accounts are summed up in one phrase ("2 accounts offline,
    retrying") and the others shown by glyph and name, to stay on one line at 80
    columns: every account's sentence is then in the tooltip (and Diagnose)."""

    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 3; background: $panel; color: $text; padding: 0 1; }
    """

    _said: Text | None = None  # what update_status showed last
    _tip: Text | None = None  # the tooltip it set last

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
        bad = [name for name, state in states.items() if troubled(state)]
        summed = len(bad) >= 2
        if summed:
            glyph = GLYPHS["offline" if all(states[n].state == "offline" for n in bad) else "error"]
            text.append(f"{glyph} {troubled_summary([states[n] for n in bad])}")
            text.append("  ")
        details = Text()
        for name, state in states.items():
            line = Text(f"{GLYPHS.get(state.state, '?')} {sanitize(name)}: ")
            line.append(state_words(state))  # sanitised, plain text
            details.append_text(line)
            details.append("\n")
            if not summed:
                text.append_text(line)
                text.append("  ")
            elif name not in bad:  # its glyph and name: the words are in the tooltip
                text.append(f"{GLYPHS.get(state.state, '?')} {sanitize(name)}  ")
        text.append(f"Outbox: {outbox}")
        if error:
            text.append("  ")
            text.append(sanitize(error), style="bold red")
        details.rstrip()
        tip = details if summed else None
        if tip != self._tip:
            # Each troubled account's own sentence, as plain text (never markup).
            self._tip = tip
            self.tooltip = tip
        if text == self._said:
            return  # the same words: no repaint, and no layout of the screen (~10 ms)
        self._said = text
        self.update(text)
