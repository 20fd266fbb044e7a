"""Discovery pieces: SRV order, autoconfig parsing, MX provider, name server, time bound."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.accounts.helpers import LOCAL, options, serve_autoconfig
from testserver.autoconfig import autoconfig_xml
from tuimail import detect_words
from tuimail.core.discovery.autoconfig import parse
from tuimail.core.discovery.detect import DetectOptions, detect
from tuimail.core.discovery.mx import provider_domain
from tuimail.core.discovery.resolver import NameserverError, Resolver, parse_nameserver
from tuimail.core.discovery.srv import lookup_srv
from tuimail.words.nameserver import nameserver_words


def test_srv_priority_weight_and_dot(mail_server) -> None:
    mail_server.set_dns(
        {
            "_imaps._tcp.example.test": [
                ("SRV", "10 5 993 backup.example.test."),
                ("SRV", "0 1 993 low-weight.example.test."),
                ("SRV", "0 9 993 high-weight.example.test."),
            ],
            "_pop3s._tcp.example.test": [("SRV", "0 0 0 .")],
            "_submissions._tcp.example.test": [("SRV", "0 1 465 smtp.provider.test.")],
        }
    )
    resolver = Resolver(f"127.0.0.1:{mail_server.dns_port}", 3)
    candidates, notes = lookup_srv(resolver, "example.test")
    imap = [c.host for c in candidates if c.protocol == "imap"]
    assert imap == ["high-weight.example.test", "low-weight.example.test", "backup.example.test"]
    assert not any(c.protocol == "pop3" for c in candidates)
    assert [n.name for n in notes if n.failure is None] == ["_pop3s._tcp.example.test"]
    smtp = next(c for c in candidates if c.protocol == "smtp")
    assert smtp.outside_domain and smtp.security == "tls"


def test_srv_target_outside_domain_needs_confirmation(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns(
        {
            "_imaps._tcp.customer.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "_submissions._tcp.customer.test": [("SRV", f"0 1 {p.smtp_tls} smtp.example.test.")],
            "imap.example.test": LOCAL,
            "smtp.example.test": LOCAL,
        }
    )
    result = detect("carol@customer.test", options(mail_server))
    assert result.source == "srv" and result.found
    said = detect_words.confirm(result)
    assert any("imap.example.test is outside customer.test" in r for r in said)
    assert result.to_json()["incoming"]["outside_domain"] is True


def test_autoconfig_parse_placeholders_and_refusals() -> None:
    xml = autoconfig_xml(
        "example.test",
        imap=("imap.%EMAILDOMAIN%", 993, "SSL"),
        pop3=("pop.example.test", 110, "STARTTLS"),
        smtp=[("smtp.other.test", 587, "plain"), ("smtp.example.test", 465, "SSL")],
    )
    found = parse(xml.encode(), "a@example.test", "example.test")
    assert [(c.protocol, c.host, c.port, c.security, c.outside_domain) for c in found] == [
        ("imap", "imap.example.test", 993, "tls", False),
        ("pop3", "pop.example.test", 110, "starttls", False),
        ("smtp", "smtp.other.test", 587, "plain", True),
        ("smtp", "smtp.example.test", 465, "tls", False),
    ]
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig/>'
    with pytest.raises(ValueError, match="DTD"):
        parse(bomb, "a@example.test", "example.test")
    with pytest.raises(ValueError, match="not valid XML"):
        parse(b"<clientConfig>", "a@example.test", "example.test")
    with pytest.raises(ValueError, match="no usable server"):
        parse(autoconfig_xml("example.test").encode(), "a@example.test", "example.test")


def test_provider_domain() -> None:
    assert provider_domain("mx1.mail.provider.test.") == "provider.test"
    assert provider_domain("mx.provider.co.uk") == "provider.co.uk"


@pytest.mark.parametrize(
    "host, registrable",
    [
        # gouv.fr, ltd.uk, nic.in and *.kawasaki.jp were wrong with a fixed label list.
        ("mx.example.com.au", "example.com.au"),
        ("mx1.provider.co.jp", "provider.co.jp"),
        ("mx.mail.provider.com.br", "provider.com.br"),
        ("mail.provider.gouv.fr", "provider.gouv.fr"),
        ("smtp.foo.kawasaki.jp", "smtp.foo.kawasaki.jp"),  # *.kawasaki.jp is a suffix
        ("smtp.city.kawasaki.jp", "city.kawasaki.jp"),  # ... except city.kawasaki.jp
        ("mx.provider.ltd.uk", "provider.ltd.uk"),
        ("mx.provider.nic.in", "provider.nic.in"),
        ("aspmx.l.google.com", "google.com"),
        ("mail.protection.outlook.com", "outlook.com"),
        ("MX.Provider.CO.UK.", "provider.co.uk"),
        ("192.0.2.1", "192.0.2.1"),
        ("localhost", "localhost"),
    ],
)
def test_provider_domain_follows_the_public_suffix_list(host: str, registrable: str) -> None:
    assert provider_domain(host) == registrable


def test_parse_nameserver() -> None:
    assert parse_nameserver("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    assert parse_nameserver("::1") == ("::1", 53)
    with pytest.raises(NameserverError) as info:
        parse_nameserver("127.0.0.1:99999")
    assert (info.value.problem, info.value.nameserver) == ("bad-port", "127.0.0.1:99999")
    assert nameserver_words(info.value) == "The name server '127.0.0.1:99999' has an invalid port."
    with pytest.raises(NameserverError) as info:
        parse_nameserver("no-such-host.invalid:53")
    assert nameserver_words(info.value) == (
        "The name server 'no-such-host.invalid:53' cannot be found."
    )


def test_plain_candidates_skipped_without_allow_plain(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns({"autoconfig.example.test": LOCAL, "mail.example.test": LOCAL})
    serve_autoconfig(mail_server, (p.imap_starttls, "plain"), (p.smtp_tls, "SSL"))
    result = detect("a@example.test", options(mail_server))
    plain = next(r for r in result.probes if r.candidate.security == "plain")
    assert plain.skipped and "--allow-plain" in detect_words.probe(plain)
    said = detect_words.warnings(result)
    assert any("not tried because they would be unencrypted" in w for w in said)
    assert result.incoming is None or result.incoming.candidate.security != "plain"


def _detect_in_thread(email: str, opts: DetectOptions):
    """detect() in a thread, and how to wait for its result (None: still running)."""
    box: list = []
    worker = threading.Thread(target=lambda: box.append(detect(email, opts)), daemon=True)
    worker.start()

    def result(wait: float):
        worker.join(wait)
        return box[0] if box else None

    return result


def test_detection_is_bounded_when_nothing_answers(mail_server) -> None:
    """A name server that never answers and silent mail ports: detection gives up at its
    2 s budget although each look-up and probe alone may wait 10 minutes. Checked by
    what the silent servers saw (asked, then abandoned by the client), not by a clock: a
    detection ignoring the budget is still waiting when the test's patience ends."""
    assert (DetectOptions().timeout, DetectOptions().total_timeout) == (10.0, 15.0)
    patient = 600.0  # per look-up / probe: far beyond the test's own patience
    silent_dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent_dns.bind(("127.0.0.1", 0))
    silent_dns.settimeout(0.2)
    queries: list[bytes] = []
    listening = threading.Event()
    listening.set()

    def record() -> None:
        while listening.is_set():
            try:
                queries.append(silent_dns.recv(4096))
            except OSError:
                continue

    recorder = threading.Thread(target=record, daemon=True)
    recorder.start()
    try:
        waiting = _detect_in_thread(
            "a@example.test",
            DetectOptions(
                nameserver=f"127.0.0.1:{silent_dns.getsockname()[1]}",
                timeout=patient,
                total_timeout=2.0,
            ),
        )
        result = waiting(45)
    finally:
        listening.clear()
        recorder.join(5)
        silent_dns.close()
    assert result is not None, "detection did not keep to its budget (name server silent)"
    assert queries, "the silent name server was never asked"
    assert not result.found and result.error
    silence = {
        p: mail_server.faults.add(protocol=p, kind="silent") for p in ("imap", "pop3", "smtp")
    }
    waiting = _detect_in_thread(
        "a@example.test", options(mail_server, timeout=patient, total_timeout=2.0)
    )
    result = waiting(45)
    assert result is not None, "detection did not keep to its budget (mail servers silent)"
    assert not result.found
    for protocol, fault in silence.items():
        assert fault.hits, f"no {protocol} server was asked"
    # Every silent connection was given up by the client (the servers never answer).
    give_up = time.monotonic() + 25
    while any(f.abandoned < f.hits for f in silence.values()) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert {p: f.abandoned for p, f in silence.items()} == {p: f.hits for p, f in silence.items()}
    srv = [r for r in result.probes if r.candidate.source == "srv"]
    assert srv and all("did not answer in time" in detect_words.probe(r) for r in srv)
