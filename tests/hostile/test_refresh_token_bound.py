"""A refresh token is sent back only to the token endpoint that issued it: an account whose
settings later name another authorization server (config.toml edited, the provider
changed) signs in again, and the old server's credential never reaches the new one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.hostile.scripted import Conn
from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.core.oauth2 import tokens
from tuimail.core.oauth2.tokens import NeedsSignIn

pytestmark = pytest.mark.timeout(60)


def _http_recorder(conn: Conn) -> None:
    """Reads the request (recorded by the scripted server) and answers nothing useful."""
    while conn.readline():
        pass


def test_a_refresh_token_never_goes_to_another_token_endpoint(test_ca, scripted) -> None:
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        user = server.new_user()
        account = oauth_account(server, user)
        device_sign_in(server, user, account)
        tokens._held.pop(account.name, None)  # as in a new process: the stored token only
        with scripted(_http_recorder) as other:
            moved = replace(
                account,
                oauth2={**account.oauth2, "token_endpoint": f"https://127.0.0.1:{other.port}/t"},
            )
            with pytest.raises(NeedsSignIn):
                tokens.access_token(moved)
        assert other.connections == [] and other.received == b""
        # the account as it was still uses its own sign-in
        assert tokens.access_token(account).reveal()
