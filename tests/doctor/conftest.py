"""Accounts on the bundled server for the doctor tests."""

from __future__ import annotations

import gc

import pytest

from testserver.certs import TestCA
from testserver.server import MailServer
from tuimail.core.account import Account, ServerSettings


def make_account(server, user, protocol="imap", security="tls", smtp_security="tls") -> Account:
    p = server.ports
    inc = {
        ("imap", "tls"): p.imap_tls,
        ("imap", "starttls"): p.imap_starttls,
        ("pop3", "tls"): p.pop3_tls,
        ("pop3", "starttls"): p.pop3_starttls,
    }[(protocol, security)]
    out = p.smtp_tls if smtp_security == "tls" else p.smtp_starttls
    return Account(
        name="t",
        email=user.email,
        username=user.login,
        incoming=ServerSettings("localhost", inc, security),
        outgoing=ServerSettings("localhost", out, smtp_security),
        protocol=protocol,
        ca_file=server.ca_file,
    )


@pytest.fixture(params=["expired", "wrong_host"])
def bad_cert_server(request: pytest.FixtureRequest, test_ca: TestCA):
    with MailServer(ca=test_ca, cert=request.param) as server:
        server.cert_kind = request.param
        yield server
    gc.collect()  # see tests/accounts/conftest.py: finalizers of failed handshakes
