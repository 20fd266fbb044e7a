"""The status bar: per-account sync state, outbox count, the last error."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widgets import Static

from tuimail.core.sanitize import sanitize
from tuimail.core.service import AccountState
from tuimail.words.status import brief as brief_words
from tuimail.words.status import starting, troubled, troubled_summary
from tuimail.words.status import state as state_words

GLYPHS = {"syncing": "⟳", "idle": "●", "polling": "○", "offline": "✕", "error": "!"}


class StatusBar(Static):
    """One line at 80 columns. A troubled account's sentence too long for the line is
    said in a few words there ("! work: login refused", "✕ work: offline — retrying in
    8 s"); two or more troubled accounts are summed up in one phrase ("2 accounts
    offline, retrying") and the others shown by glyph and name, as healthy accounts are
    when their sentences do not fit ("● work  ● home  ○ pop  Outbox: 0"). Every account's whole
    sentence is then in the tooltip (and Diagnose); `shortened` names the accounts said
    briefly, with their sentence (without the countdown), for the app to say once. The
    last error is cut to the room left ("Move was not applied on the server: the…"),
    whole in the tooltip; `error_cut` is then that sentence, for the app to say once (with
    no room for a few words of it, the line goes without it). A line still too long (a
    very narrow terminal) wraps onto up to three rather than losing its end."""

    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 3; background: $panel; color: $text; padding: 0 1; }
    """

    _said: Text | None = None  # what update_status showed last
    _tip: Text | None = None  # the tooltip it set last
    _last: tuple | None = None  # update_status's arguments, to lay them out again on resize
    shortened: dict[str, str] = {}  # account -> its sentence, said briefly in the bar
    error_cut: str = ""  # the last error, when the bar shows only its beginning
    _outbox_at: tuple[int, int] = (0, 0)  # the cells of the outbox count in the line
    _built_outbox_at: tuple[int, int] = (0, 0)  # those of the line _line built last

    def on_click(self, event) -> None:
        """A click on the outbox count opens the outbox view (on a line wrapped for a
        narrow terminal, a click anywhere on the bar)."""
        start, end = self._outbox_at
        x = event.x - 1  # the padding
        one_line = self.size.height <= 1
        if end and (not one_line or (event.y == 0 and start <= x < end)):
            event.stop()
            self.app.action_open_outbox()  # type: ignore[attr-defined]

    def on_resize(self) -> None:
        if self._last is not None:
            self.update_status(*self._last)

    def update_status(
        self,
        states: dict[str, AccountState],
        outbox: int,
        error: str = "",
        diagnose_key: str = "",
        held: int = 0,
    ) -> None:
        self._last = (states, outbox, error, diagnose_key, held)
        bad = [name for name, state in states.items() if troubled(state)]
        summed = len(bad) >= 2
        text = self._line(states, outbox, error, diagnose_key, bad, brief=False, held=held)
        outbox_at = self._built_outbox_at
        width = self.content_size.width or self.app.size.width - 2
        shortened = {}
        if bad and not summed and text.cell_len > width:
            text = self._line(states, outbox, error, diagnose_key, bad, brief=True, held=held)
            outbox_at = self._built_outbox_at
            shortened = {name: state_words(states[name], countdown=False) for name in bad}
        compact = False

        def line(error_words: str) -> Text:
            """The bar with `error_words`, as brief and compact as decided so far."""
            return self._line(
                states,
                outbox,
                error_words,
                diagnose_key,
                bad,
                brief=bool(shortened),
                held=held,
                compact=compact,
            )

        if len(states) > 1 and text.cell_len > width:
            # Still too long (three accounts at 80 columns): the healthy ones by glyph
            # and name, as beside a summed-up phrase; their words are in the tooltip.
            compact = True
            text = line(error)
            outbox_at = self._built_outbox_at
        error_cut = ""
        if error and text.cell_len > width:
            words = sanitize(error)
            rest = line("")
            room = width - rest.cell_len - 2
            if room < 8 and rest.cell_len <= width:
                # A word or two would say nothing, and the whole error would wrap the
                # bar onto three lines: the line goes without it (the tooltip and a
                # note say it whole).
                error_cut = error
                text = rest.copy()  # (a Text: the plain-text scan follows copy())
                outbox_at = self._built_outbox_at
            elif room >= 8:  # else (a very narrow terminal) the line wraps
                error_cut = error
                text = line(_fit(words, room))
                outbox_at = self._built_outbox_at
        self.shortened = shortened
        self.error_cut = error_cut
        details = Text()
        for name, state in states.items():
            details.append(f"{_glyph(state)} {sanitize(name)}: ")
            details.append(state_words(state))  # sanitised, plain text
            details.append("\n")
        if error_cut:
            details.append(sanitize(error_cut), style="bold red")  # plain text, whole
        details.rstrip()
        tip = details if summed or shortened or compact or error_cut else None
        if tip != self._tip:
            # Each troubled account's own sentence, as plain text (never markup).
            self._tip = tip
            self.tooltip = tip
        self._outbox_at = outbox_at
        if text == self._said:
            return  # the same words: no repaint, and no layout of the screen (~10 ms)
        self._said = text
        self.update(text)

    def _line(
        self,
        states: dict[str, AccountState],
        outbox: int,
        error: str,
        diagnose_key: str,
        bad: list[str],
        brief: bool,
        held: int = 0,
        compact: bool = False,
    ) -> Text:
        """The bar's words: each account's state (troubled ones `brief`ly, healthy ones
        by glyph and name only when `compact`), or two or more troubled ones summed up;
        the outbox; the last error. With the cells (start,
        end) of the outbox count, recorded as it is written (a server's words before it
        may say "Outbox: " too), kept in `_built_outbox_at`."""
        text = Text()
        if diagnose_key and any(
            s.state in ("error", "offline") and not starting(s) for s in states.values()
        ):
            # First, so a long error on a narrow terminal cannot push it out of sight.
            text.append(f"press {diagnose_key} to diagnose", style="bold reverse")
            text.append("  ")
        summed = len(bad) >= 2
        if summed:
            glyph = GLYPHS["offline" if all(states[n].state == "offline" for n in bad) else "error"]
            text.append(f"{glyph} {troubled_summary([states[n] for n in bad])}")
            text.append("  ")
        for name, state in states.items():
            glyph = _glyph(state)
            if name not in bad and (summed or compact):
                text.append(f"{glyph} {sanitize(name)}  ")  # the words: in the tooltip
            elif not summed:
                words = brief_words(state) if brief and name in bad else state_words(state)
                text.append(f"{glyph} {sanitize(name)}: ")
                text.append(words)  # sanitised, plain text
                text.append("  ")
        start = text.cell_len
        text.append(outbox_words(outbox, held))
        self._built_outbox_at = (start, text.cell_len)
        if error:
            text.append("  ")
            text.append(sanitize(error), style="bold red")
        return text


def _glyph(state: AccountState) -> str:
    """An account's glyph; one not tried yet (the first frames) shows as about to sync."""
    return GLYPHS["syncing"] if starting(state) else GLYPHS.get(state.state, "?")


def _fit(words: str, cells: int) -> str:
    """`words` in at most `cells` cells: whole words up to the room, then "…"."""
    if cell_len(words) <= cells:
        return words
    kept = ""
    for word in words.split(" "):
        longer = f"{kept} {word}" if kept else word
        if cell_len(longer) + 1 > cells:
            break
        kept = longer
    if not kept:  # one long word (a path, an address): cut inside it
        kept = set_cell_size(words, cells - 1)
    return kept.rstrip(" ,:;—-") + "…"


def outbox_words(outbox: int, held: int) -> str:
    """The outbox in the bar: "Outbox: 2" when all are sent by themselves; with messages
    held for the user (refused for good, may have been sent) "Outbox: 1 waiting, 1 needs
    you" or "Outbox: 2 need you"."""
    held = min(held, outbox)
    if not held:
        return f"Outbox: {outbox}"
    need = "needs" if held == 1 else "need"
    if held == outbox:
        return f"Outbox: {held} {need} you"
    return f"Outbox: {outbox - held} waiting, {held} {need} you"
