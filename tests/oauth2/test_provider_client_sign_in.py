"""End to end on the bundled server: an account whose oauth2 table names only the
authorization server (issuer and endpoints) signs in with the client id and secret of its
provider's [oauth2_clients] table, and logs in to IMAP and SMTP with the token."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.oauth2.helpers import oauth_account
from testserver.oauth import CONFIDENTIAL_ID, CONFIDENTIAL_SECRET
from testserver.server import MailServer
from tuimail.core.config import config_path, load_config, save_account
from tuimail.core.oauth2 import tokens


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


def test_sign_in_with_only_the_provider_level_client_id(mail_server) -> None:
    user = mail_server.new_user()
    issuer_host = mail_server.oauth.issuer.removeprefix("https://")
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[oauth2_clients."{issuer_host}"]\n'
        f'client_id = "{CONFIDENTIAL_ID}"\nclient_secret = "{CONFIDENTIAL_SECRET}"\n'
    )
    account = oauth_account(mail_server, user, oauth2_token_store="file")
    del account.oauth2["client_id"]  # the account names the server, not the client
    save_account(account)
    assert path.read_text().count("client_id") == 1
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "account", "login", "w", "--no-qr"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        code = None
        for line in proc.stdout:
            code = re.fullmatch(r"\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*", line)
            if code:
                break
        assert code is not None, proc.stderr.read()
        mail_server.oauth.approve_device(code.group(1), user.login, user.password)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.count("Login ok: ") == 2  # IMAP and SMTP took the token
    loaded = load_config().accounts["w"]
    assert tokens.endpoints(loaded).client_id == CONFIDENTIAL_ID
    assert tokens.access_token(loaded).reveal()  # renewed with the provider's client
    assert CONFIDENTIAL_SECRET not in out + err


def test_account_add_takes_the_client_id_from_the_provider_table(capsys) -> None:
    from tuimail.__main__ import main

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[oauth2_clients.microsoft]\nclient_id = "prov"\n')
    common = ["--auth", "oauth2", "--incoming", "outlook.office365.com:993",
              "--outgoing", "smtp.office365.com:587", "--outgoing-security", "starttls"]  # fmt: skip
    assert main(["account", "add", "ms", "--email", "me@outlook.test",
                 "--oauth2-provider", "outlook", *common]) == 0  # fmt: skip
    ms = load_config().accounts["ms"]
    assert ms.oauth2 == {"provider": "outlook"} and tokens.endpoints(ms).client_id == "prov"
    assert path.read_text().count("client_id") == 1
    # Another provider has no table: a usage error naming both ways, nothing saved.
    assert main(["account", "add", "g", "--email", "me@gmail.test",
                 "--oauth2-provider", "google", *common]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "needs --client-id" in err and "[oauth2_clients.PROVIDER]" in err
    assert "g" not in load_config().accounts
