"""The setup wizard never saves over an account that exists: the default name (the
domain's first label) of a second address at the same provider would replace the first
account, its aliases, identities and settings with it."""

from __future__ import annotations

from tests.ui.helpers import wait_for
from tests.ui.wizard_helpers import SIZE, choose, log_of, manual, put, save, verify, wizard_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import load_config, save_account
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.wizard import WizardScreen


async def test_an_existing_account_name_is_refused_and_another_saves(mail_server):
    user = mail_server.new_user()
    first = Account(
        name=user.email.split("@")[1].split(".")[0],  # the wizard's default name
        email="first@" + user.email.split("@")[1],
        incoming=ServerSettings("imap.elsewhere.test", 993),
        outgoing=ServerSettings("smtp.elsewhere.test", 465),
        extra={"aliases": ["me@elsewhere.test"], "timeout": 45},
    )
    save_account(first)
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        put(screen, email=user.email, password=user.password)
        manual(screen, mail_server)
        await verify(pilot, screen)
        assert screen.verified, log_of(screen)
        choose(screen, "storage", "ask")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "already exists" in log_of(screen))
        assert isinstance(app.screen, WizardScreen)
        assert load_config().accounts == {first.name: first}
        put(screen, name="second")
        await save(pilot, app)
    accounts = load_config().accounts
    assert accounts[first.name] == first
    assert accounts["second"].email == user.email
