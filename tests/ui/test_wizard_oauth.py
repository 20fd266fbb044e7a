"""The wizard offers "Sign in with <provider>" when detection says the provider signs in
with OAuth 2.0 (here: the domain's autoconfig document has an <oAuth2> block naming the
bundled authorization server), runs the device sign-in showing the code as plain text,
and saves the account with auth = "oauth2" and no password."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Button, Input

from tests.accounts.helpers import LOCAL
from tests.ui.helpers import settle, wait_for
from tests.ui.wizard_helpers import detect, log_of, shown, wizard_for
from testserver.autoconfig import autoconfig_xml
from testserver.oauth import CLIENT_ID
from testserver.server import MailServer
from tuimail.core.config import load_config
from tuimail.core.oauth2 import tokens
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.wizard import WizardScreen


@pytest.fixture
def oauth_server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        p = server.ports
        domain = server.domain
        server.set_dns({f"autoconfig.{domain}": LOCAL, f"mail.{domain}": LOCAL})
        meta = server.oauth.metadata()
        server.set_autoconfig(
            domain,
            autoconfig_xml(
                domain,
                imap=(f"mail.{domain}", p.imap_tls, "SSL"),
                smtp=(f"mail.{domain}", p.smtp_tls, "SSL"),
                authentication="OAuth2",
                oauth2={
                    "issuer": server.oauth.issuer,
                    "scope": "mail",
                    "authURL": meta["authorization_endpoint"],
                    "tokenURL": meta["token_endpoint"],
                },
            ),
        )
        yield server


async def test_sign_in_with_the_provider_from_the_wizard(oauth_server) -> None:
    user = oauth_server.new_user()
    app = TuimailApp(None, wizard=wizard_for(oauth_server))
    async with app.run_test(size=(120, 70)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        screen.query_one("#wiz-email", Input).value = user.email
        await detect(pilot, screen)
        assert shown(screen, "wiz-oauth"), log_of(screen)
        label = str(screen.query_one("#wiz-oauth-signin", Button).label)
        assert label == f"Sign in with {oauth_server.domain}"
        screen.query_one("#wiz-client-id", Input).value = CLIENT_ID
        screen.query_one("#wiz-oauth-signin", Button).press()
        await wait_for(pilot, lambda: "enter the code" in log_of(screen), timeout=30)
        code = re.search(r"enter the code ([A-Z0-9]{4}-[A-Z0-9]{4})", log_of(screen)).group(1)
        assert f"open {oauth_server.oauth.issuer}/device" in log_of(screen)
        # The test's DNS names resolve only through its DNS server: the servers by address.
        screen.query_one("#wiz-in-host", Input).value = oauth_server.host
        screen.query_one("#wiz-out-host", Input).value = oauth_server.host
        oauth_server.oauth.approve_device(code, user.login, user.password)
        await wait_for(pilot, lambda: screen.verified, timeout=30)
        await settle(pilot)
        assert "Signed in" in log_of(screen)
        assert "login (incoming)" in log_of(screen) and "verified with the token" in log_of(screen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, WizardScreen), timeout=10)
    saved = next(iter(load_config().accounts.values()))
    assert saved.auth == "oauth2" and saved.password_command is None
    assert saved.oauth2["client_id"] == CLIENT_ID
    # The device endpoint came from the server's RFC 8414 metadata, and is kept.
    assert saved.oauth2["device_authorization_endpoint"].endswith("/device_authorization")
    assert tokens.held(saved) is not None  # the sign-in is held for this run
    assert user.password not in load_config().path.read_text()


async def test_a_password_provider_shows_no_sign_in_box(mail_server) -> None:
    user = mail_server.new_user()
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=(120, 70)) as pilot:
        screen = app.screen
        screen.query_one("#wiz-email", Input).value = user.email
        await detect(pilot, screen)
        assert not shown(screen, "wiz-oauth")
