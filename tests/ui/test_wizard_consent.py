"""The wizard's consent step: servers found outside the address's domain are listed with
the reasons, and no LOGIN/AUTH reaches them before the user pressed Yes."""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from tests.accounts.helpers import auth_attempts, outside_zone
from tests.ui.helpers import settle, wait_for
from tuimail.core.discovery.detect import DetectOptions
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.wizard import WizardScreen

EMAIL = "bob@customer.test"


def _wizard(server):
    def options() -> DetectOptions:
        return DetectOptions(
            timeout=5,
            total_timeout=15,
            nameserver=f"127.0.0.1:{server.dns_port}",
            ca_file=server.ca_file,
            https_port=server.https_port,
        )

    return lambda: WizardScreen(detect_options=options)


def _text(screen, wid: str) -> str:
    return str(screen.query_one(f"#{wid}", Static).render())


def _asking(screen) -> bool:
    return not screen.query_one("#wiz-consent").has_class("hidden")


async def _detect(pilot, screen) -> None:
    screen.detection = None
    screen.query_one("#wiz-detect", Button).press()
    await wait_for(pilot, lambda: screen.detection is not None, timeout=30)
    await settle(pilot)


async def test_outside_srv_servers_need_yes_before_any_login(mail_server):
    user = mail_server.add_user(EMAIL)
    outside_zone(mail_server, "srv")
    app = TuimailApp(None, wizard=_wizard(mail_server))
    async with app.run_test(size=(120, 70)) as pilot:
        screen = app.screen
        screen.query_one("#wiz-email", Input).value = EMAIL
        screen.query_one("#wiz-password", Input).value = user.password
        await _detect(pilot, screen)
        assert _asking(screen)
        question = _text(screen, "wiz-consent-text")
        assert "imap.example.test" in question and "smtp.example.test" in question
        assert "outside customer.test" in question and "found by srv" in question
        assert "Nothing has been sent to them yet" in question
        assert not screen.verified and auth_attempts(mail_server) == []
        # Verify login and Diagnose wait for the answer too.
        screen.query_one("#wiz-verify", Button).press()
        await settle(pilot)
        assert "Answer the question about the found servers first" in _text(screen, "wizard-log")
        screen.action_diagnose()
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert auth_attempts(mail_server) == []
        # No: nothing is sent, and the servers stay blocked.
        screen.query_one("#wiz-consent-no", Button).press()
        await settle(pilot)
        assert not _asking(screen) and "nothing was sent" in _text(screen, "wizard-log")
        screen.query_one("#wiz-verify", Button).press()
        await settle(pilot)
        assert auth_attempts(mail_server) == [] and _asking(screen)
        # Asked again by a new detection; Yes: now (and only now) the login is checked.
        await _detect(pilot, screen)
        assert _asking(screen) and auth_attempts(mail_server) == []
        screen.query_one("#wiz-consent-yes", Button).press()
        await wait_for(pilot, lambda: screen.verified, timeout=30)
        assert not _asking(screen)
        attempts = auth_attempts(mail_server)
        assert len(attempts) == 2 and all(a.tls and a.success for a in attempts)
