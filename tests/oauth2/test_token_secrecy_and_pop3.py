"""A POP3 OAuth account syncs through the one POP3 login; with --debug (the IMAP
conversation logged) neither the token nor the base64 SASL response that carries it
reaches the log file or the terminal."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from tests.imap.helpers import message
from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.__main__ import main
from tuimail.core.config import save_account, state_dir
from tuimail.core.oauth2 import tokens
from tuimail.core.oauth2.sasl import initial_response


@pytest.fixture
def server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


def test_pop3_oauth_account_downloads_with_the_token(server, capsys) -> None:
    user = server.new_user()
    server.deliver(user, message(1, "over pop3 with a token"))
    account = oauth_account(server, user, protocol="pop3", oauth2_token_store="file")
    save_account(account)
    device_sign_in(server, user, account)
    assert main(["sync"]) == 0, capsys.readouterr().err
    assert main(["list", "--json"]) == 0
    assert "over pop3 with a token" in capsys.readouterr().out
    assert [a.success for a in server.protocol_server("pop3").auth_log] == [True]


def test_debug_log_never_holds_the_token(server, tmp_path) -> None:
    user = server.new_user()
    signed = oauth_account(server, user, name="source")
    device_sign_in(server, user, signed)
    token = tokens.access_token(signed).reveal()
    secret_file = tmp_path / "token"
    secret_file.write_text(token + "\n")
    account = oauth_account(server, user, oauth2=None,
                            oauth2_token_command=f"cat {secret_file}")  # fmt: skip
    save_account(account)
    proc = subprocess.run([sys.executable, "-m", "tuimail", "--debug", "sync"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    log = (state_dir() / "tuimail.log").read_text()
    assert "AUTHENTICATE" in log or "authenticate" in log.lower()  # the conversation is there
    carried = base64.b64encode(
        initial_response("OAUTHBEARER", user.login, token, server.host, server.ports.imap_tls)
    ).decode()
    for text in (log, proc.stdout, proc.stderr):
        assert token not in text and carried not in text
