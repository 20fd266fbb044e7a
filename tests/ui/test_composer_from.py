"""With more than one account the composer has a From: choice, and the message goes out
through the chosen account's server with its address; with one account there is none."""

from __future__ import annotations

from textual.widgets import Select, TextArea

from tests.ui.helpers import (
    NOW,
    account_for,
    make_app,
    open_composer,
    ready,
    seed,
    wait_for,
)
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp


async def test_from_choice_sends_through_the_chosen_account(mail_server):
    work, home, bob = mail_server.new_user(), mail_server.new_user(), mail_server.new_user()
    seed(mail_server, work, 1)
    accounts = {"work": account_for(mail_server, work, "work"),
                "home": account_for(mail_server, home, "home")}  # fmt: skip
    passwords = {"work": Secret(work.password), "home": Secret(home.password)}
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    app = TuimailApp(service, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        choice = screen.query_one("#compose-from", Select)
        default = app._default_account()
        assert choice.value == (default, accounts[default].email)
        choice.value = ("home", home.email)
        screen.query_one("#compose-to").value = bob.email
        screen.query_one("#compose-subject").value = "From the home account"
        screen.query_one("#compose-body", TextArea).text = "Hi Bob.\n"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: any(b"From the home account" in m for m in mail_server.messages(bob)),
            timeout=20,
        )  # fmt: skip
        [raw] = [m for m in mail_server.messages(bob) if b"From the home account" in m]
        head = raw.split(b"\r\n\r\n", 1)[0].decode()
        assert f"<{home.email}>" in head and work.email not in head


async def test_one_account_has_no_from_choice(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert not (await open_composer(pilot)).query("#compose-from")
