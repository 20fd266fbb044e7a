"""The URL picker: every link of the open message, numbered. Enter opens the highlighted
one (a browser; a mailto: link opens tuimail's composer; over SSH, where nothing local
can open it, Enter copies it), c copies it to the terminal's clipboard (OSC 52), a number
jumps to that link. Each link is shown whole (folded onto the next line when long, never
cut); whatever is done, is done with the whole link.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuimail.ui.plain import plain, plain_text
from tuimail.ui.screens.list_picker import ListPicker


class LinkPicker(ListPicker[tuple[str, str] | None]):
    """Dismissed with ("open" or "copy", link), or None."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [
        Binding("escape,q", "cancel", "Close", id="links.close"),
        Binding("c", "copy", "Copy (OSC 52)", id="links.copy"),
        Binding("o", "open", "Open", id="links.open"),
        Binding("j", "down", "Down", show=False, id="links.down"),
        Binding("k", "up", "Up", show=False, id="links.up"),
    ]

    def __init__(self, links: list[str], remote: bool = False) -> None:
        super().__init__()
        self.links = links
        self.remote = remote
        self._typed = ""

    def compose(self) -> ComposeResult:
        enter = "Enter copies (SSH)" if self.remote else "Enter opens"
        with Vertical(classes="dialog picker links"):
            yield Label(plain(f"Links — {enter}, c copies, a number jumps"))
            width = len(str(len(self.links)))
            yield OptionList(
                *[
                    Option(plain_text(f"{n:>{width}}  {link}"), id=str(n - 1))
                    for n, link in enumerate(self.links, 1)
                ],
                id="links-list",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def _current(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return self.links[options.highlighted]

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit():
            event.stop()
            typed = self._typed + event.character
            if not 1 <= int(typed) <= len(self.links):
                typed = event.character
            if 1 <= int(typed) <= len(self.links):
                self.query_one(OptionList).highlighted = int(typed) - 1
            self._typed = typed if int(typed) * 10 <= len(self.links) else ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        link = self.links[int(event.option.id or 0)]
        self.dismiss(("copy" if self.remote else "open", link))

    def action_open(self) -> None:
        link = self._current()
        if link is not None:
            self.dismiss(("open", link))

    def action_copy(self) -> None:
        link = self._current()
        if link is not None:
            self.dismiss(("copy", link))

    def action_cancel(self) -> None:
        self.dismiss(None)
