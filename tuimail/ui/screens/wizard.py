"""The setup wizard: address and password -> live detection -> settings with a security
badge -> (consent, when a server needs it) -> login verified -> where the password lives
-> saved.

Consent before credentials: when detection chose a server outside the address's domain
(SRV, MX provider), an unencrypted one or a weaker one than offered, a yes/no step lists
those servers and why; nothing is logged in to them (detection, Verify login, Diagnose)
until the user answered yes.

Every field of the found settings stays editable (manual setup is the same form).
Detection and login run in thread workers; probe events arrive live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Collapsible, Footer, Input, Label, Select, Static

from tuimail import detect_words
from tuimail.core.account import DEFAULT_PORTS, Account, ServerSettings
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret
from tuimail.words.failures import failure_words

PROTOCOL_OPTIONS = [("IMAP", "imap"), ("POP3", "pop3")]
PLAIN_CONFIRM = "I understand my password will be sent unencrypted"
TRUST_WARNING = (
    "tuimail cannot check who this server is; trust it only if the fingerprint matches "
    "what your provider or admin gave you."
)
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


def _unknown_issuer(failure: Any) -> bool:
    """A probe's typed failure: the certificate's issuer is unknown (verify code 20)."""
    from tuimail.core.discovery.probe import UNKNOWN_ISSUER

    data = getattr(failure, "data", None) or {}
    return getattr(failure, "reason", None) == "untrusted" and (
        data.get("verify_code") == UNKNOWN_ISSUER
    )


def add_unknown_issuer_pins(result: Any, options: Any) -> None:
    """Detection pins self-signed servers only; for a role it could not fill, also read
    the key of the best server whose certificate has an unknown issuer (worker thread)."""
    from tuimail.core.discovery.pin import fetch_pin

    rank = {"tls": 0, "starttls": 1}
    for role in ("incoming", "outgoing"):
        probes = [p for p in result.probes if p.candidate.role == role]
        if getattr(result, role) is not None or any(p.pin for p in probes):
            continue
        unknown = [p for p in probes if not p.ok and _unknown_issuer(p.failure)]
        if not unknown:
            continue
        best = min(unknown, key=lambda p: (rank.get(p.candidate.security, 2), p.candidate.order))
        c = best.candidate
        best.pin = fetch_pin(
            c.host,
            c.port,
            c.security,
            c.protocol,
            timeout=options.timeout,
            ca_file=options.ca_file,
            resolver=options.resolver or _resolver(options),
        )


def _resolver(options: Any) -> Any:
    from tuimail.core.discovery.resolver import Resolver

    return Resolver(options.nameserver, options.timeout) if options.nameserver else None


class WizardScreen(Screen[Account | None]):
    """Dismisses with the saved Account (or None when cancelled)."""

    CSS_PATH = "wizard.tcss"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="wizard.cancel"),
        Binding("ctrl+s", "save", "Save", id="wizard.save", priority=True),
        # Priority: handled in typing order, so text typed right after Tab (a paste, or
        # keys arriving in one burst over SSH) lands in the next field, not the one left.
        Binding("tab", "app.focus_next", show=False, priority=True, id="wizard.next"),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True, id="wizard.previous"),
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
        # The settings the last successful verification was for (a later edit voids it).
        self.verified_key: tuple | None = None
        # Certificates the user chose to trust: role prefix -> (host, port, pin).
        self.trusted: dict[str, tuple[str, int, str]] = {}
        # Fingerprints on offer: prefix -> (protocol, host, port, security, pin).
        self.offered: dict[str, tuple[str, str, int, str, str]] = {}
        # (protocol, security) each port default was last chosen for, and the port
        # value tuimail filled in (a port the user typed is never replaced).
        self.combo = {"in": ("imap", "tls"), "out": ("smtp", "starttls")}
        self.auto_port = {"in": "", "out": ""}
        # Detected servers that need the user's yes before any login: (host, port, security).
        self.pending_consent: set[tuple[str, int, str]] = set()
        self.verify_after_consent = False
        # OAuth 2.0: the provider detection named, and the account's oauth2 table once the
        # user signed in (the account is then saved with auth = "oauth2").
        self.oauth_provider: Any = None
        self.oauth2_table: dict | None = None
        # the config's [oauth2_clients] entry when the client id field was left empty
        self.oauth2_client: dict | None = None
        self.signing_in = False

    def compose(self) -> ComposeResult:
        from tuimail.core.secrets import keyring_available

        # Without a keyring the default is asking once per session: a "Password
        # command" default would ask for a command a newcomer does not have.
        storage = [("Ask each session", "ask"), ("Password command", "command")]
        if keyring_available():
            storage.insert(0, ("System keyring", "keyring"))
        with VerticalScroll(id="wizard"):
            yield Static(Text("Add a mail account", style="bold"))
            with Horizontal(classes="row"):
                yield Label("Email address")
                yield Input(compact=True, placeholder="you@example.org", id="wiz-email")
            with Horizontal(classes="row"):
                yield Label("Your name")
                yield Input(compact=True, placeholder="as people see it in From", id="wiz-fullname")
            with Horizontal(classes="row"):
                yield Label("Password")
                yield Input(compact=True, password=True, id="wiz-password")
            with Horizontal(classes="row"):
                yield Label("Login name")
                yield Input(compact=True, placeholder="same as the email address", id="wiz-login")
            with Collapsible(title="DNS server and extra CA (optional)", id="wiz-advanced"):
                with Horizontal(classes="row"):
                    yield Label("DNS server")
                    yield Input(
                        compact=True,
                        placeholder="HOST or HOST:PORT (default: the system's)",
                        id="wiz-nameserver",
                    )
                with Horizontal(classes="row"):
                    yield Label("Extra CA file")
                    yield Input(
                        compact=True,
                        placeholder="a PEM file trusted besides the system's CAs",
                        id="wiz-ca",
                    )
            with Horizontal(classes="buttons"):
                yield Button(
                    compact=True, label="Find settings", id="wiz-detect", variant="primary"
                )
                yield Button(compact=True, label="Verify login", id="wiz-verify")
                # Shown once detection or the login check failed.
                yield Button(compact=True, label="Diagnose", id="wiz-diagnose", variant="warning")
            # Shown from its first line on: an empty box is no news for a newcomer.
            with Collapsible(
                title="What tuimail tried", id="wiz-log-box", collapsed=False, classes="hidden"
            ):
                with VerticalScroll(id="wiz-log-scroll"):
                    yield Static("", id="wizard-log")
            with Vertical(id="wiz-consent", classes="consentbox hidden"):
                yield Static("", id="wiz-consent-text")
                with Horizontal(classes="buttons"):
                    yield Button(
                        compact=True,
                        label="Yes, use these servers",
                        id="wiz-consent-yes",
                        variant="warning",
                    )
                    yield Button(compact=True, label="No", id="wiz-consent-no")
            with Vertical(id="wiz-oauth", classes="consentbox hidden"):
                yield Static("", id="wiz-oauth-text")
                with Horizontal(classes="row"):
                    yield Label("Client id")
                    yield Input(
                        compact=True,
                        placeholder="the OAuth client id you registered (docs/config.md)",
                        id="wiz-client-id",
                    )
                with Horizontal(classes="buttons"):
                    yield Button(
                        compact=True, label="Sign in", id="wiz-oauth-signin", variant="primary"
                    )
            yield Static(Text("Incoming (IMAP)", style="bold"), id="wiz-in-title")
            with Horizontal(classes="row"):
                yield Label("Protocol")
                yield Select(
                    compact=True,
                    options=PROTOCOL_OPTIONS,
                    value="imap",
                    allow_blank=False,
                    id="wiz-protocol",
                )
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
            yield Checkbox(
                "Keep mail on the server after downloading it",
                value=True,
                compact=True,
                id="wiz-leave",
                classes="hidden",
            )
            yield from self.trust_box("in")
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
            yield from self.trust_box("out")
            yield Checkbox(PLAIN_CONFIRM, compact=True, id="wiz-plain-ok", classes="hidden")
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
            # Shown only while "Password command" is the choice.
            with Horizontal(classes="row", id="wiz-command-row"):
                yield Label("Command")
                yield Input(compact=True, placeholder="e.g. pass show mail/work", id="wiz-command")
            with Horizontal(classes="buttons"):
                yield Button(compact=True, label="Save account", id="wiz-save", variant="success")
                yield Button(compact=True, label="Cancel", id="wiz-cancel")
        yield Footer()

    def trust_box(self, which: str) -> ComposeResult:
        """Hidden until a server's certificate is self-signed or from an unknown issuer."""
        with Vertical(id=f"wiz-{which}-trustbox", classes="trustbox hidden"):
            yield Static("", id=f"wiz-{which}-cert")
            yield Button(
                compact=True,
                label="Trust this certificate",
                id=f"wiz-{which}-trust",
                variant="warning",
            )

    def on_mount(self) -> None:
        self.sub_title = "Setup"
        self.query_one("#wiz-diagnose", Button).display = False
        self.show_command_row()
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
        self.query_one("#wiz-log-box").remove_class("hidden")
        self.query_one("#wiz-log-scroll", VerticalScroll).scroll_end(animate=False)

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
        self.update_port(which)
        self.update_plain_confirm()

    @on(Select.Changed, "#wiz-storage")
    def show_command_row(self) -> None:
        """The Command field belongs to the "Password command" choice only."""
        row = self.query_one("#wiz-command-row")
        row.set_class(self.security_storage() != "command", "hidden")

    @on(Select.Changed, "#wiz-protocol")
    def _protocol(self, event: Select.Changed) -> None:
        name = "POP3" if event.value == "pop3" else "IMAP"
        self.query_one("#wiz-in-title", Static).update(Text(f"Incoming ({name})", style="bold"))
        self.query_one("#wiz-leave", Checkbox).set_class(event.value != "pop3", "hidden")
        self.update_port("in")

    def protocol(self) -> str:
        return str(self.query_one("#wiz-protocol", Select).value)

    def update_port(self, which: str) -> None:
        """The default port follows protocol and security, unless the user typed a port."""
        protocol = self.protocol() if which == "in" else "smtp"
        combo = (protocol, self.security(f"wiz-{which}-sec"))
        field = self.query_one(f"#wiz-{which}-port", Input)
        default = str(DEFAULT_PORTS[combo])
        field.placeholder = default
        if combo == self.combo[which]:
            return
        self.combo[which] = combo
        if field.value.strip() and field.value.strip() == self.auto_port[which]:
            field.value = self.auto_port[which] = default

    def fill(self, which: str, protocol: str, host: str, port: int, security: str) -> None:
        """Put found settings in the form (they stay editable)."""
        self.combo[which] = (protocol, security)
        self.auto_port[which] = str(port)
        self.query_one(f"#wiz-{which}-host", Input).value = host
        self.query_one(f"#wiz-{which}-port", Input).value = str(port)
        self.query_one(f"#wiz-{which}-sec", Select).value = security
        if which == "in":
            self.query_one("#wiz-protocol", Select).value = protocol

    def plain_servers(self) -> list[str]:
        ids = (("incoming", "wiz-in-sec"), ("outgoing", "wiz-out-sec"))
        return [role for role, wid in ids if self.security(wid) == "plain"]

    def update_plain_confirm(self) -> None:
        box = self.query_one("#wiz-plain-ok", Checkbox)
        plain = bool(self.plain_servers())
        if plain and box.has_class("hidden"):
            box.value = False  # every new choice of "Unencrypted" is confirmed afresh
        box.set_class(not plain, "hidden")

    def plain_refused(self) -> bool:
        """True (and says why) while an unencrypted server is not confirmed."""
        plain = self.plain_servers()
        if plain and not self.query_one("#wiz-plain-ok", Checkbox).value:
            servers = " and ".join(plain)
            verb = "is" if len(plain) == 1 else "are"
            self.log_line(
                f"The {servers} server {verb} set to Unencrypted: tick "
                f"\u201c{PLAIN_CONFIRM}\u201d to go on, or choose Implicit TLS or STARTTLS."
            )
            return True
        return False

    def port(self, which: str) -> int:
        field = self.query_one(f"#wiz-{which}-port", Input)
        port = int(field.value.strip() or field.placeholder)
        if not 0 < port < 65536:
            raise ValueError(port)
        return port

    def pin_for(self, which: str, host: str, port: int) -> str | None:
        """A trusted pin applies to the host and port it was offered for, nothing else."""
        trusted = self.trusted.get(which)
        if trusted and trusted[0] == host and trusted[1] == port:
            return trusted[2]
        return None

    @staticmethod
    def settings_key(account: Account) -> tuple:
        return (
            account.email,
            account.login,
            account.protocol,
            astuple(account.incoming),
            astuple(account.outgoing),
        )

    def account(self) -> Account:
        email = self.value("wiz-email")
        if "@" not in email:
            raise ValueError("Enter your whole email address, like you@example.org.")
        name = self.value("wiz-name") or email.split("@", 1)[1].split(".")[0] or "mail"
        try:
            in_port, out_port = self.port("in"), self.port("out")
        except ValueError:
            raise ValueError("Enter the port numbers of both servers (1 to 65535).") from None
        in_host, out_host = self.value("wiz-in-host"), self.value("wiz-out-host")
        if not in_host or not out_host:
            raise ValueError("Enter both server names, or press Find settings.")
        problem = self.advanced_problem()
        if problem:
            raise ValueError(problem)
        options = self.detection_options_obj()
        ca_file = getattr(options, "ca_file", None)
        # The DNS server the servers were found through: the app resolves them there too
        # (a host only it knows would otherwise never connect).
        nameserver = getattr(options, "nameserver", None)
        command = self.value("wiz-command") if self.security_storage() == "command" else None
        login = self.value("wiz-login")
        return Account(
            name=name,
            email=email,
            display_name=self.value("wiz-fullname") or None,
            protocol="pop3" if self.protocol() == "pop3" else "imap",
            username=login if login and login != email else None,
            incoming=ServerSettings(
                in_host,
                in_port,
                self.security("wiz-in-sec"),
                pinned_sha256=self.pin_for("in", in_host, in_port),
            ),
            outgoing=ServerSettings(
                out_host,
                out_port,
                self.security("wiz-out-sec"),
                pinned_sha256=self.pin_for("out", out_host, out_port),
            ),
            password_command=None if self.oauth2_table else (command or None),
            ca_file=ca_file,
            leave_on_server=self.query_one("#wiz-leave", Checkbox).value,
            auth="oauth2" if self.oauth2_table else "password",
            oauth2=dict(self.oauth2_table) if self.oauth2_table else None,
            oauth2_client=self.oauth2_client if self.oauth2_table else None,
            extra={"nameserver": nameserver} if nameserver else {},
        )

    def security_storage(self) -> str:
        return str(self.query_one("#wiz-storage", Select).value)

    def detection_options_obj(self):
        """The detection options, with the DNS server and extra CA typed in the form
        (the same as `tuimail detect --nameserver/--ca-file`, without a command line)."""
        from dataclasses import replace
        from pathlib import Path

        from tuimail.core.discovery.detect import DetectOptions

        options = self.detect_options() if self.detect_options else DetectOptions()
        nameserver, ca_file = self.value("wiz-nameserver"), self.value("wiz-ca")
        if nameserver:
            options = replace(options, nameserver=nameserver, resolver=None)
        if ca_file:
            options = replace(options, ca_file=str(Path(ca_file).expanduser()))
        return options

    def advanced_problem(self) -> str | None:
        """A sentence when the DNS server or CA file typed cannot be used."""
        from pathlib import Path

        ca_file = self.value("wiz-ca")
        if ca_file and not Path(ca_file).expanduser().is_file():
            return f"The extra CA file {ca_file} does not exist."
        nameserver = self.value("wiz-nameserver")
        if nameserver:
            host, _, port = (
                nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
            )
            if not host or (port and not (port.isdigit() and 0 < int(port) < 65536)):
                return f"The DNS server {nameserver} is not HOST or HOST:PORT."
        return None

    # -- detection --------------------------------------------------------------------

    @on(Input.Submitted, "#wiz-email, #wiz-fullname, #wiz-password, #wiz-login")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in the address, name, password or login name finds the settings, as
        a form's Enter does (Find settings)."""
        event.stop()
        self.action_detect()

    @on(Button.Pressed, "#wiz-detect")
    def action_detect(self) -> None:
        email = self.value("wiz-email")
        if "@" not in email:
            self.log_line("Enter your whole email address, like you@example.org.")
            return
        problem = self.advanced_problem()
        if problem:
            self.log_line(problem)
            return
        password = self.query_one("#wiz-password", Input).value
        options = self.detection_options_obj()
        login = self.value("wiz-login")
        # Detection logs in with the address; another login name is verified after it.
        verify_after = bool(password) and bool(login) and login != email
        if password and not verify_after:
            options.password = Secret(password)
        if self.protocol() == "pop3":
            options.prefer_pop3 = True
        self.offered.clear()
        self.pending_consent.clear()
        self.query_one("#wiz-consent").add_class("hidden")
        for which in ("in", "out"):
            self.query_one(f"#wiz-{which}-trustbox").add_class("hidden")
        self.query_one("#wizard-log", Static).update("")
        self.log_line(f"Looking for the mail servers of {email} …")
        app = self.app

        def progress(event) -> None:
            mark = "✓" if event.ok else "✗"
            app.hop(
                self.log_line, f"{mark} {event.stage}: {event.target} — {detect_words.event(event)}"
            )

        def job():
            from tuimail.core.discovery.detect import detect

            result = detect(email, options, progress)
            add_unknown_issuer_pins(result, options)
            return result

        def done(result) -> None:
            self.detection = result
            self.show_detection(result)
            self.point_at_next_step()
            if not (verify_after and result.found and not self.offered):
                return
            if self.pending_consent:
                self.verify_after_consent = True  # once the user said yes
            else:
                self.action_verify()

        self.app.work(job, "detect", done)

    def show_detection(self, result) -> None:
        for prefix, probe in (("in", result.incoming), ("out", result.outgoing)):
            if probe is not None:
                c = probe.candidate
                self.fill(prefix, c.protocol, c.host, c.port, c.security)
        self.offer_detected_pins(result)
        if not result.found:
            if self.offered:
                self.log_line(
                    "A server answered, but with a certificate tuimail cannot check: "
                    "see its fingerprint below."
                )
            elif result.incoming is not None or result.outgoing is not None:
                lack = "outgoing (SMTP)" if result.outgoing is None else "incoming"
                self.log_line(f"No working {lack} server was found: enter it below.")
            else:  # the core's sentence names command-line options: this one the form
                domain = result.email.rpartition("@")[2]
                self.log_line(
                    f"No working mail server was found for {domain}. Enter the servers "
                    "below, or a DNS server or an extra CA file under 'DNS server and "
                    "extra CA', then Find settings again."
                )
                self.query_one("#wiz-advanced", Collapsible).collapsed = False
            from tuimail.core.discovery.findings import NoticeKind

            for notice in result.warnings:  # the time limit (the others name CLI flags)
                if notice.kind is NoticeKind.DEADLINE:
                    self.log_line(f"Note: {detect_words.warning(notice)}")
            self.offer_diagnose()
            return
        for warning in detect_words.warnings(result):
            self.log_line(f"Note: {warning}")
        self.log_line(f"Found by {result.source}.")
        self.offer_sign_in(result)
        if result.confirm:
            self.ask_consent(result)
        if result.logins:
            for check in result.logins:
                self.log_line(
                    f"{'✓' if check.ok else '✗'} login ({check.role}): {detect_words.login(check)}"
                )
            self.verified = bool(result.login_ok)
            try:
                self.verified_key = self.settings_key(self.account()) if self.verified else None
            except ValueError:
                self.verified, self.verified_key = False, None
            if self.verified:
                self.log_line("Login verified. Choose where the password lives, then save.")
            else:
                self.offer_diagnose()
        if not self.value("wiz-name"):
            self.query_one("#wiz-name", Input).value = result.email.split("@", 1)[1].split(".")[0]

    # -- consent ----------------------------------------------------------------------

    def ask_consent(self, result) -> None:
        """The yes/no step: the found servers, and why each needs the user's yes."""
        lines = Text()
        lines.append("Check these servers before tuimail sends your password to them:\n", "bold")
        for role, probe in (("Incoming", result.incoming), ("Outgoing", result.outgoing)):
            c = probe.candidate
            self.pending_consent |= {(c.host, c.port, c.security)}
            security = {"tls": "TLS", "starttls": "STARTTLS", "plain": "NOT ENCRYPTED"}
            lines.append(
                f"  {role}: {c.protocol.upper()} {sanitize(c.host)} port {c.port}, "
                f"{security.get(c.security, c.security)} (found by {c.source})\n"
            )
        lines.append("Why:\n", "bold")
        for reason in detect_words.confirm(result):
            lines.append(f"  • {sanitize(reason)}\n")
        lines.append("Nothing has been sent to them yet. Use them?")
        self.query_one("#wiz-consent-text", Static).update(lines)
        self.query_one("#wiz-consent").remove_class("hidden")
        self.log_line("These servers need your yes before any login: see the question below.")

    def consent_missing(self, account: Account) -> bool:
        """True (and points at the question) while a server in `account` awaits a yes."""
        servers = {astuple(s)[:3] for s in (account.incoming, account.outgoing)}
        if not servers & self.pending_consent:
            return False
        self.query_one("#wiz-consent").remove_class("hidden")
        self.log_line("Answer the question about the found servers first (Yes or No).")
        return True

    @on(Button.Pressed, "#wiz-consent-yes")
    def _consent_yes(self) -> None:
        plain = any(security == "plain" for _h, _p, security in self.pending_consent)
        self.pending_consent.clear()
        self.query_one("#wiz-consent").add_class("hidden")
        if plain:  # the question named the unencrypted server: that was its warning
            self.update_plain_confirm()
            self.query_one("#wiz-plain-ok", Checkbox).value = True
        self.log_line("You accepted the found servers.")
        if self.query_one("#wiz-password", Input).value and (
            self.verify_after_consent or self.options_had_password
        ):
            self.action_verify()
        self.verify_after_consent = False

    @on(Button.Pressed, "#wiz-consent-no")
    def _consent_no(self) -> None:
        self.query_one("#wiz-consent").add_class("hidden")
        self.verify_after_consent = False
        self.log_line(
            "You did not accept the found servers: nothing was sent to them. "
            "Enter the servers your provider gives, below."
        )

    @property
    def options_had_password(self) -> bool:
        return bool(self.detection is not None and self.detection.login_deferred)

    @on(Button.Pressed, "#wiz-verify")
    def action_verify(self) -> None:
        try:
            account = self.account()
        except ValueError as exc:
            self.log_line(str(exc))
            return
        if self.consent_missing(account) or self.plain_refused():
            return
        password = Secret(self.query_one("#wiz-password", Input).value)
        options = self.detection_options_obj()
        key = self.settings_key(account)
        self.verified, self.verified_key = False, None
        self.log_line(f"Logging in as {account.login} …")

        def job():
            from tuimail.core.discovery.pin import fetch_pin
            from tuimail.core.discovery.probe import CERTIFICATE_REASONS
            from tuimail.core.discovery.resolver import Resolver
            from tuimail.core.discovery.verify import verify_account

            resolver = options.resolver
            if resolver is None and options.nameserver:
                resolver = Resolver(options.nameserver, options.timeout)
            checks = verify_account(account, password, resolver=resolver, timeout=options.timeout)
            offers = {}
            servers = (
                ("in", account.incoming, account.protocol),
                ("out", account.outgoing, "smtp"),
            )
            for check, (which, server, protocol) in zip(checks, servers, strict=True):
                if check.ok or check.rejected or server.pinned_sha256:
                    continue
                failure = check.failure
                if getattr(failure, "reason", None) not in CERTIFICATE_REASONS:
                    continue
                pin = fetch_pin(
                    server.host,
                    server.port,
                    server.security,
                    protocol,
                    timeout=options.timeout,
                    ca_file=account.ca_file,
                    resolver=resolver,
                )
                if pin:
                    offers[which] = (protocol, server.host, server.port, server.security, pin)
            return checks, offers

        def done(outcome) -> None:
            checks, offers = outcome
            for check in checks:
                self.log_line(
                    f"{'✓' if check.ok else '✗'} login ({check.role}): {detect_words.login(check)}"
                )
            self.verified = all(c.ok for c in checks)
            self.verified_key = key if self.verified else None
            for which, offer in offers.items():
                self.offer(which, *offer)
            if self.verified:
                self.log_line("Login verified. Choose where the password lives, then save.")
            else:
                self.offer_diagnose()
            self.point_at_next_step()

        self.app.work(job, "verify", done)

    # -- certificates nobody vouches for ----------------------------------------------

    def offer_detected_pins(self, result) -> None:
        """For a role detection could not fill, offer the best self-signed server found."""
        rank = {"tls": 0, "starttls": 1}
        for which, role in (("in", "incoming"), ("out", "outgoing")):
            if getattr(result, role) is not None:
                continue
            offers = [p for p in result.probes if p.pin and p.candidate.role == role]
            if not offers:
                continue
            best = min(
                offers,
                key=lambda p: (
                    role == "incoming" and p.candidate.protocol != self.protocol(),
                    rank.get(p.candidate.security, 2),
                    p.candidate.order,
                ),
            )
            c = best.candidate
            self.offer(which, c.protocol, c.host, c.port, c.security, best.pin)

    def offer(self, which: str, protocol: str, host: str, port: int, security: str, pin: str):
        """Show the key's fingerprint, a warning, and the Trust button (never automatic)."""
        from tuimail.core.discovery.pin import format_pin

        self.offered[which] = (protocol, host, port, security, pin)
        role = "incoming" if which == "in" else "outgoing"
        text = Text()
        text.append(
            f"\u26a0 The {role} server {sanitize(host)} port {port} has a certificate that no "
            "known authority vouches for (self-signed or from an unknown issuer).\n",
            style="bold",
        )
        text.append(TRUST_WARNING + "\n")
        text.append("SHA-256 fingerprint of its key: ")
        text.append(format_pin(pin), style="bold")
        self.query_one(f"#wiz-{which}-cert", Static).update(text)
        self.query_one(f"#wiz-{which}-trustbox").remove_class("hidden")

    @on(Button.Pressed, "#wiz-in-trust")
    @on(Button.Pressed, "#wiz-out-trust")
    def _trust(self, event: Button.Pressed) -> None:
        which = "in" if event.button.id == "wiz-in-trust" else "out"
        offer = self.offered.pop(which, None)
        if offer is None:
            return
        protocol, host, port, security, pin = offer
        self.fill(which, protocol, host, port, security)
        self.trusted[which] = (host, port, pin)
        self.query_one(f"#wiz-{which}-trustbox").add_class("hidden")
        self.log_line(
            f"You chose to trust the certificate of {host} port {port} "
            f"(key SHA-256 {pin[:16]}\u2026) for that host and port only."
        )
        self.verified, self.verified_key = False, None
        self.focus_after_trust()
        if self.query_one("#wiz-password", Input).value and not self.offered:
            self.action_verify()

    def point_at_next_step(self) -> None:
        """After detection or a login check, bring what to do next into view (on a small
        terminal the form's lower part is below the fold): a certificate to trust, the
        question about the servers, the sign-in box, the password's storage once the
        login is verified, else the log saying what went wrong."""
        if self.offered:
            target = self.query_one(f"#wiz-{next(iter(self.offered))}-trust", Button)
        elif not self.query_one("#wiz-consent").has_class("hidden"):
            target = self.query_one("#wiz-consent-yes", Button)
        elif not self.query_one("#wiz-oauth").has_class("hidden"):
            target = self.query_one("#wiz-client-id", Input)
        elif self.verified:
            target = self.query_one("#wiz-storage", Select)
        else:
            self.call_after_refresh(self.bring_log_into_view)
            return
        target.focus()
        self.call_after_refresh(self.bring_into_view, target)

    # Both scroll once the layout holds what this step added: log lines above a target
    # move it down, and a scroll worked out before that layout (as Textual's scroll on
    # focus is) can leave it below the fold on a small terminal.

    def bring_into_view(self, target: Widget) -> None:
        """Centre the focused `target` unless it is wholly in view; one the user has
        left meanwhile stays where it is."""
        if target.has_focus and not self.can_view_entire(target):
            self.scroll_to_center(target, animate=False, immediate=True)

    def bring_log_into_view(self) -> None:
        self.query_one("#wiz-log-box").scroll_visible(animate=False, immediate=True)

    def focus_after_trust(self) -> None:
        """The next thing to do: the other server's certificate, else the password,
        else the account name."""
        if self.offered:
            other = next(iter(self.offered))
            self.query_one(f"#wiz-{other}-trust", Button).focus()
        elif not self.query_one("#wiz-password", Input).value:
            self.query_one("#wiz-password", Input).focus()
        else:
            self.query_one("#wiz-name", Input).focus()

    # -- OAuth 2.0 sign-in --------------------------------------------------------------

    def offer_sign_in(self, result) -> None:
        """When detection says the provider signs in with OAuth 2.0 (required or offered):
        the "Sign in with <provider>" box (a client id of the user's own is needed)."""
        oauth = getattr(result, "oauth2", None)
        provider = getattr(result, "oauth2_provider", None)
        if not oauth:
            return
        if provider is None:  # only the servers said so: ask them where to sign in
            if oauth.get("required"):
                self.discover_sign_in(result)
            return
        self.show_sign_in(provider, str(oauth.get("provider") or provider.issuer), oauth)

    def show_sign_in(self, provider, name: str, oauth: dict, discovered: bool = False) -> None:
        """The "Sign in with <name>" box for `provider`'s endpoints."""
        from tuimail.ui.plain import plain

        self.oauth_provider = provider
        need = "requires" if oauth.get("required") else "offers"
        text = Text()
        text.append(f"{sanitize(str(name))} {need} signing in with OAuth 2.0", style="bold")
        if discovered:
            text.append(
                f" instead of a password: the mail server names {sanitize(provider.issuer)} as "
                "its sign-in server (no provider tuimail knows; sign in only if you trust it). "
                "Enter the client id registered there for you (your administrator, or "
                "docs/config.md, 'Registering a client id'; tuimail has none of its own and "
                "uses no other application's), or leave it empty when config.toml has it in "
                f'[oauth2_clients."{sanitize(_issuer_host(provider.issuer))}"]; then sign in: '
                "you approve on any device with a code shown here."
            )
        else:
            text.append(
                " instead of a password. Enter the client id you registered with the provider "
                "(docs/config.md says how; tuimail uses no other application's), or leave it "
                "empty when config.toml has one in [oauth2_clients.PROVIDER]; then sign in: "
                "you approve on any device with a code shown here."
            )
        self.query_one("#wiz-oauth-text", Static).update(text)
        self.query_one("#wiz-oauth-signin", Button).label = plain(f"Sign in with {name}")
        self.query_one("#wiz-oauth").remove_class("hidden")
        self.log_line(f"{name} {need} OAuth 2.0 sign-in: see 'Sign in with {name}' below.")

    def discover_sign_in(self, result) -> None:
        """The servers offer only OAuth logins and no provider is known: ask the incoming
        (IMAP or POP3) server for its authorization server (RFC 7628 3.2.2: an empty token, no credential), then
        offer "Sign in with <its host>"."""
        from tuimail.core.account import ServerSettings

        domain = result.email.rpartition("@")[2]
        probe = result.incoming
        if probe is None or probe.candidate.protocol not in ("imap", "pop3"):
            self.log_line(
                f"{domain}'s servers accept only OAuth 2.0 logins, and tuimail knows no sign-in "
                "server for them: give the oauth2 table in config.toml (docs/config.md)."
            )
            return
        c = probe.candidate
        # a certificate the user trusted by its fingerprint counts here too
        settings = ServerSettings(
            c.host, c.port, c.security, pinned_sha256=self.pin_for("in", c.host, c.port)
        )
        options = self.detection_options_obj()
        self.log_line(
            f"{domain}'s servers accept only OAuth 2.0 logins: asking {c.host} where to "
            "sign in (no credential is sent) …"
        )

        def job():
            from tuimail.core import errors
            from tuimail.core.discovery.resolver import Resolver
            from tuimail.core.oauth2.server_discovery import (
                discover_from_imap,
                discover_from_pop3,
            )

            try:
                resolver = options.resolver
                if resolver is None and options.nameserver:
                    resolver = Resolver(options.nameserver, options.timeout)
                address = None
                if resolver is not None and resolver.custom:
                    found = resolver.addresses(c.host, c.port, options.timeout)
                    address = found[0] if found else None
                if c.protocol == "pop3":
                    return discover_from_pop3(
                        settings, ca_file=options.ca_file, timeout=options.timeout,
                        address=address,
                    )  # fmt: skip
                return discover_from_imap(
                    settings, ca_file=options.ca_file, timeout=options.timeout,
                    address=address, alerts=alerts,
                )  # fmt: skip
            except (errors.MailError, OSError) as exc:
                return exc

        alerts: list[str] = []  # the server's [ALERT]s while asked (shown, never dropped)

        def done(outcome) -> None:
            from tuimail.core import errors

            for alert in alerts:  # sanitised already; log_line takes plain text
                self.log_line(f"{c.host} says: {alert}")

            if isinstance(outcome, errors.MailError):
                why = failure_words(outcome)  # from the typed error, never .message
                self.log_line(f"\u2717 Could not ask {c.host} where to sign in: {why}.")
                return
            if isinstance(outcome, OSError):
                why = sanitize(outcome.strerror or type(outcome).__name__)
                self.log_line(f"\u2717 Could not ask {c.host} where to sign in: {why}.")
                return
            if outcome is None:
                self.log_line(
                    f"{c.host} names no sign-in server: give the oauth2 table in config.toml "
                    "(docs/config.md, 'The oauth2 table')."
                )
                return
            self.show_sign_in(
                outcome, _issuer_host(outcome.issuer), result.oauth2 or {}, discovered=True
            )

        self.app.work(job, "oauth-discover", done)

    def oauth_table(self) -> dict:
        """The account's oauth2 table: a provider by its short name, else the endpoints.
        With the client id field empty, no client_id: the config's [oauth2_clients] entry
        for the provider gives it (self.oauth2_client)."""
        from tuimail.core.discovery import ispdb

        provider = self.oauth_provider
        client_id = self.value("wiz-client-id")
        short = ispdb.short_name(provider.issuer)
        if short:
            return {"provider": short, "client_id": client_id} if client_id else {"provider": short}
        table = {"issuer": provider.issuer, "token_endpoint": provider.token_endpoint}
        if client_id:
            table["client_id"] = client_id
        if provider.authorization_endpoint:
            table["authorization_endpoint"] = provider.authorization_endpoint
        if provider.device_authorization_endpoint:
            table["device_authorization_endpoint"] = provider.device_authorization_endpoint
        if provider.scopes:
            table["scopes"] = list(provider.scopes)
        return table

    @on(Button.Pressed, "#wiz-oauth-signin")
    def action_sign_in(self) -> None:
        """The device sign-in in a worker: the address and code shown as plain text, then
        the sign-in kept (tuimail.core.oauth2.tokens) and the account ready to save."""
        if self.oauth_provider is None or self.signing_in:
            return
        table = self.oauth_table()
        self.oauth2_client = None
        if not self.value("wiz-client-id"):
            from tuimail.core.config import ConfigError, load_oauth2_clients, provider_client

            try:
                self.oauth2_client = provider_client(table, load_oauth2_clients())
            except ConfigError as exc:
                from tuimail.words.config import config_words

                self.log_line(config_words(exc))
                return
            if self.oauth2_client is None:
                self.log_line(
                    "Enter the client id you registered with the provider first (or put it "
                    "in config.toml as [oauth2_clients.PROVIDER]; docs/config.md says how)."
                )
                return
        try:
            self.oauth2_table = table
            account = self.account()
        except ValueError as exc:
            self.oauth2_table = None
            self.log_line(str(exc))
            return
        if self.consent_missing(account) or self.plain_refused():
            self.oauth2_table = None
            return
        self.signing_in = True
        self.verified, self.verified_key = False, None
        app = self.app
        self.log_line("Starting the sign-in …")

        def job():
            from tuimail.core import errors
            from tuimail.core.oauth2 import flows, tokens

            try:
                ep = tokens.endpoints(account)
                if not ep.device_authorization_endpoint and ep.issuer:
                    found = flows.discover(ep.issuer, ca_file=ep.ca_file, timeout=ep.timeout)
                    device = found.get("device_authorization_endpoint")
                    if device:  # RFC 8414 metadata names it: keep it in the account
                        table["device_authorization_endpoint"] = device
                        account.oauth2 = dict(table)
                        ep = tokens.endpoints(account)
                if not ep.device_authorization_endpoint:
                    return account, errors.Refused(
                        "this provider has no device sign-in; use `tuimail account login "
                        f"{account.name} --browser` after saving",
                        code="no-device",
                    )
                device = flows.start_device(ep)
                uri = device.verification_uri
                app.hop(self.log_line,
                        f"To sign in, open {uri} on any device and enter the code "
                        f"{device.user_code}")  # fmt: skip
                token_set = flows.poll_device(ep, device, cancelled=lambda: not self.is_attached)
                tokens.signed_in(account, token_set)
                return account, None
            except errors.MailError as exc:
                return account, exc

        def done(outcome) -> None:
            from tuimail.cli.login import sign_in_failure

            account, error = outcome
            self.signing_in = False
            if error is not None:
                self.oauth2_table = None
                self.log_line(f"\u2717 {sign_in_failure(error)}")
                return
            self.oauth2_table = dict(account.oauth2 or table)
            self.log_line("\u2713 Signed in. Logging in to the servers with the token \u2026")
            self.verify_token(self.account())

        self.app.work(job, "oauth-sign-in", done)

    def verify_token(self, account: Account) -> None:
        """Log in to both servers with the new token (the logins tuimail will use)."""
        options = self.detection_options_obj()
        key = self.settings_key(account)

        def job():
            from tuimail.core import errors
            from tuimail.core.discovery.resolver import Resolver
            from tuimail.core.discovery.verify import verify_account
            from tuimail.core.oauth2 import tokens

            resolver = options.resolver
            if resolver is None and options.nameserver:
                resolver = Resolver(options.nameserver, options.timeout)
            try:
                token = tokens.access_token(account)
            except errors.MailError as exc:
                return exc
            return verify_account(account, token, resolver=resolver, timeout=options.timeout)

        def done(outcome) -> None:
            from tuimail.cli.login import sign_in_failure

            if not isinstance(outcome, list):
                self.log_line(f"\u2717 {sign_in_failure(outcome)}")
                return
            for check in outcome:
                self.log_line(
                    f"{'✓' if check.ok else '✗'} login ({check.role}): {detect_words.login(check)}"
                )
            self.verified = all(c.ok for c in outcome)
            self.verified_key = key if self.verified else None
            if self.verified:
                self.log_line("Login verified with the token: save the account.")
            else:
                self.offer_diagnose()

        self.app.work(job, "oauth-verify", done)

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
            "wiz-in-host": f"{self.protocol()}.{domain}",
            "wiz-in-port": self.query_one("#wiz-in-port", Input).placeholder,
            "wiz-out-host": f"smtp.{domain}",
            "wiz-out-port": self.query_one("#wiz-out-port", Input).placeholder,
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
        if self.consent_missing(account):
            return
        # Wrapped at once: a crash report lists locals, and a Secret shows as ***.
        secret = Secret(self.query_one("#wiz-password", Input).value)
        options = self.detection_options_obj()
        doctor = {"timeout": options.timeout}
        if options.nameserver:
            doctor["nameserver"] = options.nameserver
        self.app.push_screen(
            DiagnoseScreen(account, password=lambda _a: secret or None, options=doctor)
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
        if self.settings_key(account) != self.verified_key:
            self.log_line("The settings changed after the login was verified: verify it again.")
            return
        if self.plain_refused():
            return
        if self.save_fn is None and self.name_taken(account.name):
            # Saving would replace that account (its aliases, identities, settings...).
            self.log_line(
                f"An account named {sanitize(account.name)!r} already exists: type another "
                "name under Account name."
            )
            return
        storage = "oauth2" if account.auth == "oauth2" else self.security_storage()
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
            from tuimail.core.config import ConfigError
            from tuimail.words.config import config_words

            why = config_words(exc) if isinstance(exc, ConfigError) else sanitize(str(exc))
            self.log_line(f"The account was not saved: {why}")
            return
        self.dismiss(account)

    @staticmethod
    def name_taken(name: str) -> bool:
        """An account of that name is in the configuration already (a file that cannot be
        read says so when saving)."""
        from tuimail.core.config import ConfigError, load_config

        try:
            return name in load_config().accounts
        except ConfigError:
            return False

    @on(Button.Pressed, "#wiz-cancel")
    def action_cancel(self) -> None:
        """Leave; on the first run (no account yet, so the app closes) ask first."""
        service = getattr(self.app, "service", None)
        if service is not None and service.accounts:
            self.dismiss(None)
            return
        from tuimail.ui.screens.dialogs import ConfirmDialog

        self.app.push_screen(
            ConfirmDialog("Leave the setup? tuimail needs an account and will close."),
            lambda yes: self.dismiss(None) if yes else None,
        )


def _issuer_host(issuer: str) -> str:
    """The host (and port) of an issuer URL, for "Sign in with <host>"."""
    from urllib.parse import urlsplit

    return urlsplit(issuer).netloc or issuer
