"""DNS checks against the loopback DNS server: every problem produced for real in a zone.

No query leaves the machine: every check gets nameserver=127.0.0.1:<test port>.
"""

from __future__ import annotations

import base64
import socket
import threading

import dns.message
import dns.rcode
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.doctor.conftest import healthy_zone, make_account
from testserver.dns import DNSServer
from tuimail.core.account import Account, ServerSettings
from tuimail.core.doctor.dns_checks import check_dns
from tuimail.doctor_words import fix, seen

D = "example.test"


def _zone() -> dict[str, list[tuple[str, str]]]:
    """Healthy for `_account()`: incoming localhost:993, outgoing smtp.example.test:465."""
    return {
        D: [("A", "127.0.0.1"), ("MX", f"10 mx.{D}."), ("TXT", "v=spf1 mx -all")],
        f"mx.{D}": [("A", "127.0.0.1")],
        f"_imaps._tcp.{D}": [("SRV", "0 1 993 localhost.")],
        f"_submissions._tcp.{D}": [("SRV", f"0 1 465 smtp.{D}.")],
        f"smtp.{D}": [("A", "127.0.0.1")],
        f"_dmarc.{D}": [("TXT", f"v=DMARC1; p=quarantine; rua=mailto:d@{D}")],
        f"_mta-sts.{D}": [("TXT", "v=STSv1; id=1")],
        f"_smtp._tls.{D}": [("TXT", f"v=TLSRPTv1; rua=mailto:t@{D}")],
        "localhost": [("A", "127.0.0.1")],
        "1.0.0.127.in-addr.arpa": [("PTR", "localhost.")],
    }


def _account() -> Account:
    return Account(
        name="t",
        email=f"alice@{D}",
        username="alice",
        incoming=ServerSettings("localhost", 993, "tls"),
        outgoing=ServerSettings(f"smtp.{D}", 465, "tls"),
        protocol="imap",
    )


@pytest.fixture(scope="module")
def dns_server():
    with DNSServer() as server:
        yield server


@pytest.fixture
def zone(dns_server):
    """The module's DNS server, serving a fresh healthy zone; returns (server, nameserver)."""
    dns_server.zone = _zone()
    dns_server.queries.clear()
    return dns_server, f"127.0.0.1:{dns_server.port}"


def _run(nameserver, **kw):
    results = check_dns(_account(), nameserver, 5.0, **kw)
    return {r.name: r for r in results}, results


def test_healthy_zone_all_ok(zone) -> None:
    server, ns = zone
    by, results = _run(ns)
    assert [r.status for r in results] == ["ok"] * len(results), results
    assert list(by) == [
        "MX",
        "SRV records",
        "SPF",
        "DMARC",
        "MTA-STS",
        "TLS-RPT",
        "PTR of the outgoing server",
    ]
    assert all(r.group == f"DNS for {D}" for r in results)
    assert "10 mx.example.test" in seen(by["MX"]) and "another machine" in seen(by["MX"])
    assert "'v=spf1 mx -all'" in seen(by["SPF"])
    assert "p=quarantine" in seen(by["DMARC"])
    assert "127.0.0.1 -> localhost" in seen(by["PTR of the outgoing server"])
    assert "_imaps._tcp -> localhost:993" in seen(by["SRV records"])
    # Only the loopback server was asked, and nothing about the MTA-STS policy host.
    assert ("_mta-sts.example.test", "TXT") in server.queries
    assert not any(name.startswith("mta-sts.") for name, _ in server.queries)


def test_healthy_bundled_server_zone(mail_server) -> None:
    """The conftest helper others reuse gives an all-ok DNS report for make_account."""
    ns = healthy_zone(mail_server)
    account = make_account(mail_server, mail_server.new_user())
    results = check_dns(account, ns, 5.0)
    assert {r.status for r in results} == {"ok"}, results


def test_missing_mx(zone) -> None:
    server, ns = zone
    server.set_records(D, [("TXT", "v=spf1 mx -all")])  # no MX, no address
    mx = _run(ns)[0]["MX"]
    assert mx.status == "failure"
    assert "no MX record" in seen(mx) and "cannot be delivered" in seen(mx)
    assert "publish MX records" in fix(mx)


def test_missing_mx_with_address_falls_back(zone) -> None:
    server, ns = zone
    server.set_records(D, [("A", "127.0.0.1"), ("TXT", "v=spf1 mx -all")])
    mx = _run(ns)[0]["MX"]
    assert mx.status == "warning"
    assert "fall back" in seen(mx) and "127.0.0.1" in seen(mx)


def test_null_mx_and_mx_without_address(zone) -> None:
    server, ns = zone
    server.set_records(D, [("MX", "0 .")])
    mx = _run(ns)[0]["MX"]
    assert mx.status == "failure" and "null MX" in seen(mx)
    server.set_records(D, [("MX", "10 gone.example.test.")])
    mx = _run(ns)[0]["MX"]
    assert mx.status == "failure" and "no MX host has an address" in seen(mx)


def test_spf_plus_all(zone) -> None:
    server, ns = zone
    server.set_records(D, [("MX", f"10 mx.{D}."), ("TXT", "v=spf1 a mx +all")])
    spf = _run(ns)[0]["SPF"]
    assert spf.status == "failure"
    assert "anyone may send as you" in seen(spf)
    assert "'-all'" in fix(spf)


@pytest.mark.parametrize(
    "records, status, text",
    [
        ([], "warning", "no SPF record"),
        (["v=spf1 mx ?all"], "warning", "neutral"),
        (["v=spf1 mx"], "warning", "no 'all' rule"),
        (["v=spf1 redirect=_spf.provider.example"], "ok", "redirect="),
        (["v=spf1 mx ~all", "google-site-verification=x"], "ok", "~all"),
    ],
)
def test_spf_variants(zone, records, status, text) -> None:
    server, ns = zone
    server.set_records(D, [("MX", f"10 mx.{D}.")] + [("TXT", t) for t in records])
    spf = _run(ns)[0]["SPF"]
    assert spf.status == status, spf
    assert text in seen(spf)


@pytest.mark.parametrize(
    "record", ["v=spf1 -all", "v=spf1 ~all", "v=spf1 exp=why.example.test -all"]
)
def test_spf_that_lets_no_server_send(zone, record) -> None:
    server, ns = zone
    server.set_records(D, [("MX", f"10 mx.{D}."), ("TXT", record)])
    spf = _run(ns)[0]["SPF"]
    assert spf.status == "failure", spf
    assert "lists no server at all" in seen(spf) and "every message you send fails SPF" in seen(spf)
    assert "include:" in fix(spf)


def test_two_spf_records(zone) -> None:
    server, ns = zone
    server.set_records(
        D, [("MX", f"10 mx.{D}."), ("TXT", "v=spf1 mx -all"), ("TXT", "v=spf1 include:x -all")]
    )
    spf = _run(ns)[0]["SPF"]
    assert spf.status == "failure"
    assert "2 SPF records" in seen(spf) and "SPF fails for all your mail" in seen(spf)
    assert "merge them into a single" in fix(spf)


def test_no_dmarc(zone) -> None:
    server, ns = zone
    server.set_records(f"_dmarc.{D}", None)
    dmarc = _run(ns)[0]["DMARC"]
    assert dmarc.status == "warning"
    assert f"no DMARC record at _dmarc.{D}" in seen(dmarc)
    assert "'v=DMARC1; p=quarantine; rua=mailto:" in fix(dmarc)


def test_dmarc_p_none(zone) -> None:
    server, ns = zone
    server.set_records(f"_dmarc.{D}", [("TXT", "v=DMARC1; p=none")])
    dmarc = _run(ns)[0]["DMARC"]
    assert dmarc.status == "warning"
    assert "monitoring only" in seen(dmarc)
    assert "p=quarantine" in fix(dmarc)


def test_dkim_only_with_a_selector(zone) -> None:
    server, ns = zone
    assert "DKIM" not in _run(ns)[0]
    assert not any("_domainkey" in name for name, _ in server.queries)
    dkim = _run(ns, dkim_selector="s1")[0]["DKIM"]
    assert dkim.status == "failure" and "no DKIM key at s1._domainkey.example.test" in seen(dkim)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    # Longer than one 255-byte string, as real 2048-bit keys are: split, then rejoined.
    chunks = " ".join(f'"{text[i : i + 200]}"' for i in range(0, len(text), 200))
    server.set_records(f"s1._domainkey.{D}", [("TXT", chunks)])
    dkim = _run(ns, dkim_selector="s1")[0]["DKIM"]
    assert dkim.status == "ok" and "2048-bit key" in seen(dkim)
    server.set_records(f"s1._domainkey.{D}", [("TXT", "v=DKIM1; p=")])
    dkim = _run(ns, dkim_selector="s1")[0]["DKIM"]
    assert dkim.status == "failure" and "revoked" in seen(dkim)


def test_mta_sts_and_tls_rpt_absent_or_broken(zone) -> None:
    server, ns = zone
    server.set_records(f"_mta-sts.{D}", None)
    server.set_records(f"_smtp._tls.{D}", [("TXT", "v=TLSRPTv1;")])
    by = _run(ns)[0]
    assert by["MTA-STS"].status == "ok" and "not published" in seen(by["MTA-STS"])
    assert by["TLS-RPT"].status == "warning" and "no rua=" in seen(by["TLS-RPT"])


def test_srv_pointing_elsewhere(zone) -> None:
    server, ns = zone
    server.set_records(f"_imaps._tcp.{D}", [("SRV", "0 1 993 imap.elsewhere.example.")])
    srv = _run(ns)[0]["SRV records"]
    assert srv.status == "warning"
    assert "imap.elsewhere.example:993 but the account uses localhost:993" in seen(srv)
    server.set_records(f"_imaps._tcp.{D}", None)
    server.set_records(f"_submissions._tcp.{D}", None)
    srv = _run(ns)[0]["SRV records"]
    assert srv.status == "ok" and "none published" in seen(srv)


def test_ptr_missing(zone) -> None:
    server, ns = zone
    server.set_records("1.0.0.127.in-addr.arpa", None)
    ptr = _run(ns)[0]["PTR of the outgoing server"]
    assert ptr.status == "warning"
    assert "127.0.0.1 (of smtp.example.test) has no PTR record" in seen(ptr)
    assert "owner of the address" in fix(ptr)


def test_ptr_not_resolving_back(zone) -> None:
    server, ns = zone
    server.set_records("1.0.0.127.in-addr.arpa", [("PTR", "other.example.test.")])
    server.set_records("other.example.test", [("A", "127.0.0.9")])
    ptr = _run(ns)[0]["PTR of the outgoing server"]
    assert ptr.status == "warning"
    assert "other.example.test, which does not resolve back to 127.0.0.1" in seen(ptr)


def test_dns_server_not_answering(monkeypatch) -> None:
    from tuimail.core.doctor import dns_checks

    # All first queries at once (about one timeout, not eleven): each query, before it is
    # sent, waits until another one is under way too; one after the other, the first would
    # wait out the guard (10 s) alone. No elapsed time is measured.
    ask, lock, in_flight = dns_checks._ask, threading.Lock(), [0]
    met, alone = threading.Event(), threading.Event()

    def together(*args):
        with lock:
            in_flight[0] += 1
            if in_flight[0] > 1:
                met.set()
        if not alone.is_set() and not met.wait(10):
            alone.set()
        try:
            return ask(*args)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(dns_checks, "_ask", together)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))  # bound, never read: queries go unanswered
        ns = f"127.0.0.1:{s.getsockname()[1]}"
        results = check_dns(_account(), ns, 0.5)
    assert met.is_set() and not alone.is_set(), "the first queries went one after the other"
    assert len(results) == 1
    r = results[0]
    assert r.status == "failure" and r.name == "DNS server"
    assert seen(r) == (
        f"DNS itself is not answering: the name server {ns} gave no answer (the DNS query "
        f"for {D} (MX) timed out: the name server did not answer in time); none of the DNS "
        "checks could run"
    )
    assert "DNS settings" in fix(r)


def test_bad_nameserver_value() -> None:
    results = check_dns(_account(), "127.0.0.1:99999", 1.0)
    assert [(r.name, r.status) for r in results] == [("name server", "failure")]
    said = seen(results[0])
    assert "'127.0.0.1:99999' cannot be used" in said and "port from 1 to 65535" in said, said
    assert fix(results[0]) == "give --nameserver as HOST or HOST:PORT"


def test_dns_server_answering_servfail() -> None:
    """A real UDP responder that answers every query with SERVFAIL."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    wire, peer = sock.recvfrom(4096)
                except TimeoutError:
                    continue
                reply = dns.message.make_response(dns.message.from_wire(wire))
                reply.set_rcode(dns.rcode.SERVFAIL)
                sock.sendto(reply.to_wire(), peer)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            port = sock.getsockname()[1]
            results = check_dns(_account(), f"127.0.0.1:{port}", 2.0)
        finally:
            stop.set()
            thread.join(5)
    assert [(r.name, r.status) for r in results] == [("DNS server", "failure")]
    said = seen(results[0])
    assert said.startswith(
        f"DNS itself is not answering: the name server 127.0.0.1:{port} answered only with "
        f"errors (the DNS query for {D} (MX) failed (All nameservers failed to answer"
    ), said
    assert "SERVFAIL" in said and said.endswith("); none of the DNS checks could run"), said


def test_selector_from_the_account_config(zone) -> None:
    server, ns = zone
    account = _account()
    account.extra["dkim_selector"] = "mail2026"
    by = {r.name: r for r in check_dns(account, ns, 5.0)}
    assert by["DKIM"].status == "failure"
    assert "mail2026._domainkey.example.test" in seen(by["DKIM"])


def test_invalid_domain_is_explained(zone) -> None:
    _server, ns = zone
    account = _account()
    account.email = "alice@bad..example"
    results = check_dns(account, ns, 5.0)
    assert [(r.name, r.status) for r in results] == [("domain", "failure")]
    assert "not a valid domain name" in seen(results[0])


def test_ptr_of_localhost_is_not_asked(zone) -> None:
    server, ns = zone
    server.set_records("localhost", None)  # a zone that knows nothing of localhost
    account = _account()
    account.outgoing.host = "localhost"
    ptr = {r.name: r for r in check_dns(account, ns, 5.0)}["PTR of the outgoing server"]
    assert ptr.status == "ok" and "is this computer" in seen(ptr)
    assert not any(name.endswith("in-addr.arpa") for name, _ in server.queries)
