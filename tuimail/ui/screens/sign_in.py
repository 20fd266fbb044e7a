"""The app's OAuth 2.0 sign-in: shown when an auth = "oauth2" account has no usable sign-in
(never signed in here, or the provider revoked it). The device sign-in's address and code
as plain text; Escape or Cancel stops waiting. Queued work stays queued meanwhile."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tuimail.ui.plain import plain


class SignInDialog(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="signin.cancel")]

    def __init__(self, account: str, uri: str, code: str) -> None:
        super().__init__()
        self.account, self.uri, self.code = account, uri, code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(f"Sign in to {self.account}", style="bold"))
            yield Label(plain(f"Open {self.uri} on any device (a phone works) and enter:"))
            yield Label(plain(self.code, style="bold"), id="signin-code")
            yield Label(plain("Waiting for you to approve … (queued work is kept)"))
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="signin-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
