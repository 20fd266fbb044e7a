"""Accounts on the bundled server for the doctor tests."""

from __future__ import annotations

import pytest

from tests.fixtures.testbeds import collect_garbage
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


def healthy_zone(server, domain: str | None = None) -> str:
    """Serve a zone on which every DNS check is ok for accounts from `make_account`
    (incoming and outgoing host "localhost"); returns the --nameserver value to pass."""
    d = domain or server.domain
    zone = server.default_zone()
    p = server.ports
    srv = {
        "_imaps._tcp": p.imap_tls,
        "_imap._tcp": p.imap_starttls,
        "_pop3s._tcp": p.pop3_tls,
        "_pop3._tcp": p.pop3_starttls,
        "_submissions._tcp": p.smtp_tls,
        "_submission._tcp": p.smtp_starttls,
    }
    for label, port in srv.items():
        zone.pop(f"{label}.{server.domain}", None)
        if port:
            zone[f"{label}.{d}"] = [("SRV", f"0 1 {port} localhost.")]
    zone[d] = [("A", "127.0.0.1"), ("MX", f"10 mx.{d}."), ("TXT", "v=spf1 mx -all")]
    zone[f"mx.{d}"] = [("A", "127.0.0.1")]
    zone[f"_dmarc.{d}"] = [("TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")]
    zone[f"_mta-sts.{d}"] = [("TXT", "v=STSv1; id=20260101")]
    zone[f"_smtp._tls.{d}"] = [("TXT", f"v=TLSRPTv1; rua=mailto:tls@{d}")]
    zone["localhost"] = [("A", "127.0.0.1")]
    zone["1.0.0.127.in-addr.arpa"] = [("PTR", "localhost.")]
    server.set_dns(zone)
    return f"127.0.0.1:{server.dns_port}"


@pytest.fixture(params=["expired", "wrong_host"])
def bad_cert_server(request: pytest.FixtureRequest, test_ca: TestCA):
    with MailServer(ca=test_ca, cert=request.param) as server:
        server.cert_kind = request.param
        yield server
    collect_garbage()  # see tests/accounts/conftest.py: finalizers of failed handshakes


@pytest.fixture(autouse=True)
def doctor_dns_stays_local(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """`run_checks` without a nameserver would ask this machine's resolver, which may be
    off the machine. Here such a call gets the bundled server's DNS serving `healthy_zone`
    (tests using `mail_server`); anywhere else it fails the test. Prefer passing
    nameserver=healthy_zone(mail_server) explicitly."""
    from tuimail.core.doctor import runner

    real = runner.check_dns

    def check_dns(account, nameserver, *args, **kwargs):
        if nameserver is None:
            if "mail_server" not in request.fixturenames:
                raise AssertionError("doctor DNS checks in tests must be given a nameserver")
            nameserver = healthy_zone(request.getfixturevalue("mail_server"))
        return real(account, nameserver, *args, **kwargs)

    monkeypatch.setattr(runner, "check_dns", check_dns)
