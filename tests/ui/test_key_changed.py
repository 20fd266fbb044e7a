"""A trusted (pinned) server key that changed: the app says so with the old and new hash,
never a Python tuple, and Diagnose offers to trust the new key in one place for the
incoming and outgoing server alike; once trusted, mail works again. Against the bundled
server with a self-signed certificate."""

from __future__ import annotations

import gc
from dataclasses import replace

from textual.widgets import Button, Static

from tests.ui.helpers import account_for, wait_for
from tests.ui.wizard_helpers import key_pin
from testserver.server import MailServer
from tuimail import doctor_words
from tuimail.core.config import load_config, save_account
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.diagnose import DiagnoseScreen
from tuimail.words.status import state as state_words

OLD = "ab" * 32  # the key trusted before the server got a new one


async def test_changed_key_shown_with_both_hashes_and_trusted_again_in_diagnose(test_ca):
    with MailServer(ca=test_ca, cert="self_signed", protocols=("imap", "smtp")) as server:
        user = server.new_user()
        new = key_pin(server)
        account = account_for(server, user)
        account = replace(
            account,
            ca_file=None,
            incoming=replace(account.incoming, pinned_sha256=OLD),
            outgoing=replace(account.outgoing, pinned_sha256=OLD),
        )
        save_account(account)
        service = MailService(
            {account.name: account}, password_for=lambda _a: Secret(user.password), idle=False
        )
        app = TuimailApp(service)
        app.doctor_options = {"timeout": 5}
        async with app.run_test(size=(120, 50)) as pilot:
            await wait_for(pilot, lambda: app.synced, timeout=30)
            state = service.states()[account.name]
            assert state.state != "idle"
            assert OLD in state_words(state) and new in state_words(state), state_words(
                state
            )  # both hashes
            assert "('" not in state_words(state) and "was lost" not in state_words(state)
            assert "key changed" in state_words(state)
            await pilot.press("H")
            await wait_for(pilot, lambda: isinstance(app.screen, DiagnoseScreen))
            screen = app.screen
            box = screen.query_one("#diag-keys")
            await wait_for(pilot, lambda: not box.has_class("hidden"), timeout=30)
            text = str(screen.query_one("#diag-keys-text", Static).render())
            assert "Incoming server" in text and "Outgoing server" in text
            assert text.count(OLD) == 2 and text.count(new) == 2
            await wait_for(pilot, lambda: not screen.running, timeout=60)
            tls = [r for r in screen.results if r.name == "tls" and r.status == "failure"]
            assert len(tls) == 2, [(r.group, r.name, r.seen) for r in screen.results]
            for result in tls:
                said = doctor_words.seen(result)  # the finding as the screen words it
                assert "('" not in said and new in said
                assert "Trust the new key" in doctor_words.fix(result)
            assert "(t)" in str(screen.query_one("#diag-trust", Button).label)
            await pilot.press("t")
            await wait_for(pilot, lambda: box.has_class("hidden"))
            saved = load_config().accounts[account.name]
            assert saved.incoming.pinned_sha256 == new and saved.outgoing.pinned_sha256 == new
            await wait_for(pilot, lambda: not screen.running, timeout=60)
            assert not [r for r in screen.results if r.name == "tls" and r.status == "failure"]
            await pilot.press("escape")
            await wait_for(
                pilot, lambda: service.states()[account.name].state == "idle", timeout=30
            )
            assert service.accounts[account.name].incoming.pinned_sha256 == new
    gc.collect()
