"""Detection from the shipped ISP database when no server can be reached (here: a DNS
server that knows no name, as offline): the database's settings are given, marked as not
verified by a probe, with what they say about OAuth 2.0."""

from __future__ import annotations

import json

import pytest

from tests.accounts.helpers import cli_args
from tuimail.__main__ import main


@pytest.fixture
def offline(mail_server):
    mail_server.set_dns({})  # nothing resolves: no server answers
    return cli_args(mail_server)


def test_gmail_offline_gives_the_database_settings_and_oauth_offered(offline, capsys) -> None:
    code = main(["detect", "me@gmail.com", *offline])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "Incoming: IMAP imap.gmail.com port 993, TLS (encrypted) "
        "(from the ISP database; not verified by a probe)" in out
    )
    assert "Outgoing: SMTP smtp.gmail.com port 465" in out
    assert "Sign-in: Google Mail offers OAuth 2.0" in out
    assert "were not tried" in out
    assert "Traceback" not in out


def test_outlook_offline_says_oauth_is_required_in_json(offline, capsys) -> None:
    code = main(["detect", "me@outlook.com", "--json", *offline])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["found"] is True and data["source"] == "ispdb"
    assert data["incoming"]["host"] == "outlook.office365.com"
    assert data["incoming"]["verified"] is False and data["incoming"]["source"] == "ispdb"
    assert data["outgoing"]["host"] == "smtp-mail.outlook.com"
    assert data["outgoing"]["security"] == "starttls"
    assert data["oauth2"]["required"] is True
    assert data["oauth2"]["issuer"] == "login.microsoftonline.com"
    assert data["needs_confirmation"] == []  # shipped data, not DNS: nothing to confirm
    assert any("ISP database" in w for w in data["warnings"])


def test_a_domain_outside_the_database_still_finds_nothing(offline, capsys) -> None:
    assert main(["detect", "me@nothing.test", "--json", *offline]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is False and data["oauth2"] is None
