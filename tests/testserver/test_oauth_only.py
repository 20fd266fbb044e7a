"""The oauth_only fault: the bundled servers offer and accept no password login (as
Exchange Online), while OAUTHBEARER/XOAUTH2 still work."""

from __future__ import annotations

import poplib
import smtplib

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from testserver.server import MailServer
from tuimail.core.tls import client_context


@pytest.fixture
def oauth_only(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        for protocol in ("imap", "pop3", "smtp"):
            server.faults.add(protocol=protocol, kind="oauth_only")
        yield server


def test_imap_offers_and_takes_no_password(oauth_only) -> None:
    user = oauth_only.new_user()
    with IMAPClient(oauth_only.host, port=oauth_only.ports.imap_tls, timeout=10,
                    ssl_context=client_context(oauth_only.ca_file)) as client:  # fmt: skip
        caps = set(client.capabilities())
        assert b"LOGINDISABLED" in caps and b"AUTH=PLAIN" not in caps
        assert {b"AUTH=OAUTHBEARER", b"AUTH=XOAUTH2"} <= caps
        with pytest.raises(LoginError, match="CANNOT"):
            client.login(user.login, user.password)
        with pytest.raises(LoginError, match="CANNOT"):
            client.plain_login(user.login, user.password)


def test_pop3_offers_and_takes_no_password(oauth_only) -> None:
    user = oauth_only.new_user()
    client = poplib.POP3_SSL(oauth_only.host, oauth_only.ports.pop3_tls, timeout=10,
                             context=client_context(oauth_only.ca_file))  # fmt: skip
    try:
        capa = client.capa()
        assert "USER" not in capa and capa["SASL"] == ["OAUTHBEARER", "XOAUTH2"]
        with pytest.raises(poplib.error_proto, match="disabled"):
            client.user(user.login)
        with pytest.raises(poplib.error_proto, match="disabled"):
            client._shortcmd("AUTH PLAIN AHVzZXIAcGFzcw==")
    finally:
        client.quit()


def test_smtp_offers_and_takes_only_oauth(oauth_only) -> None:
    user = oauth_only.new_user()
    with smtplib.SMTP_SSL(oauth_only.host, oauth_only.ports.smtp_tls, timeout=10,
                          context=client_context(oauth_only.ca_file)) as smtp:  # fmt: skip
        smtp.ehlo()
        assert smtp.esmtp_features["auth"].split() == ["XOAUTH2", "OAUTHBEARER"]
        smtp.esmtp_features["auth"] = "PLAIN"  # try it anyway
        with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
            smtp.login(user.login, user.password)
        assert caught.value.smtp_code == 504
