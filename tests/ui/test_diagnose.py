"""The Diagnose screen against the bundled server: real checks over real sockets.

Every app here points the doctor's DNS look-ups at the test server's DNS, so nothing
leaves the machine.
"""

from __future__ import annotations

import io

from rich.console import Console
from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import Button, Input, Select, Static

from tests.ui.helpers import make_app, settle, wait_for
from tests.ui.wizard_helpers import wizard_for
from testserver.faults import Fault
from tuimail.doctor_words import fix
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.diagnose import DiagnoseScreen
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.screens.wizard import WizardScreen
from tuimail.ui.widgets.status import StatusBar


def doctor_app(server, user, **kwargs) -> TuimailApp:
    app = make_app(server, user, **kwargs)
    app.doctor_options = {"timeout": 10, "nameserver": f"{server.host}:{server.dns_port}"}
    return app


def shown(screen, wid: str) -> str:
    """What a Static of the screen shows, as plain text."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(screen.query_one(wid, Static).content)
    return console.file.getvalue()


async def open_diagnose(pilot, key: str = "H") -> DiagnoseScreen:
    app = pilot.app
    await wait_for(pilot, lambda: app.synced, timeout=20)
    await settle(pilot)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
    return app.screen


async def test_healthy_account_from_the_key(mail_server):
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diagnose(pilot)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        names = {(r.group.split()[0], r.name) for r in screen.results}
        assert ("Incoming", "login") in names and ("Outgoing", "login") in names
        bad = [r for r in screen.results if r.status == "failure"]
        assert not bad, bad
        progress = shown(screen, "#diag-progress")
        assert f"Finished: {len(screen.results)} checks" in progress
        assert "no failures" in progress or "warning" in progress
        results = shown(screen, "#diag-results")
        assert "Incoming server (IMAP)" in results and "Outgoing server (SMTP)" in results
        assert "✓ ok" in results and "✗ failure" not in results
        assert user.password not in results
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_palette_command_opens_it(mail_server):
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(CommandInput).value = "Diagnose account"  # one search
        commands = app.screen.query_one(CommandList)
        await wait_for(
            pilot,
            lambda: (
                commands.option_count > 0
                and str(commands.get_option_at_index(0).hit.text).startswith("Diagnose account")
            ),
        )
        commands.highlighted = 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
        screen = app.screen
        assert screen.account.name == "test"
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        assert screen.results and not any(r.status == "failure" for r in screen.results)


async def test_results_appear_live_and_rerun(mail_server):
    """The incoming server's checks show while the (slowed) outgoing one still runs."""
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diagnose(pilot)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        total = len(screen.results)
        mail_server.faults.add(Fault(protocol="smtp", kind="delay", delay=0.25))
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: any(r.group.startswith("Incoming") for r in screen.results),
            timeout=30,
        )
        assert screen.running, "the first results arrived only after the run ended"
        assert "Running…" in shown(screen, "#diag-progress")
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        mail_server.faults.clear()
        assert len(screen.results) == total  # a re-run replaces, never appends


async def test_wrong_password_shows_the_login_failure_and_fix(mail_server):
    user = mail_server.new_user()
    wrong = type(user)(login=user.login, password="wrong-password", email=user.email)
    app = doctor_app(mail_server, wrong)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        status = str(app.screen.query_one(StatusBar).render())
        assert "press H to diagnose" in status
        screen = await open_diagnose(pilot)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        logins = [r for r in screen.results if r.name == "login"]
        assert logins and all(r.status == "failure" for r in logins)
        assert all("password" in fix(r) for r in logins)
        results = shown(screen, "#diag-results")
        assert "✗ failure" in results and "Fix:" in results
        assert "wrong-password" not in results
        assert "2 failures" in shown(screen, "#diag-progress")


async def test_no_password_runs_without_logins_and_says_so(mail_server):
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        account = app.service.accounts["test"]
        app.push_screen(
            DiagnoseScreen(account, password=None, options=app.doctor_options),
        )
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
        screen = app.screen
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        assert screen.results and not any(r.name == "login" for r in screen.results)
        assert "logins and the round trip were skipped" in shown(screen, "#diag-progress")


async def test_offline_account_status_points_at_diagnose(mail_server):
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    app.doctor_options["timeout"] = 1  # its DNS server is down too: each look-up waits
    mail_server.stop()
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        assert app.service.states()["test"].state == "offline"
        assert "press H to diagnose" in str(app.screen.query_one(StatusBar).render())
        screen = await open_diagnose(pilot)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        assert any(r.name == "reachable" and r.status == "failure" for r in screen.results)


async def test_wizard_offers_diagnose_when_login_fails(mail_server):
    user = mail_server.new_user()
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        button = screen.query_one("#wiz-diagnose", Button)
        assert not button.display  # nothing failed yet
        screen.query_one("#wiz-email", Input).value = user.email
        screen.query_one("#wiz-password", Input).value = "wrong-password"
        screen.query_one("#wiz-in-host", Input).value = mail_server.host
        screen.query_one("#wiz-in-port", Input).value = str(mail_server.ports.imap_tls)
        screen.query_one("#wiz-in-sec", Select).value = "tls"
        screen.query_one("#wiz-out-host", Input).value = mail_server.host
        screen.query_one("#wiz-out-port", Input).value = str(mail_server.ports.smtp_starttls)
        screen.query_one("#wiz-out-sec", Select).value = "starttls"
        await pilot.click("#wiz-verify")
        await wait_for(pilot, lambda: button.display, timeout=30)
        await settle(pilot)
        await pilot.click("#wiz-diagnose")
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
        diag = app.screen
        assert diag.account.email == user.email
        await wait_for(pilot, lambda: not diag.running, timeout=60)
        logins = [r for r in diag.results if r.name == "login"]
        assert logins and all(r.status == "failure" for r in logins)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert not screen.verified


async def test_s_turns_on_the_round_trip(mail_server):
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    app.doctor_options["roundtrip_timeout"] = 30
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diagnose(pilot)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        assert not any(r.group == "Round trip" for r in screen.results)  # off by default
        assert "yourself): off" in shown(screen, "#diag-options")
        await pilot.press("s")
        assert "yourself): on" in shown(screen, "#diag-options")
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        trip = [r for r in screen.results if r.group == "Round trip"]
        assert trip and all(r.status == "ok" for r in trip), trip
        assert "Round trip" in shown(screen, "#diag-results")


def asking_app(server, user) -> TuimailApp:
    """An app whose service has no password: the app asks in a dialog (once a session)."""
    from tests.ui.helpers import NOW, account_for
    from tuimail.core.secrets import forget_password
    from tuimail.core.service import MailService

    account = account_for(server, user)
    # The session's passwords are process-wide and keyed by login and host: another test's
    # user1@example.test on 127.0.0.1 must not answer for this one.
    forget_password(account)
    service = MailService({account.name: account}, idle=False, retry_after=60)
    app = TuimailApp(service, now=NOW, start_sync=False)
    app.doctor_options = {"timeout": 10, "nameserver": f"{server.host}:{server.dns_port}"}
    return app


async def test_password_is_asked_in_a_dialog(mail_server):
    from tuimail.ui.screens.dialogs import InputDialog

    user = mail_server.new_user()
    app = asking_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog))
        app.screen.query_one(Input).value = user.password
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
        screen = app.screen
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        logins = [r for r in screen.results if r.name == "login"]
        assert logins and all(r.status == "ok" for r in logins), logins


async def test_password_dialog_cancelled_runs_without_logins(mail_server):
    from tuimail.ui.screens.dialogs import InputDialog

    user = mail_server.new_user()
    app = asking_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
        screen = app.screen
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        assert screen.results and not any(r.name == "login" for r in screen.results)
        note = shown(screen, "#diag-progress")
        assert (
            "No password was entered" in note and "logins and the round trip were skipped" in note
        )


async def test_connection_error_toast_points_at_diagnose(mail_server):
    user = mail_server.new_user()
    app = doctor_app(mail_server, user)
    port = mail_server.ports.imap_tls
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        mail_server.stop()

        def connect() -> None:  # what a user action meets when the server went away
            import socket

            socket.create_connection((mail_server.host, port), timeout=5).close()

        def logic() -> None:
            raise ValueError("not a connection problem")

        app.work(logic, "logic")
        await wait_for(pilot, lambda: "not a connection problem" in app.last_error)
        texts = [n.message for n in app._notifications]
        assert texts and not any("to diagnose" in t for t in texts)
        app.work(connect, "connect")
        await wait_for(
            pilot, lambda: any("Press H to diagnose" in n.message for n in app._notifications)
        )
        assert any("refused" in n.message for n in app._notifications)


async def test_wizard_offers_diagnose_when_detection_fails(mail_server):
    # Every look-up goes to the test DNS, which knows nothing of nowhere.test.
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        button = screen.query_one("#wiz-diagnose", Button)
        screen.query_one("#wiz-email", Input).value = "someone@nowhere.test"
        await pilot.click("#wiz-detect")
        await wait_for(pilot, lambda: screen.detection is not None, timeout=30)
        await settle(pilot)
        assert not screen.detection.found
        assert button.display
        assert "Press Diagnose" in str(screen.query_one("#wizard-log", Static).render())
