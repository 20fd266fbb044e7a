"""The setup wizard: address and password -> live detection -> settings with a security
badge -> login verified -> where the password lives -> saved.

Every field of the found settings stays editable (manual setup is the same form).
Detection and login run in thread workers; probe events arrive live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from tuimail.core.account import Account, ServerSettings
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret

SECURITY_OPTIONS = [
    ("Implicit TLS", "tls"),
    ("STARTTLS", "starttls"),
    ("Unencrypted", "plain"),
]
BADGES = {
    "tls": "✔ Encrypted: implicit TLS",
    "starttls": "✔ Encrypted: STARTTLS",
    "plain": "✘ NOT ENCRYPTED: your password and mail would be readable on the network",
}


def badge(security: str) -> str:
    return BADGES.get(security, "?")


class WizardScreen(Screen[Account | None]):
    """Dismisses with the saved Account (or None when cancelled)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="wizard.cancel"),
        Binding("ctrl+s", "save", "Save", id="wizard.save", priority=True),
    ]

    def __init__(
        self,
        detect_options: Callable[[], Any] | None = None,
        save: Callable[[Account], Any] | None = None,
    ) -> None:
        super().__init__()
        self.detect_options = detect_options
        self.save_fn = save
        self.detection: Any = None
        self.verified = False

    def compose(self) -> ComposeResult:
        from tuimail.core.secrets import keyring_available

        storage = []
        if keyring_available():
            storage.append(("System keyring", "keyring"))
        storage += [("Password command", "command"), ("Ask each session", "ask")]
        with VerticalScroll(id="wizard"):
            yield Static(Text("Add a mail account", style="bold"))
            with Horizontal(classes="row"):
                yield Label("Email address")
                yield Input(compact=True, placeholder="you@example.org", id="wiz-email")
            with Horizontal(classes="row"):
                yield Label("Password")
                yield Input(compact=True, password=True, id="wiz-password")
            with Horizontal(classes="buttons"):
                yield Button(
                    compact=True, label="Find settings", id="wiz-detect", variant="primary"
                )
                yield Button(compact=True, label="Verify login", id="wiz-verify")
                # Shown once detection or the login check failed.
                yield Button(compact=True, label="Diagnose", id="wiz-diagnose", variant="warning")
            yield Static("", id="wizard-log")
            yield Static(Text("Incoming (IMAP)", style="bold"))
            with Horizontal(classes="row"):
                yield Label("Server")
                yield Input(compact=True, placeholder="imap.example.org", id="wiz-in-host")
                yield Input(compact=True, placeholder="993", id="wiz-in-port", type="integer")
                yield Select(
                    compact=True,
                    options=SECURITY_OPTIONS,
                    value="tls",
                    allow_blank=False,
                    id="wiz-in-sec",
                )
            yield Static(badge("tls"), id="wiz-in-badge", classes="badge-tls")
            yield Static(Text("Outgoing (SMTP)", style="bold"))
            with Horizontal(classes="row"):
                yield Label("Server")
                yield Input(compact=True, placeholder="smtp.example.org", id="wiz-out-host")
                yield Input(compact=True, placeholder="587", id="wiz-out-port", type="integer")
                yield Select(
                    compact=True,
                    options=SECURITY_OPTIONS,
                    value="starttls",
                    allow_blank=False,
                    id="wiz-out-sec",
                )
            yield Static(badge("starttls"), id="wiz-out-badge", classes="badge-starttls")
            with Horizontal(classes="row"):
                yield Label("Account name")
                yield Input(compact=True, id="wiz-name", placeholder="e.g. work")
            with Horizontal(classes="row"):
                yield Label("Password kept")
                yield Select(
                    compact=True,
                    options=storage,
                    value=storage[0][1],
                    allow_blank=False,
                    id="wiz-storage",
                )
            with Horizontal(classes="row"):
                yield Label("Command")
                yield Input(compact=True, placeholder="e.g. pass show mail/work", id="wiz-command")
            with Horizontal(classes="buttons"):
                yield Button(compact=True, label="Save account", id="wiz-save", variant="success")
                yield Button(compact=True, label="Cancel", id="wiz-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Setup"
        self.query_one("#wiz-diagnose", Button).display = False
        self.query_one("#wiz-email", Input).focus()

    # -- helpers ----------------------------------------------------------------------

    def log_line(self, text: str) -> None:
        log = self.query_one("#wizard-log", Static)
        current = log.content if isinstance(log.content, Text) else Text(str(log.content))
        current = current.copy()
        if current.plain:
            current.append("\n")
        current.append(sanitize(text))
        log.update(current)

    def value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def security(self, wid: str) -> str:
        return str(self.query_one(f"#{wid}", Select).value)

    @on(Select.Changed, "#wiz-in-sec")
    @on(Select.Changed, "#wiz-out-sec")
    def _badge(self, event: Select.Changed) -> None:
        which = "in" if event.select.id == "wiz-in-sec" else "out"
        target = self.query_one(f"#wiz-{which}-badge", Static)
        target.update(badge(str(event.value)))
        for sec in ("tls", "starttls", "plain"):
            target.set_class(sec == event.value, f"badge-{sec}")

    def account(self) -> Account:
        email = self.value("wiz-email")
        if "@" not in email:
            raise ValueError("Enter your whole email address, like you@example.org.")
        name = self.value("wiz-name") or email.split("@", 1)[1].split(".")[0] or "mail"
        try:
            in_port = int(self.value("wiz-in-port"))
            out_port = int(self.value("wiz-out-port"))
        except ValueError:
            raise ValueError("Enter the port numbers of both servers.") from None
        if not self.value("wiz-in-host") or not self.value("wiz-out-host"):
            raise ValueError("Enter both server names, or press Find settings.")
        ca_file = getattr(self.detection_options_obj(), "ca_file", None)
        command = self.value("wiz-command") if self.security_storage() == "command" else None
        return Account(
            name=name,
            email=email,
            incoming=ServerSettings(
                self.value("wiz-in-host"), in_port, self.security("wiz-in-sec")
            ),
            outgoing=ServerSettings(
                self.value("wiz-out-host"), out_port, self.security("wiz-out-sec")
            ),
            password_command=command or None,
            ca_file=ca_file,
        )

    def security_storage(self) -> str:
        return str(self.query_one("#wiz-storage", Select).value)

    def detection_options_obj(self):
        from tuimail.core.discovery.detect import DetectOptions

        return self.detect_options() if self.detect_options else DetectOptions()

    # -- detection --------------------------------------------------------------------

    @on(Button.Pressed, "#wiz-detect")
    def action_detect(self) -> None:
        email = self.value("wiz-email")
        if "@" not in email:
            self.log_line("Enter your whole email address, like you@example.org.")
            return
        password = self.query_one("#wiz-password", Input).value
        options = self.detection_options_obj()
        if password:
            options.password = Secret(password)
        self.query_one("#wizard-log", Static).update("")
        self.log_line(f"Looking for the mail servers of {email} …")
        app = self.app

        def progress(event) -> None:
            mark = "✓" if event.ok else "✗"
            app.hop(self.log_line, f"{mark} {event.stage}: {event.target} — {event.detail}")

        def job():
            from tuimail.core.discovery.detect import detect

            return detect(email, options, progress)

        def done(result) -> None:
            self.detection = result
            self.show_detection(result)

        self.app.work(job, "detect", done)

    def show_detection(self, result) -> None:
        if not result.found:
            self.log_line(result.error or "No mail servers were found. Enter them below.")
            self.offer_diagnose()
            return
        for prefix, probe in (("in", result.incoming), ("out", result.outgoing)):
            c = probe.candidate
            self.query_one(f"#wiz-{prefix}-host", Input).value = c.host
            self.query_one(f"#wiz-{prefix}-port", Input).value = str(c.port)
            self.query_one(f"#wiz-{prefix}-sec", Select).value = c.security
        for warning in result.warnings:
            self.log_line(f"Note: {warning}")
        for question in result.confirm:
            self.log_line(f"Please check: {question}")
        self.log_line(f"Found by {result.source}.")
        if result.logins:
            for check in result.logins:
                self.log_line(f"{'✓' if check.ok else '✗'} login ({check.role}): {check.detail}")
            self.verified = bool(result.login_ok)
            if self.verified:
                self.log_line("Login verified. Choose where the password lives, then save.")
            else:
                self.offer_diagnose()
        if not self.value("wiz-name"):
            self.query_one("#wiz-name", Input).value = result.email.split("@", 1)[1].split(".")[0]

    @on(Button.Pressed, "#wiz-verify")
    def action_verify(self) -> None:
        try:
            account = self.account()
        except ValueError as exc:
            self.log_line(str(exc))
            return
        password = Secret(self.query_one("#wiz-password", Input).value)

        def job():
            from tuimail.core.discovery.verify import verify_account

            return verify_account(account, password, timeout=10)

        def done(checks) -> None:
            for check in checks:
                self.log_line(f"{'✓' if check.ok else '✗'} login ({check.role}): {check.detail}")
            self.verified = all(c.ok for c in checks)
            if not self.verified:
                self.offer_diagnose()

        self.app.work(job, "verify", done)

    # -- diagnose ---------------------------------------------------------------------

    def offer_diagnose(self) -> None:
        self.query_one("#wiz-diagnose", Button).display = True
        self.log_line("Press Diagnose to check the servers step by step.")

    def diagnose_account(self) -> Account:
        """The account as entered; missing servers are the usual names (not saved)."""
        email = self.value("wiz-email")
        if "@" not in email:
            raise ValueError("Enter your whole email address, like you@example.org.")
        domain = email.split("@", 1)[1]
        fields = {
            "wiz-in-host": f"imap.{domain}",
            "wiz-in-port": "993",
            "wiz-out-host": f"smtp.{domain}",
            "wiz-out-port": "587",
        }
        for wid, guess in fields.items():
            widget = self.query_one(f"#{wid}", Input)
            if not widget.value.strip():
                widget.value = guess
        return self.account()

    @on(Button.Pressed, "#wiz-diagnose")
    def action_diagnose(self) -> None:
        from tuimail.ui.screens.diagnose import DiagnoseScreen

        try:
            account = self.diagnose_account()
        except ValueError as exc:
            self.log_line(str(exc))
            return
        typed = self.query_one("#wiz-password", Input).value
        options = self.detection_options_obj()
        doctor = {"timeout": options.timeout}
        if options.nameserver:
            doctor["nameserver"] = options.nameserver
        self.app.push_screen(
            DiagnoseScreen(
                account, password=lambda _a: Secret(typed) if typed else None, options=doctor
            )
        )

    # -- saving -----------------------------------------------------------------------

    @on(Button.Pressed, "#wiz-save")
    def action_save(self) -> None:
        from tuimail.core import secrets

        try:
            account = self.account()
        except ValueError as exc:
            self.log_line(str(exc))
            return
        if not self.verified:
            self.log_line("Verify the login first (Find settings or Verify login).")
            return
        storage = self.security_storage()
        password = Secret(self.query_one("#wiz-password", Input).value)
        if storage == "command" and not account.password_command:
            self.log_line("Enter the password command, or choose another place.")
            return
        if storage == "keyring" and not secrets.store_in_keyring(account, password):
            self.log_line("The keyring did not accept the password; choose another place.")
            return
        if storage == "ask":
            secrets.SESSION.put(account, password)
        try:
            if self.save_fn is not None:
                self.save_fn(account)
            else:
                from tuimail.core.config import save_account

                path = save_account(account)
                self.log_line(f"Saved to {path}.")
        except Exception as exc:
            self.log_line(f"The account was not saved: {sanitize(str(exc))}")
            return
        self.dismiss(account)

    @on(Button.Pressed, "#wiz-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
