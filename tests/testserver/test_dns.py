"""The bundled DNS server, asked by dnspython over real UDP (and TCP) on loopback."""

from __future__ import annotations

import socket

import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest

from testserver.dns import DNSServer
from testserver.server import MailServer

ZONE = {
    "_imaps._tcp.example.test": [("SRV", "0 1 993 imap.example.test.")],
    "_submission._tcp.Example.Test.": [("SRV", "5 10 587 smtp.example.test")],
    "example.test": [("MX", "10 mx.example.test."), ("TXT", "v=spf1 -all")],
    "imap.example.test": [("A", "127.0.0.1"), ("AAAA", "::1")],
    "mail.example.test": [("CNAME", "imap.example.test.")],
    "1.0.0.127.in-addr.arpa": [("PTR", "imap.example.test.")],
}


@pytest.fixture
def dns_server():
    with DNSServer(ZONE) as server:
        yield server


def test_srv_answer(dns_server: DNSServer) -> None:
    answer = dns_server.resolver().resolve("_imaps._tcp.example.test", "SRV")
    [srv] = list(answer)
    assert (srv.priority, srv.weight, srv.port) == (0, 1, 993)
    assert srv.target.to_text() == "imap.example.test."


def test_names_are_case_insensitive_and_trailing_dot_optional(dns_server: DNSServer) -> None:
    resolver = dns_server.resolver()
    [srv] = list(resolver.resolve("_SUBMISSION._tcp.example.test.", "SRV"))
    assert srv.port == 587
    assert srv.target.to_text() == "smtp.example.test."  # relative target made absolute
    assert [r.address for r in resolver.resolve("IMAP.Example.TEST", "A")] == ["127.0.0.1"]


def test_mx_txt_a_aaaa_ptr(dns_server: DNSServer) -> None:
    resolver = dns_server.resolver()
    [mx] = list(resolver.resolve("example.test", "MX"))
    assert (mx.preference, mx.exchange.to_text()) == (10, "mx.example.test.")
    [txt] = list(resolver.resolve("example.test", "TXT"))
    assert txt.strings == (b"v=spf1 -all",)
    assert [r.address for r in resolver.resolve("imap.example.test", "AAAA")] == ["::1"]
    [ptr] = list(resolver.resolve("1.0.0.127.in-addr.arpa", "PTR"))
    assert ptr.target.to_text() == "imap.example.test."


def test_cname_is_followed(dns_server: DNSServer) -> None:
    answer = dns_server.resolver().resolve("mail.example.test", "A")
    assert answer.canonical_name.to_text() == "imap.example.test."
    assert [r.address for r in answer] == ["127.0.0.1"]


def test_unknown_name_is_nxdomain(dns_server: DNSServer) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        dns_server.resolver().resolve("_imaps._tcp.nowhere.test", "SRV")


def test_known_name_without_the_type_is_empty_noerror(dns_server: DNSServer) -> None:
    with pytest.raises(dns.resolver.NoAnswer):
        dns_server.resolver().resolve("example.test", "SRV")
    query = dns.message.make_query("example.test", "SRV")
    response = dns.query.udp(query, dns_server.host, port=dns_server.port, timeout=5)
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


def test_records_replaceable_at_runtime(dns_server: DNSServer) -> None:
    resolver = dns_server.resolver()
    dns_server.set_records("new.example.test", [("A", "127.0.0.9")])
    assert [r.address for r in resolver.resolve("new.example.test", "A")] == ["127.0.0.9"]
    dns_server.set_records("new.example.test", None)
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("new.example.test", "A")
    dns_server.zone = {"other.test": [("A", "127.0.0.5")]}
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("imap.example.test", "A")
    assert [r.address for r in resolver.resolve("other.test", "A")] == ["127.0.0.5"]


def test_queries_are_recorded(dns_server: DNSServer) -> None:
    resolver = dns_server.resolver()
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("_pop3s._tcp.Nowhere.test", "SRV")
    assert ("_pop3s._tcp.nowhere.test", "SRV") in dns_server.queries


def test_tcp_answers_too(dns_server: DNSServer) -> None:
    assert dns_server.tcp
    query = dns.message.make_query("_imaps._tcp.example.test", "SRV")
    response = dns.query.tcp(query, dns_server.host, port=dns_server.port, timeout=5)
    assert response.answer[0][0].port == 993


def test_garbage_datagram_does_not_kill_the_server(dns_server: DNSServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(b"\x12\x34" + b"\xff" * 20, (dns_server.host, dns_server.port))
        reply, _ = sock.recvfrom(512)
    assert reply[:2] == b"\x12\x34"
    assert reply[3] & 0x0F == dns.rcode.FORMERR
    assert list(dns_server.resolver().resolve("example.test", "MX"))


def test_bad_record_rejected_when_set() -> None:
    with pytest.raises(ValueError):
        DNSServer({"x.test": [("HINFO", "x y")]})
    with pytest.raises(Exception):  # noqa: B017 - dnspython's syntax error
        DNSServer({"x.test": [("A", "not-an-address")]})


def test_mail_server_default_zone(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=()) as server:
        resolver = server.resolver()
        for name in ("imap", "pop3", "smtp", "mail", "mx", "autoconfig"):
            addresses = [r.address for r in resolver.resolve(f"{name}.example.test", "A")]
            assert addresses == [server.host]
        [mx] = list(resolver.resolve("example.test", "MX"))
        assert mx.exchange.to_text() == "mx.example.test."
        assert server.dns_port == server.bound_ports["dns"] > 0
        server.set_dns({"_imaps._tcp.corp.test": [("SRV", "0 0 993 imap.corp.test.")]})
        with pytest.raises(dns.resolver.NXDOMAIN):
            resolver.resolve("imap.example.test", "A")
        assert list(resolver.resolve("_imaps._tcp.corp.test", "SRV"))[0].port == 993


def test_mail_server_given_zone(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=(), dns_zone=ZONE) as server:
        assert server.dns.zone["example.test"][0] == ("MX", "10 mx.example.test.")
        with pytest.raises(dns.resolver.NXDOMAIN):
            server.resolver().resolve("pop3.example.test", "A")
