"""What the doctor puts on the wire, and where: never a readable password, and nothing
but the account's servers and the DNS server it was given."""

from __future__ import annotations

import base64

import pytest

from tests.doctor.conftest import healthy_zone, make_account
from tests.doctor.wire import Relay, SocketCalls
from tuimail.core.account import ServerSettings
from tuimail.core.doctor import run_checks
from tuimail.core.doctor.port_checks import STANDARD_PORTS
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix, seen


def _clear_forms(login: str, password: str) -> list[bytes]:
    """The password as LOGIN/USER/PASS, AUTH PLAIN and AUTH LOGIN would carry it."""
    pw, user = password.encode(), login.encode()
    return [
        pw,
        base64.b64encode(pw),
        base64.b64encode(b"\0" + user + b"\0" + pw),
        base64.b64encode(user + b"\0" + user + b"\0" + pw),
    ]


def _through_relays(server, user, protocol, security, smtp_security):
    account = make_account(server, user, protocol, security, smtp_security)
    incoming, outgoing = Relay(account.incoming.port), Relay(account.outgoing.port)
    account.incoming.port, account.outgoing.port = incoming.port, outgoing.port
    return account, incoming, outgoing


def _readable(relays: list[Relay], user) -> list[bytes]:
    wire = b"".join(bytes(r.sent) for r in relays)
    return [form for form in _clear_forms(user.login, user.password) if form in wire]


@pytest.mark.parametrize(
    ("protocol", "security", "smtp_security"),
    [("imap", "tls", "tls"), ("imap", "starttls", "starttls"), ("pop3", "starttls", "tls")],
)
def test_password_is_only_sent_encrypted(mail_server, protocol, security, smtp_security) -> None:
    user = mail_server.new_user()
    account, *relays = _through_relays(mail_server, user, protocol, security, smtp_security)
    try:
        results = run_checks(
            account, Secret(user.password), timeout=10, send=True, roundtrip_timeout=30
        )
    finally:
        for relay in relays:
            relay.close()
    logins = [r for r in results if r.name == "login"]
    assert [r.status for r in logins] == ["ok", "ok"], results  # the password was used...
    assert next(r for r in results if r.name == "round trip").status == "ok", results
    assert _readable(relays, user) == []  # ...and never readable on the wire


@pytest.mark.parametrize("kind", ["imap", "pop3", "smtp"])
@pytest.mark.parametrize("fault", ["strip_starttls", "no_starttls"])
def test_no_password_when_starttls_is_missing(mail_server, kind, fault) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol=kind, kind=fault)
    protocol = "pop3" if kind == "pop3" else "imap"
    account, *relays = _through_relays(mail_server, user, protocol, "starttls", "starttls")
    try:
        results = run_checks(account, Secret(user.password), timeout=10, send=True)
    finally:
        for relay in relays:
            relay.close()
    tls = [r for r in results if r.name == "tls" and r.status == "failure"]
    stls = "STLS" if kind == "pop3" else "STARTTLS"  # POP3's name for it (RFC 2595)
    assert len(tls) == 1 and f"does not offer {stls}," in seen(tls[0]), results
    assert "No password was sent" in fix(tls[0])
    assert _readable(relays, user) == []
    smtp = mail_server.protocol_server("smtp")
    if kind == "smtp":
        assert smtp.auth_log == []
    else:  # the outgoing server is fine: logged in over TLS only
        assert [a.tls for a in smtp.auth_log] == [True]
    assert smtp.accepted == []  # no test message either: a server is not secure


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
@pytest.mark.parametrize("accepts_plaintext", [False, True])
def test_plain_security_never_sends_the_password(mail_server, protocol, accepts_plaintext):
    """security = plain (the user's choice): the doctor still keeps the password to
    itself. A server that refuses plain-text logins there (LOGINDISABLED, AUTH only
    after STARTTLS, no USER before STLS) is the cause: a failure with the fix. One that
    would take the password in clear (STARTTLS stripped) gets a warning: not tried."""
    user = mail_server.new_user()
    if accepts_plaintext:
        for kind in (protocol, "smtp"):
            mail_server.faults.add(protocol=kind, kind="strip_starttls")
    account, *relays = _through_relays(mail_server, user, protocol, "starttls", "starttls")
    account.incoming.security = account.outgoing.security = "plain"
    try:
        results = run_checks(account, Secret(user.password), timeout=10, send=True)
    finally:
        for relay in relays:
            relay.close()
    assert _readable(relays, user) == []
    logins = [r for r in results if r.name == "login"]
    assert len(logins) == 2, results
    if accepts_plaintext:
        assert all(r.status == "warning" for r in logins), logins
        assert all("never sends a password in clear" in seen(r) for r in logins)
        assert all(r.data == {"finding": "plain-not-tried"} for r in logins)
    else:
        assert all(r.status == "failure" for r in logins), logins
        assert all("refuses a plain-text login" in seen(r) for r in logins)
        assert all("security = starttls" in fix(r) for r in logins)
        assert all(r.data["finding"] == "plain-refused" for r in logins)
    assert all(r.seen == r.fix == "" for r in logins)  # worded at the edge only
    tls = [r for r in results if r.name == "tls"]
    assert [(r.status, r.seen, r.fix, r.data) for r in tls] == [
        ("warning", "", "", {"finding": "not-encrypted"})
    ] * 2
    assert all(seen(r) == "the connection is not encrypted (security = plain)" for r in tls)
    assert all(
        fix(r) == "use security = tls or starttls so passwords and mail are encrypted" for r in tls
    )
    (trip,) = [r for r in results if r.group == "Round trip"]
    assert trip.status == "warning" and seen(trip) == (
        f"not tried: the connection to {account.incoming.host} is not encrypted (security = "
        "plain), and tuimail doctor never sends a password in clear"
    )
    assert fix(trip) == "use security = tls or starttls, then run the check again"
    assert mail_server.protocol_server("smtp").accepted == []
    assert mail_server.protocol_server("smtp").auth_log == []


def test_only_the_accounts_servers_and_its_dns_are_contacted(mail_server) -> None:
    """With --nameserver: DNS only to that server (never the system resolver), TCP only
    to the account's hosts (configured and standard ports); hosts the zone names
    elsewhere (an SRV target, the MX, the PTR name) are looked up, never contacted."""
    nameserver = healthy_zone(mail_server)
    d = mail_server.domain
    zone = dict(mail_server.dns.zone)
    zone[f"imap.{d}"] = zone[f"smtp.{d}"] = [("A", "127.0.0.1")]
    zone[f"mx.{d}"] = [("A", "127.0.0.3")]
    zone["3.0.0.127.in-addr.arpa"] = [("PTR", f"mx.{d}.")]
    zone[f"_pop3s._tcp.{d}"] = [("SRV", "0 1 995 pop.elsewhere.test.")]
    zone["pop.elsewhere.test"] = [("A", "127.0.0.2")]
    mail_server.set_dns(zone)
    user = mail_server.new_user()
    account = make_account(mail_server, user)
    account.incoming = ServerSettings(f"imap.{d}", account.incoming.port, "tls")
    account.outgoing = ServerSettings(f"smtp.{d}", account.outgoing.port, "tls")
    calls = SocketCalls(ignore_local_ports={mail_server.dns_port})
    with calls.active():
        results = run_checks(
            account,
            Secret(user.password),
            timeout=10,
            nameserver=nameserver,
            send=True,
            roundtrip_timeout=30,
        )
    assert {r.status for r in results} <= {"ok", "warning"}, results
    assert [r.status for r in results if r.group == "Round trip"] == ["ok", "ok"], results
    dns = ("127.0.0.1", mail_server.dns_port)
    allowed = {account.incoming.port, account.outgoing.port, *STANDARD_PORTS.values()}
    sent = [address for kind, address in calls.calls if kind == "sendto"]
    connected = [address for kind, address in calls.calls if kind == "connect"]
    names = {host for kind, (host, _port) in calls.calls if kind == "getaddrinfo"}
    assert sent and set(sent) == {dns}
    assert connected and all(
        address == dns or (address[0] == "127.0.0.1" and address[1] in allowed)
        for address in connected
    ), connected
    assert {p for _h, p in connected} >= {account.incoming.port, account.outgoing.port}
    assert names <= {"127.0.0.1", None}, names  # no name went to the system's resolver


@pytest.mark.parametrize("smtp_security", ["tls", "starttls"])
def test_wrong_outgoing_pin_fails_the_smtp_check_and_sends_no_auth(
    mail_server, smtp_security
) -> None:
    """The doctor's SMTP check with a pinned outgoing server compares the pin (inside the
    handshake) before anything is said: a wrong pin fails the check and no AUTH is sent."""
    import ssl

    from tuimail.core.doctor.server_checks import check_server
    from tuimail.core.tls import spki_sha256

    user = mail_server.new_user()
    account = make_account(mail_server, user, smtp_security=smtp_security)
    account.ca_file = None  # only the pin vouches for the server
    account.outgoing.pinned_sha256 = "00" * 32
    smtp = mail_server.protocol_server("smtp")
    results = check_server("smtp", account, Secret(user.password), timeout=10)
    tls = next(r for r in results if r.name == "tls")
    assert tls.status == "failure" and "not the one you chose to trust" in seen(tls), results
    assert "no password was sent" in fix(tls)
    assert not any(r.name == "login" and r.status == "ok" for r in results)
    assert smtp.auth_log == []
    # The right pin: the same check logs in (so the failure above was the pin alone).
    pem = ssl.get_server_certificate((mail_server.host, mail_server.ports.smtp_tls))
    account.outgoing.pinned_sha256 = spki_sha256(ssl.PEM_cert_to_DER_cert(pem))
    results = check_server("smtp", account, Secret(user.password), timeout=10)
    assert next(r for r in results if r.name == "login").status == "ok", results
    assert [a.tls for a in smtp.auth_log] == [True]


def test_a_closed_relay_leaves_no_thread_behind(mail_server) -> None:
    """Relay.close() closed its listening socket, which does not wake a thread blocked in
    accept(): the accept thread of every relay stayed for the rest of the session."""
    import socket

    with Relay(mail_server.ports.imap_tls) as idle_relay:  # never connected to
        pass
    with Relay(mail_server.ports.imap_starttls) as used_relay:
        with socket.create_connection(("127.0.0.1", used_relay.port), timeout=10) as sock:
            assert sock.makefile("rb").readline().startswith(b"* OK")  # relayed, pumps up
            assert len(used_relay.threads_alive()) == 3  # accepting, and one pump each way
    assert idle_relay.threads_alive() == [] and used_relay.threads_alive() == []
