"""The Diagnose screen: `tuimail doctor` inside the app, each check shown as it finishes.

The checks run in a thread worker; every result hops to the UI thread as soon as its
step is done. A run has a number, so results of a run that was replaced (r pressed
again) are dropped instead of mixing with the new one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from tuimail.core.account import Account
from tuimail.core.doctor import CheckResult
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix as fix_for
from tuimail.doctor_words import seen as finding
from tuimail.ui.plain import notify

# runner(account, password, *, send, on_result) -> results; the real one is run_checks.
Runner = Callable[..., list[CheckResult]]
PasswordSource = Callable[[Account], Secret | None]

WIDE = 100  # from this width on, each check's time is shown
MARKS = {
    "ok": ("✓ ok", "green"),
    "warning": ("! warning", "yellow"),
    "failure": ("✗ failure", "red"),
}


def summary(results: list[CheckResult]) -> str:
    """'2 failures, 1 warning' (or 'no failures') for the header line."""
    failures = sum(r.status == "failure" for r in results)
    warnings = sum(r.status == "warning" for r in results)
    if not failures and not warnings:
        return "no failures, no warnings"
    parts = []
    if failures:
        parts.append(f"{failures} failure{'s' if failures != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


def render_results(results: list[CheckResult], seconds: bool = True) -> Group:
    """Results grouped (in arrival order of the groups), one grid per group; `seconds`
    adds each check's time (left out on narrow screens, where the words need the room)."""
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(result.group, []).append(result)
    parts: list[Any] = []
    for name, items in groups.items():
        if parts:
            parts.append(Text(""))
        parts.append(Text(sanitize(name), style="bold underline"))
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=1)
        grid.add_column(no_wrap=True, width=9)
        grid.add_column(min_width=12, max_width=16)  # same width in every group
        grid.add_column(ratio=1)
        if seconds:
            grid.add_column(no_wrap=True, justify="right", width=7)
        for r in items:
            mark, colour = MARKS.get(r.status, (r.status, ""))
            seen = Text(sanitize(finding(r)))
            if fix_for(r) and r.status != "ok":
                seen.append("\nFix: ", style="bold")
                seen.append(sanitize(fix_for(r)))
            cells = ["", Text(mark, style=f"bold {colour}"), Text(sanitize(r.name)), seen]
            if seconds:
                cells.append(Text(f"{r.seconds:.2f} s", style="dim"))
            grid.add_row(*cells)
        parts.append(grid)
    return Group(*parts)


def default_runner(options: dict[str, Any]) -> Runner:
    """run_checks with the app's doctor options (timeout, nameserver, roundtrip_timeout)."""

    def run(account: Account, password: Secret | None, **kwargs: Any) -> list[CheckResult]:
        from tuimail.core.doctor import run_checks

        return run_checks(account, password, **options, **kwargs)

    return run


class DiagnoseScreen(Screen[None]):
    """Runs every check for one account and shows them live, grouped, with fixes."""

    CSS_PATH = "diagnose.tcss"

    BINDINGS = [
        Binding("r", "rerun", "Run again", id="diagnose.rerun"),
        Binding("s", "toggle_send", "Send test message", id="diagnose.send"),
        Binding("escape,q", "close", "Back", id="diagnose.close"),
        Binding("t", "trust_new_keys", "Trust the new key", show=False, id="diagnose.trust"),
    ]

    _runs = itertools.count(1)

    def __init__(
        self,
        account: Account,
        *,
        password: PasswordSource | None = None,
        runner: Runner | None = None,
        options: dict[str, Any] | None = None,
        send: bool = False,
        on_trust: Callable[[Account], None] | None = None,
    ) -> None:
        """`on_trust(account)` keeps an account whose changed server keys the user chose
        to trust (saved and used from then on); None saves it to the config file."""
        super().__init__()
        self.account = account
        self.options = dict(options or {})
        self.on_trust = on_trust
        self.key_changes: list[Any] = []
        self.password_source = password
        self.runner = runner or default_runner(dict(options or {}))
        self.send = send
        self.results: list[CheckResult] = []
        self.running = False
        self.note = ""
        self.run_id = 0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("", id="diag-progress")
        yield Static("", id="diag-options")
        with Vertical(id="diag-keys", classes="hidden"):
            yield Static("", id="diag-keys-text")
            yield Button("Trust the new key (t)", id="diag-trust", variant="warning", compact=True)
        with VerticalScroll(id="diag-scroll"):
            yield Static("", id="diag-results")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Diagnose {sanitize(self.account.name)}"
        self.query_one("#diag-scroll").focus()
        self.start()
        self.look_for_key_changes()

    # -- a trusted key that changed ---------------------------------------------------

    def look_for_key_changes(self) -> None:
        """Read the pinned servers' keys (nothing sent) and offer the new ones, with the
        old and new hash, for incoming and outgoing alike."""
        account = self.account
        if not (account.incoming.pinned_sha256 or account.outgoing.pinned_sha256):
            return
        timeout = float(self.options.get("timeout", 10.0))
        nameserver = self.options.get("nameserver")

        def job() -> list[Any]:
            from tuimail.core.key_change import find_key_changes

            return find_key_changes(account, timeout, nameserver)

        def done(changes: list[Any]) -> None:
            self.key_changes = changes
            self.show_key_changes()

        app: Any = self.app

        def runner() -> None:
            try:
                changes = job()
            except Exception:  # the keys could not be read: the checks say why
                changes = []
            app.hop(done, changes) if hasattr(app, "hop") else app.call_from_thread(done, changes)

        self.run_worker(runner, thread=True, exit_on_error=False, name="keys", group="keys")

    def show_key_changes(self) -> None:
        box = self.query_one("#diag-keys")
        box.set_class(not self.key_changes, "hidden")
        if not self.key_changes:
            return
        text = Text()
        text.append("A trusted server key changed\n", style="bold")
        for change in self.key_changes:
            role = "Incoming" if change.role == "incoming" else "Outgoing"
            text.append(f"{role} server {sanitize(change.host)} port {change.port}:\n")
            text.append(f"  trusted key SHA-256  {sanitize(change.trusted)}\n")
            text.append(f"  its key now SHA-256  {sanitize(change.now)}\n")
        text.append(
            "Someone may be intercepting the connection: no password is sent to it. Ask "
            "the provider whether it changed its certificate and compare the new hash; "
            "only then trust the new key (for this host and port only)."
        )
        self.query_one("#diag-keys-text", Static).update(text)

    def action_trust_new_keys(self) -> None:
        if self.key_changes:
            self.trust_new_keys()
        else:
            self.notify("No trusted server key changed.")

    @on(Button.Pressed, "#diag-trust")
    def trust_new_keys(self) -> None:
        from tuimail.core.key_change import with_new_keys

        if not self.key_changes:
            return
        updated = with_new_keys(self.account, self.key_changes)
        try:
            if self.on_trust is not None:
                self.on_trust(updated)
            else:
                from tuimail.core.config import save_account

                save_account(updated)
        except Exception as exc:
            from tuimail.words.describe import describe

            notify(self, f"The new key was not saved: {describe(exc)}")
            return
        self.account, self.key_changes = updated, []
        self.show_key_changes()
        self.notify("The new key is trusted; checking again.")
        self.start()

    # -- running ----------------------------------------------------------------------

    def start(self) -> None:
        """Start a run; results of an earlier, unfinished run are ignored from now on."""
        self.run_id = run = next(self._runs)
        self.results = []
        self.running = True
        self.note = ""
        self.refresh_view()
        account, send, source, runner = self.account, self.send, self.password_source, self.runner
        app: Any = self.app

        def hop(fn: Callable[..., None], *args: Any) -> None:
            # Never block the worker on the UI (call_from_thread would, during exit).
            if hasattr(app, "hop"):
                app.hop(fn, *args)
            else:  # pragma: no cover - the screen outside TuimailApp
                app.call_from_thread(fn, *args)

        def job() -> None:
            password, note, token_error = _password(source, account)
            if note:
                hop(self._set_note, run, note)
            started = time.monotonic()
            try:
                # a missing sign-in is reported by its check, as it was met
                extra = {"token_error": token_error} if token_error is not None else {}
                runner(
                    account,
                    password,
                    send=send and password is not None,
                    on_result=lambda result: hop(self._add, run, result),
                    **extra,
                )
            except Exception as exc:  # a bug or an unexpected error: say so, in words
                from tuimail.words.describe import describe

                hop(self._set_note, run, f"The checks stopped early: {describe(exc)}")
            hop(self._finish, run, time.monotonic() - started)

        self.run_worker(job, thread=True, exit_on_error=False, name="diagnose", group="diagnose")

    def _set_note(self, run: int, note: str) -> None:
        if run == self.run_id:
            self.note = note
            self.refresh_view()

    def _add(self, run: int, result: CheckResult) -> None:
        if run == self.run_id:
            self.results.append(result)
            self.refresh_view()

    def _finish(self, run: int, _seconds: float) -> None:
        if run == self.run_id:
            self.running = False
            self.refresh_view()

    # -- showing ----------------------------------------------------------------------

    def progress_text(self) -> str:
        n = len(self.results)
        done = f"{n} check{'s' if n != 1 else ''} done"
        if self.running:
            return f"Running… {done}"
        return f"Finished: {n} check{'s' if n != 1 else ''}, {summary(self.results)}"

    def refresh_view(self) -> None:
        if not self.is_attached:
            return
        header = Text()
        header.append(f"{sanitize(self.account.email)}  ", style="bold")
        status_style = "bold"
        if not self.running:
            failed = any(r.status == "failure" for r in self.results)
            status_style = "bold red" if failed else "bold green"
        header.append(self.progress_text(), style=status_style)
        if self.note:
            header.append("\n")
            header.append(sanitize(self.note), style="yellow")
        self.query_one("#diag-progress", Static).update(header)
        send = "on" if self.send else "off"
        options = Text()
        options.append(f"Round trip (send a test message to yourself): {send}", style="dim")
        options.append("  s to switch, r to run again", style="dim")
        self.query_one("#diag-options", Static).update(options)
        wide = self.size.width >= WIDE
        body: Any = (
            render_results(self.results, seconds=wide)
            if self.results
            else Text("Starting the checks…")
        )
        self.query_one("#diag-results", Static).update(body)

    def on_resize(self) -> None:
        self.refresh_view()

    # -- keys -------------------------------------------------------------------------

    def action_rerun(self) -> None:
        self.start()

    def action_toggle_send(self) -> None:
        self.send = not self.send
        self.notify(
            "A test message will be sent and deleted at each run."
            if self.send
            else "No test message will be sent.",
            timeout=3,
        )
        self.start()

    def action_close(self) -> None:
        self.run_id = 0  # whatever is still running reports to nobody
        self.dismiss(None)


def _password(
    source: PasswordSource | None, account: Account
) -> tuple[Secret | None, str, BaseException | None]:
    """The password to log in with, or None and a sentence saying why logins are skipped,
    and the missing sign-in met (NeedsSignIn) for the sign-in check to report."""
    skipped = "logins and the round trip were skipped"
    if source is None:
        return None, f"No password was given: {skipped}.", None
    try:
        password = source(account)
    except Exception as exc:
        from tuimail.doctor_words import logins_skipped
        from tuimail.words.sign_in import needs_sign_in

        met = exc if needs_sign_in(exc) else None
        return None, f"{logins_skipped(exc)}: {skipped}.", met
    if not password:
        return None, f"No password was given: {skipped}.", None
    return password, "", None
