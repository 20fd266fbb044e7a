"""Detection and login verification against the real Dovecot + Postfix (interop bed)."""

from __future__ import annotations

import pytest

from testserver.server import MailServer
from tuimail.core.discovery.detect import DetectOptions, detect
from tuimail.core.secrets import Secret

pytestmark = pytest.mark.interop


@pytest.fixture
def dns_only(test_ca):
    """The bundled server's DNS only (no mail protocols): names for the real peer."""
    with MailServer(ca=test_ca, protocols=()) as server:
        yield server


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_detect_and_verify_login_on_dovecot(dovecot_peer, dns_only, security) -> None:
    p = dovecot_peer.ports
    if security == "tls":
        srv = {
            "_imaps._tcp.example.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "_submissions._tcp.example.test": [("SRV", f"0 1 {p.smtp_tls} smtp.example.test.")],
        }
    else:  # Dovecot refuses LOGIN before STARTTLS (LOGINDISABLED): a real STARTTLS test
        srv = {
            "_imap._tcp.example.test": [("SRV", f"0 1 {p.imap_starttls} imap.example.test.")],
            "_submission._tcp.example.test": [("SRV", f"0 1 {p.smtp_starttls} smtp.example.test.")],
        }
    address = [("A", dovecot_peer.host)]
    dns_only.set_dns({**srv, "imap.example.test": address, "smtp.example.test": address})
    user = dovecot_peer.new_user()
    opts = DetectOptions(
        nameserver=f"127.0.0.1:{dns_only.dns_port}",
        https_port=dns_only.https_port,
        ca_file=dovecot_peer.ca_file,
        timeout=5.0,
        password=Secret(user.password),
    )
    result = detect(user.email, opts)
    assert result.found, result.error
    assert result.source == "srv"
    assert result.incoming.candidate.security == security
    assert result.login_ok is True, [c.detail for c in result.logins]
    assert "PLAIN" in result.outgoing.auth_mechanisms
    opts.password = Secret("wrong-password")
    result = detect(user.email, opts)
    assert result.login_ok is False
    assert any(c.rejected for c in result.logins)
