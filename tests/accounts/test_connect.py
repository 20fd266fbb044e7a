"""The TLS policy in connect.py, over real sockets against the bundled server."""

from __future__ import annotations

import poplib
import ssl

import pytest

from tuimail.core.account import ServerSettings
from tuimail.core.connect import (
    PlaintextInjectionError,
    TLSRequiredError,
    open_imap,
    open_pop3,
    smtp_kwargs,
)
from tuimail.core.errors import SecurityFailure
from tuimail.core.net_errors import classify_transport
from tuimail.core.tls import spki_sha256
from tuimail.words.describe import describe

REASONS = {  # the bad certificate -> the TLS classifier's reason, and its words
    "expired": ("expired", "expired"),
    "wrong_host": ("hostname", "does not name this host"),
    "cn_only": ("hostname", "does not name this host"),
    "self_signed": ("untrusted", "self-signed"),
}


def _imap(server, security="tls", host="localhost", pin=None):
    port = server.ports.imap_tls if security == "tls" else server.ports.imap_starttls
    return open_imap(ServerSettings(host, port, security, pin), server.ca_file, 5)


def _pop3(server, security="tls", host="localhost", pin=None):
    port = server.ports.pop3_tls if security == "tls" else server.ports.pop3_starttls
    return open_pop3(ServerSettings(host, port, security, pin), server.ca_file, 5)


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imap_login_over_tls_and_starttls(imap_pop3_server, security) -> None:
    user = imap_pop3_server.new_user()
    client = _imap(imap_pop3_server, security)
    assert b"STARTTLS" not in client.capabilities()
    client.login(user.login, user.password)
    assert "INBOX" in [name for _f, _d, name in client.list_folders()]
    sock = client.socket()
    assert isinstance(sock, ssl.SSLSocket)
    assert sock.version() in ("TLSv1.2", "TLSv1.3")
    client.logout()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_pop3_login_over_tls_and_stls(imap_pop3_server, security) -> None:
    user = imap_pop3_server.new_user()
    pop = _pop3(imap_pop3_server, security)
    assert isinstance(pop.sock, ssl.SSLSocket)
    pop.user(user.login)
    pop.pass_(user.password)
    assert pop.stat()[0] == 0
    pop.quit()
    assert poplib._MAXLINE >= 1 << 20


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
@pytest.mark.parametrize("kind", ["strip_starttls", "no_starttls"])
def test_starttls_missing_is_an_error(imap_pop3_server, protocol, kind) -> None:
    imap_pop3_server.faults.add(protocol=protocol, kind=kind, port="starttls")
    opener = _imap if protocol == "imap" else _pop3
    with pytest.raises(TLSRequiredError, match="does not offer"):
        opener(imap_pop3_server, "starttls")


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_starttls_handshake_failure_is_an_error(imap_pop3_server, protocol) -> None:
    imap_pop3_server.faults.add(protocol=protocol, kind="starttls_fail", port="starttls")
    opener = _imap if protocol == "imap" else _pop3
    with pytest.raises(TLSRequiredError, match="accepted STARTTLS but then closed"):
        opener(imap_pop3_server, "starttls")


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_bytes_injected_after_starttls_reply_refused(imap_pop3_server, protocol) -> None:
    data = b"* OK [CAPABILITY IMAP4rev1 EVIL]\r\n" if protocol == "imap" else b"+OK evil\r\n"
    imap_pop3_server.faults.add(
        protocol=protocol, kind="inject_after_starttls", port="starttls", data=data
    )
    opener = _imap if protocol == "imap" else _pop3
    # Whether the bytes are seen waiting or the handshake meets them: refused as such.
    with pytest.raises(PlaintextInjectionError, match="tampering"):
        opener(imap_pop3_server, "starttls")


def test_untagged_responses_before_starttls_are_dropped(imap_pop3_server) -> None:
    imap_pop3_server.faults.add(
        protocol="imap",
        kind="inject_before_starttls",
        port="starttls",
        data=b"* CAPABILITY IMAP4rev1 INJECTEDCAP\r\n* 99 EXISTS\r\n",
    )
    client = _imap(imap_pop3_server, "starttls")
    assert b"INJECTEDCAP" not in client.capabilities()
    assert not any(b"99" in bytes(v) for v in client._imap.untagged_responses.get("EXISTS", []))
    client.logout()


def test_bad_certificates_rejected_with_reason(bad_cert_server) -> None:
    reason, said = REASONS[bad_cert_server.cert_kind]
    for opener in (_imap, _pop3):
        for security in ("tls", "starttls"):
            with pytest.raises(TLSRequiredError) as info:
                opener(bad_cert_server, security)
            assert info.value.reason == reason, info.value.reason
            error = classify_transport(info.value, "imap", "localhost")
            assert isinstance(error, SecurityFailure) and error.reason == reason
            assert said in describe(error), describe(error)


def test_pinned_self_signed_certificate_for_that_host_and_port(test_ca) -> None:
    from testserver.server import MailServer

    with MailServer(ca=test_ca, cert="self_signed", protocols=("imap",)) as server:
        der = ssl.PEM_cert_to_DER_cert(open(server.certificate.cert_file).read())
        pin = spki_sha256(der)
        user = server.new_user()
        client = _imap(server, "tls", pin=pin)
        client.login(user.login, user.password)
        client.logout()
        client = _imap(server, "starttls", pin=pin)
        client.logout()
        with pytest.raises(TLSRequiredError) as wrong:
            _imap(server, "tls", pin="00" * 32)
        assert wrong.value.reason == "pin" and wrong.value.data["expected"] == "00" * 32
        assert wrong.value.data["actual"] == pin
        # The pin is for that certificate only: another self-signed key does not match.
    with MailServer(ca=test_ca, cert="self_signed", protocols=("imap",)) as other:
        with pytest.raises(TLSRequiredError) as other_key:
            _imap(other, "tls", pin=pin)
        assert other_key.value.reason == "pin" and other_key.value.data["expected"] == pin


def test_smtp_kwargs_never_opportunistic(test_ca) -> None:
    tls = smtp_kwargs(ServerSettings("h", 465, "tls"), test_ca.ca_file)
    assert tls["use_tls"] is True and tls["start_tls"] is False
    starttls = smtp_kwargs(ServerSettings("h", 587, "starttls"))
    assert starttls["use_tls"] is False and starttls["start_tls"] is True
    assert starttls["tls_context"].verify_mode == ssl.CERT_REQUIRED
    assert starttls["tls_context"].hostname_checks_common_name is False
    plain = smtp_kwargs(ServerSettings("h", 587, "plain"))
    assert plain["use_tls"] is False and plain["start_tls"] is False
