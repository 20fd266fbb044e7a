"""The attachment list of the open message: Enter views one (text in the reader, a
mailcap pager's output there too, a needsterminal program with the app suspended, a
graphical viewer when there is a display), s saves it in ~/Downloads, o opens it with the
desktop's viewer; when the message has both a plain and an HTML version, the last entry
shows the HTML one as text. Names and types come from the message: shown as plain text.
As mutt's attachment menu: j / k move, and the list stays open after s and o (several
attachments are saved one after the other); Enter and Esc close it.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuimail.core.service import ReaderAttachment
from tuimail.ui.plain import plain, plain_text
from tuimail.ui.screens.list_picker import ListPicker

HTML = -1  # the option that stands for "the HTML version as text"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


class AttachmentList(ListPicker[tuple[str, int] | None]):
    """Dismissed with ("view", attachment index), or None. s and o call `act` with
    ("save" | "open", attachment index) and keep the list open."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [
        Binding("escape,q", "cancel", "Close", id="attachments.close"),
        Binding("s", "save", "Save", id="attachments.save"),
        Binding("o", "open", "Open with viewer", id="attachments.open"),
        Binding("j", "down", "Down", show=False, id="attachments.down"),
        Binding("k", "up", "Up", show=False, id="attachments.up"),
    ]

    def __init__(
        self,
        attachments: list[ReaderAttachment],
        has_html: bool = False,
        act: Callable[[str, int], None] | None = None,
    ) -> None:
        super().__init__()
        self.attachments = attachments
        self.has_html = has_html
        self.act = act

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker attachments"):
            yield Label(plain("Attachments — Enter views, s saves, o opens, Esc closes"))
            options = [
                Option(
                    plain_text(
                        f"{n}  {a.filename or '(no name)'}  {a.content_type}  {_size(a.size)}"
                    ),
                    id=str(a.index),
                )
                for n, a in enumerate(self.attachments, 1)
            ]
            if self.has_html:
                options.append(Option(plain_text("H  the HTML version, as text"), id=str(HTML)))
            yield OptionList(*options, id="attachments-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0
        options.focus()

    def _current(self) -> int | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return int(options.get_option_at_index(options.highlighted).id or 0)

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit():
            number = int(event.character)
            if 1 <= number <= len(self.attachments):
                event.stop()
                self.query_one(OptionList).highlighted = number - 1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("view", int(event.option.id or 0)))

    def action_save(self) -> None:
        self._act("save")

    def action_open(self) -> None:
        self._act("open")

    def _act(self, what: str) -> None:
        index = self._current()
        if index is None or index == HTML:
            return
        if self.act is None:
            self.dismiss((what, index))
        else:
            self.act(what, index)

    def action_cancel(self) -> None:
        self.dismiss(None)
