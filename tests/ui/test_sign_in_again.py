"""The app asks to sign in (device sign-in in a dialog, the code as plain text) when an
OAuth account has no usable sign-in: at the first sync, and after the provider revoked it
(then on the user's Ctrl+R); the mail syncs after approval and nothing queued is lost."""

from __future__ import annotations

import pytest
from textual.widgets import Label

from tests.oauth2.helpers import oauth_account
from tests.ui.helpers import NOW, seed, settle, wait_for
from testserver.server import MailServer
from tuimail.core.oauth2 import store, tokens
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.sign_in import SignInDialog
from tuimail.ui.widgets.message_list import MessageList


@pytest.fixture
def server(test_ca):
    store._memory.clear()
    tokens._held.clear()
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server
    store._memory.clear()
    tokens._held.clear()


async def _approve(pilot, app, server, user) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, SignInDialog), timeout=30)
    code = str(app.screen.query_one("#signin-code", Label).render())
    server.oauth.approve_device(code, user.login, user.password)
    await wait_for(pilot, lambda: not isinstance(app.screen, SignInDialog), timeout=30)


async def test_the_app_asks_to_sign_in_and_again_after_revocation(server) -> None:
    user = server.new_user()
    seed(server, user, 2)
    account = oauth_account(server, user)
    app = TuimailApp(MailService({account.name: account}), now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await _approve(pilot, app, server, user)
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        assert app.screen.query_one(MessageList).count == 2

    server.store.tokens.revoke_login(user.login)  # "sign out everywhere" while tuimail is off
    tokens.held(account).expires_at = 0
    seed(server, user, 3)
    app = TuimailApp(MailService({account.name: account}), now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await _approve(pilot, app, server, user)  # asked again, then it resumes
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await wait_for(pilot, lambda: app.screen.query_one(MessageList).count == 5, timeout=30)
