"""Small modal dialogs: text input, confirmation, folder picker with fuzzy filter, help."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tuimail.ui.plain import plain
from tuimail.ui.screens.list_picker import ListPicker


class InputDialog(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, prompt: str, value: str = "", *, password: bool = False) -> None:
        """`prompt` is shown literally (it may hold a folder name): never markup."""
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.prompt))
            yield Input(self.value, password=self.password, id="dialog-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("y", "yes", "Yes", id="dialog.yes"),
        Binding("n,escape", "no", "No", id="dialog.no"),
    ]

    def __init__(self, question: str) -> None:
        """`question` is shown literally (it may hold a folder name): never markup."""
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.question))
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ChoiceDialog(ModalScreen[str | None]):
    """A question with a few answers, each a button with its own key; Escape is None."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str, str]]) -> None:
        """`choices`: (id, label, key) in the order shown."""
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.question))
            with Horizontal(classes="buttons"):
                for i, (choice, label, key) in enumerate(self.choices):
                    variant = "primary" if i == 0 else "default"
                    yield Button(plain(f"{label} ({key})"), id=f"choice-{choice}", variant=variant)

    _natural: list[int] | None = None  # each button's width side by side

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit_buttons)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_buttons)

    def _fit_buttons(self) -> None:
        """The buttons side by side while they fit the dialog, else one under the other:
        at 80 columns "Save draft and quit (s)  Discard and quit (d)  Keep editing (k)"
        would lose its last button past the dialog's edge."""
        row = self.query_one(".buttons", Horizontal)
        buttons = list(row.query(Button))
        if self._natural is None:
            if row.has_class("stacked") or not all(b.outer_size.width for b in buttons):
                return
            self._natural = [b.outer_size.width for b in buttons]
        row.set_class(sum(self._natural) > row.content_size.width, "stacked")

    def on_key(self, event) -> None:
        for choice, _label, key in self.choices:
            if event.key == key:
                event.stop()
                self.dismiss(choice)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


def fuzzy_match(query: str, candidate: str) -> bool:
    """Every character of the query appears in order in the candidate (case-insensitive)."""
    it = iter(candidate.lower())
    return all(ch in it for ch in query.lower())


class FolderPicker(ListPicker[str | None]):
    """Choose a folder by typing a few letters of it."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "down", show=False, id="picker.down"),
        Binding("up", "up", show=False, id="picker.up"),
    ]

    def __init__(self, title: str, folders: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.folders = folders

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(plain(self.title_text))
            yield Input(placeholder="type to filter", id="picker-filter")
            yield OptionList(*self._options(""), id="picker-list")

    def _options(self, query: str) -> list[Option]:
        return [Option(plain(f), id=f) for f in self.folders if fuzzy_match(query, f)]

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


REMAP_EXAMPLE = 'compose = "w"'


class HelpScreen(ModalScreen[None]):
    """Every key of the main screen, read from the bindings themselves (so remaps show)."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        # Scrolled like the reader and a pager (less, mutt's help): the list is longer
        # than a 24-line terminal.
        Binding("j", "scroll_help('scroll_down')", "Line down", show=False, id="help.down"),
        Binding("k", "scroll_help('scroll_up')", "Line up", show=False, id="help.up"),
        Binding("space", "scroll_help('scroll_page_down')", show=False, id="help.page_down"),
        Binding("b", "scroll_help('scroll_page_up')", show=False, id="help.page_up"),
        Binding("g", "scroll_help('scroll_home')", "Top", show=False, id="help.top"),
        Binding("G", "scroll_help('scroll_end')", "Bottom", show=False, id="help.bottom"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        # A grid, not padded strings: long key lists ("down j / up k") never run into
        # the description.
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        grid.add_column(style="dim")
        for keys, description, binding_id in self.rows:
            grid.add_row(Text(keys), Text(description), Text(binding_id))
        footer = Text()
        # The example key is one no default binding uses.
        footer.append(f"\nRemap any key in config.toml under [keys], e.g.  {REMAP_EXAMPLE}\n")
        footer.append("Ctrl+P opens the command palette with every action.\n")
        footer.append("Here: j / k, Space / b, g / G scroll; q or Esc closes.\n")
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("Keys\n", style="bold"))
            yield Static(grid)
            yield Static(footer)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_help(self, how: str) -> None:
        getattr(self.query_one(VerticalScroll), how)(animate=False)
