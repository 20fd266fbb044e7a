"""`tuimail doctor` against the real Dovecot + Postfix: a healthy report, round trip included."""

from __future__ import annotations

import pytest

from testserver.dns import DNSServer
from tuimail.core.account import Account, ServerSettings
from tuimail.core.doctor import run_checks
from tuimail.core.doctor.roundtrip import HEADER
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix, seen

pytestmark = pytest.mark.interop


def healthy_zone(domain: str, address: str) -> dict[str, list[tuple[str, str]]]:
    """What a well-run domain publishes, all pointing at the peer's address. No RFC 6186
    SRV records: they would name hosts, and the account reaches the peer by address."""
    d = domain
    host = [("A", address)]
    return {
        d: [("MX", f"10 mx.{d}."), ("TXT", f"v=spf1 ip4:{address} -all")],
        f"_dmarc.{d}": [("TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")],
        f"_mta-sts.{d}": [("TXT", "v=STSv1; id=20260101")],
        f"_smtp._tls.{d}": [("TXT", f"v=TLSRPTv1; rua=mailto:tlsrpt@{d}")],
        f"mx.{d}": host,
        f"imap.{d}": host,
        f"smtp.{d}": host,
        ".".join(reversed(address.split("."))) + ".in-addr.arpa": [("PTR", f"mx.{d}.")],
    }


@pytest.mark.parametrize(
    ("protocol", "security", "smtp_security"),
    [("imap", "tls", "starttls"), ("pop3", "starttls", "tls")],
)
def test_healthy_report_with_round_trip(dovecot_peer, protocol, security, smtp_security) -> None:
    peer = dovecot_peer
    p = peer.ports
    incoming_port = {
        ("imap", "tls"): p.imap_tls,
        ("pop3", "starttls"): p.pop3_starttls,
    }[(protocol, security)]
    user = peer.new_user()
    account = Account(
        name="dovecot",
        email=user.email,
        username=user.login,
        # The certificate names the address (IP SAN): the system resolver knows no
        # example.test names, and the servers are reached by address.
        incoming=ServerSettings(peer.host, incoming_port, security),
        outgoing=ServerSettings(
            peer.host, p.smtp_tls if smtp_security == "tls" else p.smtp_starttls, smtp_security
        ),
        protocol=protocol,
        ca_file=peer.ca_file,
    )
    with DNSServer(healthy_zone(peer.domain, peer.host)) as dns:
        results = run_checks(
            account,
            Secret(user.password),
            timeout=10.0,
            nameserver=f"127.0.0.1:{dns.port}",
            send=True,
            roundtrip_timeout=60.0,
        )
    shown = "\n".join(f"{r.status} {r.group} / {r.name}: {seen(r)} | {fix(r)}" for r in results)
    assert {r.status for r in results} == {"ok"}, shown
    assert {f"DNS for {peer.domain}", "Round trip"} <= {r.group for r in results}, shown
    by_name = {(r.group, r.name): r for r in results}
    for name in ("reachable", "tls", "certificate", "capabilities", "login"):
        assert any(n == name and r.status == "ok" for (g, n), r in by_name.items()), shown
    if protocol == "imap":
        # Dovecot lists its extensions only after login: the report must show those.
        caps = next(r for (g, n), r in by_name.items() if n == "capabilities" and "IMAP" in g)
        assert "lacks" not in seen(caps) and "QRESYNC" in seen(caps), shown
    trip = by_name[("Round trip", "round trip")]
    assert trip.status == "ok" and "arrived in INBOX" in seen(trip), shown
    assert 0.0 <= trip.seconds < 60.0
    assert by_name[("Round trip", "clean up")].status == "ok", shown
    assert results[-1].group == "Round trip"  # sending comes last
    assert not [raw for raw in peer.messages(user) if HEADER.encode() in raw]


def test_refused_login_does_not_claim_the_extensions_are_missing(dovecot_peer) -> None:
    """Dovecot names CONDSTORE, QRESYNC, MOVE... only after a login: when the login is
    refused, the report must not say the server lacks them."""
    peer = dovecot_peer
    user = peer.new_user()
    account = Account(
        name="dovecot",
        email=user.email,
        username=user.login,
        incoming=ServerSettings(peer.host, peer.ports.imap_tls, "tls"),
        outgoing=ServerSettings(peer.host, peer.ports.smtp_tls, "tls"),
        ca_file=peer.ca_file,
    )
    with DNSServer(healthy_zone(peer.domain, peer.host)) as dns:
        results = run_checks(
            account,
            Secret("not-the-password"),
            timeout=10.0,
            nameserver=f"127.0.0.1:{dns.port}",
            send=False,
        )
    shown = "\n".join(f"{r.status} {r.group} / {r.name}: {seen(r)}" for r in results)
    imap = [r for r in results if "IMAP" in r.group]
    assert any(r.name == "login" and r.status == "failure" for r in imap), shown
    caps = next(r for r in imap if r.name == "capabilities")
    assert caps.data["before_login"] is True, shown
    assert "lacks" not in seen(caps) and "not listed before a login" in seen(caps), shown


def test_unknown_authority_fix_names_the_key_to_pin_and_that_key_works(dovecot_peer) -> None:
    """Without the CA, the doctor's fix gives the servers' key SHA-256 and the setting to
    put it in; pinning exactly that value makes the same checks pass."""
    peer = dovecot_peer
    user = peer.new_user()

    def account(pin: str | None = None) -> Account:
        return Account(
            name="dovecot",
            email=user.email,
            username=user.login,
            incoming=ServerSettings(peer.host, peer.ports.imap_tls, "tls", pin),
            outgoing=ServerSettings(peer.host, peer.ports.smtp_starttls, "starttls", pin),
        )

    with DNSServer(healthy_zone(peer.domain, peer.host)) as dns:
        ns = f"127.0.0.1:{dns.port}"
        results = run_checks(account(), Secret(user.password), timeout=10.0, nameserver=ns)
        tls = [r for r in results if r.name == "tls"]
        assert [r.status for r in tls] == ["failure", "failure"]
        pins = {r.data["pin"] for r in tls}
        assert len(pins) == 1
        pin = pins.pop()
        assert [r.data["side"] for r in tls] == ["incoming", "outgoing"]
        for r in tls:
            assert f'pinned_sha256 = "{pin}"' in fix(r) and r.data["side"] in fix(r)
        pinned = run_checks(account(pin), Secret(user.password), timeout=10.0, nameserver=ns)
        # A pin the server's key no longer matches: the fix names the new value.
        changed = run_checks(account("0" * 64), Secret(user.password), timeout=10.0, nameserver=ns)
    for r in [r for r in changed if r.name == "tls"]:
        assert r.status == "failure" and f'pinned_sha256 = "{pin}" for that server' in fix(r)
    shown = "\n".join(f"{r.status} {r.group} / {r.name}: {seen(r)}" for r in pinned)
    assert {(r.name, r.status) for r in pinned if r.name in ("tls", "login")} == {
        ("tls", "ok"),
        ("login", "ok"),
    }, shown
