"""Snapshots of the Diagnose screen's layout.

The real checks report times and test-server ports that change on every run, so these
pictures take fixed results from a stand-in runner (the pilot tests in
tests/ui/test_diagnose.py run the real checks). Update after a reviewed change:
pytest tests/snapshots/test_diagnose_snapshots.py --snapshot-update
"""

from __future__ import annotations

import threading
from pathlib import Path

import tuimail.ui.app
from tests.ui.helpers import settle, wait_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.doctor import CheckResult
from tuimail.core.secrets import Secret
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.diagnose import DiagnoseScreen

ACCOUNT = Account(
    name="work",
    email="ana@example.org",
    incoming=ServerSettings("imap.example.org", 993, "tls"),
    outgoing=ServerSettings("smtp.example.org", 587, "starttls"),
)
DNS = "DNS for example.org"
IMAP = "Incoming server (IMAP) imap.example.org:993"
SMTP = "Outgoing server (SMTP) smtp.example.org:587"

RESULTS = [
    CheckResult("MX", DNS, "ok", "mx.example.org (10); the incoming server is nearby", "", 0.012),
    CheckResult(
        "SPF",
        DNS,
        "warning",
        "v=spf1 +all: any server in the world may send as example.org",
        "replace +all with -all (or ~all) after listing your real senders",
        0.011,
    ),
    CheckResult(
        "DMARC",
        DNS,
        "failure",
        "no TXT record at _dmarc.example.org",
        'publish "v=DMARC1; p=none; rua=mailto:postmaster@example.org" and tighten later',
        0.010,
    ),
    CheckResult("reachable", IMAP, "ok", "TCP connect in 8 ms", "", 0.008),
    CheckResult("tls", IMAP, "ok", "implicit TLS, TLSv1.3, TLS_AES_256_GCM_SHA384", "", 0.031),
    CheckResult(
        "certificate",
        IMAP,
        "warning",
        "valid for imap.example.org, trusted, expires in 9 days",
        "ask the provider to renew the certificate",
        0.001,
    ),
    CheckResult(
        "capabilities", IMAP, "ok", "offers IDLE, CONDSTORE, QRESYNC, MOVE, UIDPLUS, QUOTA"
    ),
    CheckResult(
        "login",
        IMAP,
        "failure",
        "the server refused the login for ana@example.org ([AUTHENTICATIONFAILED])",
        "check the user name and password; if the provider uses two-step verification, "
        "create an app password and use it instead of the normal password",
        0.120,
    ),
    CheckResult("reachable", SMTP, "ok", "TCP connect in 9 ms", "", 0.009),
    CheckResult("tls", SMTP, "ok", "STARTTLS, TLSv1.3, TLS_AES_256_GCM_SHA384", "", 0.040),
    CheckResult("certificate", SMTP, "ok", "valid for smtp.example.org, trusted", "", 0.001),
    CheckResult("capabilities", SMTP, "ok", "offers SIZE, 8BITMIME, SMTPUTF8; AUTH PLAIN"),
    CheckResult("login", SMTP, "ok", "logged in as ana@example.org", "", 0.090),
]


def fixed_runner(results: list[CheckResult], hold: threading.Event | None = None):
    """A runner that reports `results` in order; with `hold`, it then stays running until
    `hold` is set (the test sets it when the app unmounts: exit waits for the thread)."""

    def run(account, password, *, send=False, on_result=None):
        for result in results:
            on_result(result)
        if hold is not None:
            hold.wait(30)
        return list(results)

    return run


def diagnose_app(screen_factory) -> TuimailApp:
    # TuimailApp without a service opens its first screen through the wizard factory.
    return TuimailApp(None, wizard=screen_factory)


class HoldingApp(TuimailApp):
    """Releases the held runner when it closes (Textual also runs TuimailApp.on_unmount)."""

    CSS_PATH = str(Path(tuimail.ui.app.__file__).with_name("tuimail.tcss"))
    hold: threading.Event

    def on_unmount(self) -> None:
        self.hold.set()


def password(_account) -> Secret:
    return Secret("not-shown")


async def _finished(pilot) -> None:
    await wait_for(pilot, lambda: not pilot.app.screen.running)
    await settle(pilot)


class TestDiagnose:
    """The screen after a run with failures and warnings, while running, and without a
    password."""

    def test_finished_80x24(self, snap_compare):
        app = diagnose_app(
            lambda: DiagnoseScreen(ACCOUNT, password=password, runner=fixed_runner(RESULTS))
        )
        assert snap_compare(app, terminal_size=(80, 24), run_before=_finished)

    def test_finished_120x40(self, snap_compare):
        app = diagnose_app(
            lambda: DiagnoseScreen(ACCOUNT, password=password, runner=fixed_runner(RESULTS))
        )
        assert snap_compare(app, terminal_size=(120, 40), run_before=_finished)

    def test_running_80x24(self, snap_compare):
        hold = threading.Event()
        app = HoldingApp(
            None,
            wizard=lambda: DiagnoseScreen(
                ACCOUNT, password=password, runner=fixed_runner(RESULTS[:5], hold)
            ),
        )
        app.hold = hold

        async def running(pilot) -> None:
            await wait_for(pilot, lambda: len(pilot.app.screen.results) == 5)
            await pilot.pause()

        try:
            assert snap_compare(app, terminal_size=(80, 24), run_before=running)
        finally:
            hold.set()

    def test_no_password_100x30(self, snap_compare):
        no_logins = [r for r in RESULTS if r.name != "login"]
        app = diagnose_app(
            lambda: DiagnoseScreen(ACCOUNT, password=None, runner=fixed_runner(no_logins))
        )
        assert snap_compare(app, terminal_size=(100, 30), run_before=_finished)
