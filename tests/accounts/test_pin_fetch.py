"""fetch_pin: a key fingerprint only for certificates no authority vouches for."""

from __future__ import annotations

import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from testserver.server import MailServer
from tuimail.core.account import ServerSettings
from tuimail.core.connect import open_imap
from tuimail.core.discovery.pin import fetch_pin, format_pin
from tuimail.core.tls import spki_sha256


def _expected_pin(server: MailServer) -> str:
    pem = Path(server.certificate.cert_file).read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    return spki_sha256(der)


def test_self_signed_pin_on_every_protocol_and_security(test_ca) -> None:
    with MailServer(ca=test_ca, cert="self_signed", protocols=("imap", "pop3", "smtp")) as s:
        expected = _expected_pin(s)
        p = s.ports
        for protocol, port, security in [
            ("imap", p.imap_tls, "tls"),
            ("imap", p.imap_starttls, "starttls"),
            ("pop3", p.pop3_tls, "tls"),
            ("pop3", p.pop3_starttls, "starttls"),
            ("smtp", p.smtp_tls, "tls"),
            ("smtp", p.smtp_starttls, "starttls"),
        ]:
            pin = fetch_pin(s.host, port, security, protocol, timeout=5, ca_file=s.ca_file)
            assert pin == expected, (protocol, security)
        # The pin it gives is one the connection layer accepts for that host and port.
        settings = ServerSettings(s.host, p.imap_tls, "tls", pinned_sha256=expected)
        client = open_imap(settings, None, 5)
        client.logout()


def test_unknown_authority_gets_a_pin_but_a_trusted_server_does_not(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=("imap",)) as s:
        port = s.ports.imap_tls
        assert fetch_pin(s.host, port, "tls", "imap", timeout=5, ca_file=s.ca_file) is None
        # Without the CA file the issuer is unknown: offered for the user to compare.
        assert fetch_pin(s.host, port, "tls", "imap", timeout=5) == _expected_pin(s)
        assert fetch_pin(s.host, port, "plain", "imap", timeout=5) is None


def test_no_pin_for_expired_or_wrong_host_or_unreachable(test_ca) -> None:
    for kind in ("expired", "wrong_host"):
        with MailServer(ca=test_ca, cert=kind, protocols=("imap",)) as s:
            got = fetch_pin(s.host, s.ports.imap_tls, "tls", "imap", timeout=5, ca_file=s.ca_file)
            assert got is None, kind
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert fetch_pin("127.0.0.1", port, "tls", "imap", timeout=2) is None


def test_format_pin() -> None:
    assert format_pin("ABCDEF01") == "ab:cd:ef:01"
    assert format_pin("ab:cd") == "ab:cd"
