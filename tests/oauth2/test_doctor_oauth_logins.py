"""`tuimail doctor` on an OAuth account logs in to IMAP and SMTP with the token through the
shared logins, and explains a token the servers reject (after one renewal)."""

from __future__ import annotations

import json

import pytest

from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.__main__ import main
from tuimail.core.config import save_account


@pytest.fixture
def server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


def _checks(capsys) -> dict:
    data = json.loads(capsys.readouterr().out)
    return {(c["group"].split()[0], c["name"]): c for c in data["checks"]}


def test_doctor_logs_in_with_the_token(server, capsys) -> None:
    user = server.new_user()
    account = oauth_account(server, user, oauth2_token_store="file")
    save_account(account)
    device_sign_in(server, user, account)
    main(["doctor", "w", "--json", "--no-send", "--timeout", "10"])
    checks = _checks(capsys)
    logins = {k: c for k, c in checks.items() if k[1] == "login"}
    assert logins and all(c["status"] == "ok" for c in logins.values()), logins
    assert checks[("OAuth", "token")]["status"] == "ok"


def test_doctor_explains_a_token_the_servers_reject(server, capsys) -> None:
    owner, other = server.new_user(), server.new_user()
    account = oauth_account(server, owner, oauth2_token_store="file")
    save_account(account)
    device_sign_in(server, other, account)  # signed in as someone else
    assert main(["doctor", "w", "--json", "--no-send", "--timeout", "10"]) == 1
    checks = _checks(capsys)
    logins = [c for k, c in checks.items() if k[1] == "login"]
    assert logins and all(c["status"] == "failure" for c in logins)
    assert all("rejected the OAuth token" in c["seen"] for c in logins)
    assert all(owner.login in c["seen"] and "after renewing" in c["seen"] for c in logins)
    assert all("[AUTHENTICATIONFAILED]" in c["seen"] or "535" in c["seen"] for c in logins)
    assert all("tuimail account login w" in c["fix"] for c in logins)
    assert checks[("OAuth", "scopes")]["status"] == "warning"  # introspection: another user
