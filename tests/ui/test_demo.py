"""`tuimail --demo`: the seeded server, push a few seconds after start, real sending."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, TextArea

from tests.ui.helpers import settle, wait_for
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.demo import Demo
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.widgets.message_list import MessageList


@pytest.fixture(scope="module")
def demo():
    """One demo (its server with the seeded mailboxes) for this module's tests."""
    running = Demo(new_mail_after=1.0)
    yield running
    running.stop()


async def test_demo_pushes_new_mail_and_sends_to_bob(demo):
    service = MailService({demo.account.name: demo.account}, password_for=lambda _a: demo.password)
    app = TuimailApp(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        lst = app.screen.query_one(MessageList)
        await wait_for(
            pilot,
            lambda: any("pushed by IDLE" in (lst.row_at(i).subject or "") for i in range(3)),
            timeout=30,
        )
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        screen.query_one("#compose-to", Input).value = demo.bob.email
        screen.query_one("#compose-subject", Input).value = "Hello from the demo"
        screen.query_one("#compose-body", TextArea).text = "It works.\n"
        before = len(demo.server.messages(demo.bob))
        await pilot.press("ctrl+s")
        # wait without blocking the app's loop (the send starts from a key binding)
        await wait_for(pilot, lambda: len(demo.server.messages(demo.bob)) > before, timeout=30)
        demo.server.wait_for_message(
            demo.bob, lambda raw: b"Hello from the demo" in raw, timeout=20
        )
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


def test_demo_mode_never_touches_the_users_config(monkeypatch, isolated_home):
    import os

    from tuimail.cli.app import run_app

    seen: dict = {}

    def fake_run(self) -> None:
        seen["config_home"] = os.environ["XDG_CONFIG_HOME"]
        seen["accounts"] = list(self.service.accounts)
        seen["password_in_config"] = any(
            "demo-password" in p.read_text()
            for p in __import__("pathlib").Path(os.environ["XDG_CONFIG_HOME"]).rglob("*.toml")
        )

    monkeypatch.setattr(TuimailApp, "run", fake_run)
    assert run_app(demo=True) == 0
    assert seen["accounts"] == ["demo"]
    assert not seen["config_home"].startswith(str(isolated_home))
    assert not seen["password_in_config"]
    assert not (isolated_home / "config" / "tuimail").exists()


def test_the_demos_new_mail_delay_comes_from_the_environment(monkeypatch):
    from tuimail.cli.app import _demo_new_mail_after

    assert _demo_new_mail_after() == 5.0
    for given, seconds in (("1", 1.0), ("0.5", 0.5), ("soon", 5.0), ("-1", 5.0), ("nan", 5.0)):
        monkeypatch.setenv("TUIMAIL_DEMO_NEW_MAIL_AFTER", given)
        assert _demo_new_mail_after() == seconds, given


async def test_in_the_demo_the_wizard_sets_up_bob_from_his_address_alone(demo):
    """+ in the demo: "bob@example.test" and his password are enough, as for a real
    provider (the wizard asks the demo's DNS server and trusts its CA). It used to find
    nothing ("smtp.example.test does not exist"): it asked the system's DNS."""
    from tests.ui.wizard_helpers import SIZE, detect, put, save, verify

    service = MailService({demo.account.name: demo.account}, password_for=demo.password_for)
    app = TuimailApp(service, start_sync=False, wizard=demo.wizard)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WizardScreen")
        screen = app.screen
        put(screen, email=demo.bob.email, password=demo.bob.password)
        screen.query_one("#wiz-storage", Select).value = "ask"  # no keyring here
        await detect(pilot, screen)
        assert screen.query_one("#wiz-in-host", Input).value == "imap.example.test"
        await verify(pilot, screen)
        assert screen.verified
        await save(pilot, app)
        assert "example" in service.accounts
        await wait_for(pilot, lambda: service.states()["example"].phase == "online", 30)
