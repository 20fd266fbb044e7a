"""The setup wizard, first run through to a saved account, against the bundled server
(its DNS server answers the SRV look-ups, its autoconfig server is on HTTPS)."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from tests.ui.helpers import seed, settle, wait_for
from tests.ui.wizard_helpers import detect, log_of, put, wizard_for
from tuimail.core.config import load_config
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.screens.wizard import WizardScreen
from tuimail.ui.widgets.message_list import MessageList


async def test_first_run_setup_to_saved_account(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        assert isinstance(app.screen, WizardScreen)
        screen = app.screen
        screen.query_one("#wiz-email", Input).value = user.email
        screen.query_one("#wiz-password", Input).value = user.password
        await pilot.click("#wiz-detect")
        await wait_for(pilot, lambda: screen.detection is not None, timeout=30)
        await settle(pilot)
        log = str(screen.query_one("#wizard-log", Static).render())
        assert "probe" in log  # each probe was reported live
        assert screen.query_one("#wiz-in-host", Input).value  # settings filled in
        assert screen.verified, log
        assert "Encrypted" in str(screen.query_one("#wiz-in-badge", Static).render())
        # Manual settings stay editable: the test DNS names resolve only through the
        # test's nameserver, so point both servers at the address and verify again.
        screen.verified = False
        screen.query_one("#wiz-in-host", Input).value = mail_server.host
        screen.query_one("#wiz-out-host", Input).value = mail_server.host
        await pilot.click("#wiz-verify")
        await wait_for(pilot, lambda: screen.verified, timeout=20)
        screen.query_one("#wiz-storage", Select).value = "ask"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        config = load_config()
        assert [a.email for a in config.accounts.values()] == [user.email]
        saved = next(iter(config.accounts.values()))
        assert saved.password_command is None
        # the password is nowhere in the file
        assert user.password not in config.path.read_text()
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        assert app.screen.query_one(MessageList).count == 2


async def test_servers_found_through_the_wizards_dns_server_connect(mail_server):
    """The servers' names (imap.example.test) exist only at the DNS server setup asked:
    the saved account remembers it, and the app's sync finds them there (it was saved,
    then never connected: the system's resolver does not know them)."""
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        put(screen, email=user.email, password=user.password)
        await pilot.click("#wiz-detect")
        await wait_for(pilot, lambda: screen.detection is not None, timeout=30)
        await wait_for(pilot, lambda: screen.verified, timeout=20)
        assert screen.query_one("#wiz-in-host", Input).value == "imap.example.test"
        screen.query_one("#wiz-storage", Select).value = "ask"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)
        (saved,) = load_config().accounts.values()
        assert saved.extra["nameserver"] == f"127.0.0.1:{mail_server.dns_port}"
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        assert app.screen.query_one(MessageList).count == 2


async def test_wizard_errors_are_sentences(mail_server):
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        screen.query_one("#wiz-email", Input).value = "not-an-address"
        await pilot.click("#wiz-detect")
        sentence = "Enter your whole email address"
        await wait_for(pilot, lambda: sentence in log_of(screen))
        await pilot.press("ctrl+s")  # refused with the same sentence, the form stays
        await wait_for(pilot, lambda: log_of(screen).count(sentence) == 2)
        assert isinstance(app.screen, WizardScreen)


async def test_detection_notes_read_as_sentences_in_the_log(mail_server):
    """Offline (the test DNS knows no name): the settings come from the shipped ISP
    database, and the wizard's log says so in words (core hands out a typed Notice)."""
    mail_server.set_dns({})
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        put(screen, email="me@gmail.com")
        await detect(pilot, screen)
        log = log_of(screen)
        assert (
            "Note: No server of Google Mail answered, so these settings come from "
            "tuimail's copy of the ISP database and were not tried." in log
        ), log
        assert "Notice(" not in log and "NoticeKind" not in log


async def test_enter_after_the_password_finds_the_settings(mail_server):
    """Regression: address and password typed, Enter did nothing (only a click or Tab
    to "Find settings" did). Enter in the fields at the top now finds the settings."""
    user = mail_server.new_user()
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        put(screen, email=user.email)
        screen.query_one("#wiz-password", Input).focus()
        await pilot.press(*user.password, "enter")
        await wait_for(pilot, lambda: screen.detection is not None, timeout=30)
        await settle(pilot)
        assert screen.query_one("#wiz-in-host", Input).value, log_of(screen)
        assert screen.verified, log_of(screen)
