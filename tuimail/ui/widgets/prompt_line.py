"""A one-line prompt on the main screen's bottom line (the search box, as mutt asks).

It takes the status bar's line while open, so nothing else moves: opening and closing it
lays out and paints one line. The modal box it replaces covered the screen, and closing
it repainted all of it (issue 19: 40-80 ms of the loop per search at 160x50).

Enter answers with what was typed; Esc, or the focus moving to another widget (a click),
answers None; the terminal losing the focus keeps the line open. Either way the line closes and the focus goes back where it was.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label

from tuimail.ui.plain import plain

HISTORY = 50  # answers kept per prompt (this session, in memory)


class PromptInput(Input):
    """The prompt's input: Esc cancels (the screen's Esc would go back a level); remapped
    with the dialogs' Cancel (`dialog.cancel`). Up / Down walk through what was answered
    to the same prompt before (as mutt's and aerc's prompts do)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("up", "history(-1)", "Earlier", show=False, id="prompt.history_back"),
        Binding("down", "history(1)", "Later", show=False, id="prompt.history_forward"),
    ]

    def action_cancel(self) -> None:
        line = self.parent
        if isinstance(line, PromptLine):
            line.close(None)

    def action_history(self, step: int) -> None:
        line = self.parent
        if isinstance(line, PromptLine):
            line.recall(step)


class PromptLine(Horizontal):
    DEFAULT_CSS = """
    PromptLine { height: 1; background: $panel; display: none; padding: 0 1; }
    PromptLine.-open { display: block; }
    PromptLine > Label { width: auto; color: $text; text-style: bold; padding: 0 1 0 0; }
    PromptLine > PromptInput { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._answer: Callable[[str | None], None] | None = None
        self._back_to: Widget | None = None
        self._hides: Widget | None = None
        # Answers given to each prompt this session, oldest first (at most HISTORY), and
        # where Up / Down are in them (len: the text being typed, kept in _typed).
        self._history: dict[str, list[str]] = {}
        self._prompt = ""
        self._at = 0
        self._typed = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="prompt-label")
        yield PromptInput(compact=True, id="prompt-input")

    @property
    def is_open(self) -> bool:
        return self._answer is not None

    @property
    def input(self) -> PromptInput:
        return self.query_one(PromptInput)

    def ask(
        self, prompt: str, answer: Callable[[str | None], None], hides: Widget | None = None
    ) -> None:
        """Open with `prompt` (shown literally, never markup) and an empty input; `answer`
        gets the text on Enter, None on Esc or when the focus leaves. `hides` (the status
        bar) gives up its line meanwhile."""
        if self.is_open:
            self.close(None)
        self._answer = answer
        self._back_to = self.screen.focused
        self._hides = hides
        self._prompt = prompt
        self._at = len(self._history.get(prompt, []))
        self.query_one(Label).update(plain(prompt))
        field = self.input
        field.value = ""
        if hides is not None:
            hides.display = False
        self.add_class("-open")
        # At once, not field.focus() (queued behind keys already typed): the keys typed
        # right after the one that opened the line are its text.
        self.screen.set_focus(field)

    def close(self, value: str | None) -> None:
        """Close the line and give `value` to whoever asked (once)."""
        answer, self._answer = self._answer, None
        if answer is None:
            return
        self.remove_class("-open")
        if self._hides is not None:
            self._hides.display = True
        back, self._back_to, self._hides = self._back_to, None, None
        if self.input.has_focus and back is not None and back.is_attached:
            back.focus()
        answer(value)

    def recall(self, step: int) -> None:
        """Up (-1) / Down (+1): an earlier / later answer to this prompt; past the latest,
        the text that was being typed."""
        earlier = self._history.get(self._prompt, [])
        at = min(max(self._at + step, 0), len(earlier))
        if at == self._at:
            return
        if self._at == len(earlier):
            self._typed = self.input.value
        self._at = at
        self.input.value = earlier[at] if at < len(earlier) else self._typed
        self.input.cursor_position = len(self.input.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value
        if value.strip():
            earlier = self._history.setdefault(self._prompt, [])
            if value in earlier:
                earlier.remove(value)  # once, as the latest
            earlier.append(value)
            del earlier[:-HISTORY]
        self.close(value)

    def on_descendant_blur(self, _event) -> None:
        # The focus went elsewhere (Tab, a click on the list, a dialog): no answer.
        self.call_after_refresh(self._blurred)

    def _blurred(self) -> None:
        if not self.is_open or self.input.has_focus:
            return
        if self.screen.focused is None:
            return  # the terminal lost the focus: the query waits (the focus comes back)
        self.close(None)
