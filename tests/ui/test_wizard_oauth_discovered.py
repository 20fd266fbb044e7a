"""A server that offers only OAuth logins, known to no provider database: the wizard asks
the IMAP server where to sign in (RFC 7628 3.2.2, no credential sent), offers "Sign in with
<issuer host>", runs the device sign-in with the user's client id (or the config's
[oauth2_clients] entry) and saves the discovered endpoints with auth = "oauth2"."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Button, Input

from tests.ui.helpers import settle, wait_for
from tests.ui.wizard_helpers import choose, detect, log_of, shown, wizard_for
from testserver.oauth import CLIENT_ID
from testserver.server import MailServer
from tuimail.core.config import config_path, load_config
from tuimail.core.oauth2 import tokens
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.wizard import WizardScreen


@pytest.fixture
def oauth_only_server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        for protocol in ("imap", "pop3", "smtp"):
            server.faults.add(protocol=protocol, kind="oauth_only")
        yield server


async def _sign_in(server, user, client_id: str, protocol: str = "imap") -> None:
    app = TuimailApp(None, wizard=wizard_for(server))
    host = server.oauth.issuer.removeprefix("https://")
    async with app.run_test(size=(120, 70)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        screen.query_one("#wiz-email", Input).value = user.email
        choose(screen, "protocol", protocol)
        await detect(pilot, screen)
        await wait_for(pilot, lambda: shown(screen, "wiz-oauth"), timeout=30)
        assert "no credential is sent" in log_of(screen)
        assert str(screen.query_one("#wiz-oauth-signin", Button).label) == f"Sign in with {host}"
        box = str(screen.query_one("#wiz-oauth-text").render())
        assert "client id" in box and f'[oauth2_clients."{host}"]' in box
        screen.query_one("#wiz-client-id", Input).value = client_id
        screen.query_one("#wiz-oauth-signin", Button).press()
        await wait_for(pilot, lambda: "enter the code" in log_of(screen), timeout=30)
        code = re.search(r"enter the code ([A-Z0-9]{4}-[A-Z0-9]{4})", log_of(screen)).group(1)
        screen.query_one("#wiz-in-host", Input).value = server.host
        screen.query_one("#wiz-out-host", Input).value = server.host
        server.oauth.approve_device(code, user.login, user.password)
        await wait_for(pilot, lambda: screen.verified, timeout=30)
        await settle(pilot)
        assert "verified with the token" in log_of(screen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, WizardScreen), timeout=10)


async def test_sign_in_with_the_server_named_authorization_server(oauth_only_server) -> None:
    server = oauth_only_server
    user = server.new_user()
    await _sign_in(server, user, CLIENT_ID)
    saved = next(iter(load_config().accounts.values()))
    meta = server.oauth.metadata()
    assert saved.auth == "oauth2" and saved.password_command is None
    assert saved.oauth2["client_id"] == CLIENT_ID
    assert saved.oauth2["issuer"] == server.oauth.issuer
    assert saved.oauth2["token_endpoint"] == meta["token_endpoint"]
    assert saved.oauth2["device_authorization_endpoint"] == meta["device_authorization_endpoint"]
    assert tokens.held(saved) is not None
    # The discovery was one attempt with no user and no token; no login failed otherwise.
    attempts = server.protocol_server("imap").auth_log
    assert any(a.login == "" and not a.success for a in attempts)
    assert all(a.success for a in attempts if a.login)


async def test_an_empty_client_id_uses_the_config_table_of_that_issuer(oauth_only_server) -> None:
    server = oauth_only_server
    user = server.new_user()
    host = server.oauth.issuer.removeprefix("https://")
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[oauth2_clients."{host}"]\nclient_id = "{CLIENT_ID}"\n')
    await _sign_in(server, user, "")
    saved = next(iter(load_config().accounts.values()))
    assert "client_id" not in saved.oauth2 and saved.oauth2_client["client_id"] == CLIENT_ID
    assert path.read_text().count("client_id") == 1


async def test_a_pop3_account_asks_its_pop3_server(oauth_only_server) -> None:
    server = oauth_only_server
    user = server.new_user()
    await _sign_in(server, user, CLIENT_ID, protocol="pop3")
    saved = next(iter(load_config().accounts.values()))
    assert saved.protocol == "pop3" and saved.auth == "oauth2"
    assert saved.oauth2["token_endpoint"] == server.oauth.metadata()["token_endpoint"]
    attempts = server.protocol_server("pop3").auth_log
    assert any(a.login == "" and not a.success for a in attempts)  # the discovery
    assert server.protocol_server("imap").auth_log == []


async def test_a_server_that_cannot_be_asked_is_said_in_words(oauth_only_server) -> None:
    """The IMAP server answers the sign-in question with bytes that are not IMAP: the
    wizard's log says why in words made from the typed error (never an empty reason)."""
    server = oauth_only_server
    server.faults.add(protocol="imap", kind="garbage", command="AUTHENTICATE",
                      data=b"\x01\x02 not imap at all\r\n")  # fmt: skip
    app = TuimailApp(None, wizard=wizard_for(server))
    async with app.run_test(size=(120, 70)) as pilot:
        screen = app.screen
        screen.query_one("#wiz-email", Input).value = server.new_user().email
        choose(screen, "protocol", "imap")
        await detect(pilot, screen)
        await wait_for(pilot, lambda: "Could not ask" in log_of(screen), timeout=30)
        line = next(x for x in log_of(screen).splitlines() if "Could not ask" in x)
        assert line.startswith("\u2717 Could not ask ") and line.endswith(
            " where to sign in: the mail server closed the connection."
        ), line


async def test_a_broken_clients_table_is_said_in_the_config_s_words(oauth_only_server) -> None:
    """No client id typed and a [oauth2_clients] table that cannot be used: the wizard's
    log says what is wrong with the file (tuimail.words.config), and nothing is signed in."""
    server = oauth_only_server
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[oauth2_clients.example]\nclient_secret = "s"\n')
    app = TuimailApp(None, wizard=wizard_for(server))
    async with app.run_test(size=(120, 70)) as pilot:
        screen = app.screen
        screen.query_one("#wiz-email", Input).value = server.new_user().email
        choose(screen, "protocol", "imap")
        await detect(pilot, screen)
        await wait_for(pilot, lambda: shown(screen, "wiz-oauth"), timeout=30)
        screen.query_one("#wiz-oauth-signin", Button).press()
        words = (
            f"{path}, line 1: in [oauth2_clients.example], 'client_id' must be the client id "
            "you registered with the provider (docs/config.md says how)."
        )
        await wait_for(pilot, lambda: words in log_of(screen), timeout=10)
        assert not screen.signing_in and "enter the code" not in log_of(screen)
