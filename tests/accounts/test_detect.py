"""End-to-end detection through the test server's DNS, HTTPS autoconfig and ports."""

from __future__ import annotations

import json

import pytest

from tests.accounts.helpers import LOCAL, cli_args, options, port_map, serve_autoconfig
from testserver.autoconfig import autoconfig_xml
from testserver.server import MailServer
from tuimail import detect_words
from tuimail.__main__ import main
from tuimail.core.discovery.detect import detect
from tuimail.core.discovery.findings import ConfirmKind
from tuimail.core.discovery.model import Event
from tuimail.core.errors import TimedOut


def chosen(result, role):
    c = getattr(result, role).candidate
    return (c.protocol, c.host, c.port, c.security)


def test_srv_only(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns(
        {
            "_imaps._tcp.example.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "_imap._tcp.example.test": [("SRV", f"0 1 {p.imap_starttls} imap.example.test.")],
            "_pop3s._tcp.example.test": [("SRV", "0 0 0 .")],  # not offered
            "_submissions._tcp.example.test": [("SRV", f"5 1 {p.smtp_tls} smtp.example.test.")],
            "_submission._tcp.example.test": [("SRV", f"0 1 {p.smtp_starttls} smtp.example.test.")],
            "imap.example.test": LOCAL,
            "smtp.example.test": LOCAL,
        }
    )
    events: list[Event] = []
    result = detect("alice@example.test", options(mail_server), events.append)
    assert result.error is None, result.error
    assert result.source == "srv"
    assert chosen(result, "incoming") == ("imap", "imap.example.test", p.imap_tls, "tls")
    # Implicit TLS wins over STARTTLS even with a worse SRV priority.
    assert chosen(result, "outgoing") == ("smtp", "smtp.example.test", p.smtp_tls, "tls")
    assert result.confirm == []
    assert not any(r.candidate.protocol == "pop3" for r in result.probes)
    # Progress came probe by probe, and no autoconfig/guess was needed to win.
    assert sum(1 for e in events if e.stage == "probe") == 4
    assert not any(r.candidate.source == "guess" for r in result.probes)


def test_autoconfig_only(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns(
        {
            "autoconfig.example.test": LOCAL,
            "mail.example.test": LOCAL,
        }
    )
    serve_autoconfig(mail_server, (p.imap_tls, "SSL"), (p.smtp_starttls, "STARTTLS"))
    result = detect("alice@example.test", options(mail_server))
    assert result.error is None, result.error
    assert result.source == "autoconfig"
    assert chosen(result, "incoming") == ("imap", "mail.example.test", p.imap_tls, "tls")
    assert chosen(result, "outgoing") == (
        "smtp",
        "mail.example.test",
        p.smtp_starttls,
        "starttls",
    )
    assert any(r.scheme == "https" for r in mail_server.autoconfig_requests)
    assert all(r.scheme == "https" for r in mail_server.autoconfig_requests)


def test_autoconfig_well_known_url(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns({"example.test": LOCAL, "mail.example.test": LOCAL})
    serve_autoconfig(mail_server, (p.imap_tls, "SSL"), (p.smtp_tls, "SSL"))
    result = detect("alice@example.test", options(mail_server))
    assert result.source == "autoconfig"
    assert any(
        r.path.startswith("/.well-known/autoconfig/") for r in mail_server.autoconfig_requests
    )


def test_mx_only(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns(
        {
            "customer.test": [("MX", "10 mx1.example.test.")],
            "autoconfig.example.test": LOCAL,
            "imap.example.test": LOCAL,
            "smtp.example.test": LOCAL,
        }
    )
    mail_server.set_autoconfig(
        "example.test",
        autoconfig_xml(
            "example.test",
            imap=("imap.example.test", p.imap_tls, "SSL"),
            smtp=("smtp.example.test", p.smtp_tls, "SSL"),
        ),
    )
    result = detect("bob@customer.test", options(mail_server))
    assert result.error is None, result.error
    assert result.source == "mx"
    assert chosen(result, "incoming") == ("imap", "imap.example.test", p.imap_tls, "tls")
    # The servers are not in the user's domain: the user must confirm them.
    assert any("outside customer.test" in reason for reason in detect_words.confirm(result))


def test_guessing_only(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns({"imap.example.test": LOCAL, "smtp.example.test": LOCAL})
    result = detect("alice@example.test", options(mail_server, port_map=port_map(mail_server)))
    assert result.error is None, result.error
    assert result.source == "guess"
    assert chosen(result, "incoming") == ("imap", "imap.example.test", p.imap_tls, "tls")
    assert chosen(result, "outgoing") == ("smtp", "smtp.example.test", p.smtp_tls, "tls")


def test_nothing_found_cli(mail_server, capsys) -> None:
    mail_server.set_dns({})
    code = main(["detect", "nobody@nothing.test", *cli_args(mail_server)])
    out = capsys.readouterr().out
    assert code == 1
    assert "No working mail server was found for nothing.test" in out
    assert "Traceback" not in out
    code = main(["detect", "nobody@nothing.test", "--json", *cli_args(mail_server)])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["found"] is False and data["incoming"] is None
    assert "No working mail server" in data["error"]


def test_cli_readable_and_json(mail_server, capsys) -> None:
    code = main(["detect", "alice@example.test", *cli_args(mail_server)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Incoming: IMAP imap.example.test port" in out
    assert "TLS (encrypted)" in out
    assert "works (TLS, certificate verified)" in out
    code = main(["detect", "alice@example.test", "--json", *cli_args(mail_server)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["found"] is True and data["source"] == "srv"
    assert data["incoming"]["security"] == "tls" and data["incoming"]["encrypted"] is True
    assert data["outgoing"]["protocol"] == "smtp"
    assert {"protocol", "host", "port", "security", "ok", "detail"} <= set(data["probes"][0])


def test_pop3_when_asked(mail_server) -> None:
    result = detect("alice@example.test", options(mail_server, prefer_pop3=True))
    assert chosen(result, "incoming")[0] == "pop3"
    assert chosen(result, "incoming")[3] == "tls"


# -- downgrade safety -------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_silent_tls_and_stripped_starttls_gives_no_plaintext(
    imap_smtp_server, capsys, protocol
) -> None:
    s = imap_smtp_server
    role = "incoming" if protocol == "imap" else "outgoing"
    tls_port, starttls_port = (
        (s.ports.imap_tls, s.ports.imap_starttls)
        if protocol == "imap"
        else (s.ports.smtp_tls, s.ports.smtp_starttls)
    )
    s.faults.add(protocol=protocol, kind="silent", port="tls")
    s.faults.add(protocol=protocol, kind="strip_starttls", port="starttls")
    # A silent port never answers: a short probe timeout shows it as well as a long one.
    result = detect("alice@example.test", options(s, timeout=1.0))
    assert getattr(result, role) is None
    assert not result.found and result.error
    details = {
        r.candidate.security: detect_words.probe(r)
        for r in result.probes
        if r.candidate.port in (tls_port, starttls_port)
    }
    assert "did not answer in time" in details["tls"]
    assert "does not offer STARTTLS" in details["starttls"]
    failures = {
        r.candidate.security: r.failure
        for r in result.probes
        if r.candidate.port in (tls_port, starttls_port)
    }
    assert isinstance(failures["tls"], TimedOut)
    assert failures["starttls"].reason == "starttls-missing"
    # Even when plain is allowed, it is not silently chosen: the user must confirm it.
    result = detect("alice@example.test", options(s, timeout=1.5, allow_plain=True))
    assert getattr(result, role).candidate.security == "plain"
    assert any("WITHOUT encryption" in r and role in r for r in detect_words.confirm(result))
    assert [c.kind for c in result.confirm if c.role == role][0] is ConfirmKind.PLAIN
    if protocol == "smtp":
        return
    code = main(
        [
            "account",
            "add",
            "x",
            "--email",
            "alice@example.test",
            "--detect",
            "--allow-plain",
            "--no-verify",
            *cli_args(s, timeout=1.5),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "WITHOUT encryption" in captured.out
    assert "nothing was saved" in captured.err
    assert main(["account", "list"]) == 0
    assert "No accounts yet" in capsys.readouterr().out


def test_slower_stronger_answer_wins(imap_smtp_server) -> None:
    s = imap_smtp_server
    s.faults.add(protocol="imap", kind="delay", port="tls", delay=0.7)
    result = detect("alice@example.test", options(s, timeout=5.0))
    assert result.incoming.candidate.security == "tls"
    assert result.confirm == []


def test_starttls_handshake_failure_rejected(imap_smtp_server) -> None:
    s = imap_smtp_server
    s.faults.add(protocol="imap", kind="starttls_fail", port="starttls")
    s.faults.add(protocol="imap", kind="silent", port="tls")
    result = detect("alice@example.test", options(s, timeout=1.0))
    assert result.incoming is None
    starttls = next(r for r in result.probes if r.candidate.port == s.ports.imap_starttls)
    assert not starttls.ok
    assert "accepted STARTTLS but then closed the connection" in detect_words.probe(starttls)


def test_injection_after_starttls_rejected(imap_smtp_server) -> None:
    s = imap_smtp_server
    s.faults.add(
        protocol="imap", kind="inject_after_starttls", port="starttls", data=b"* OK evil\r\n"
    )
    result = detect("alice@example.test", options(s))
    starttls = next(r for r in result.probes if r.candidate.port == s.ports.imap_starttls)
    assert not starttls.ok
    assert "tampering" in detect_words.probe(starttls)
    assert result.incoming.candidate.security == "tls"


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("self_signed", "self-signed"),
        ("wrong_host", "does not name this host"),
        ("expired", "expired"),
        ("cn_only", "does not name this host"),
    ],
)
def test_bad_certificates_rejected_with_reason(test_ca, capsys, kind, reason) -> None:
    with MailServer(ca=test_ca, cert=kind, protocols=("imap", "smtp")) as s:
        result = detect("alice@example.test", options(s))
        assert not result.found
        tried = [r for r in result.probes if r.candidate.source == "srv"]
        assert tried and all(not r.ok and reason in detect_words.probe(r) for r in tried), [
            detect_words.probe(r) for r in tried
        ]
        if kind == "self_signed":  # the CLI shows the reason (once is enough)
            assert main(["detect", "alice@example.test", *cli_args(s)]) == 1
            assert reason in capsys.readouterr().out


def test_unknown_authority_offers_pin_and_ca_file(mail_server) -> None:
    """SRV names servers whose CA this computer does not know: nothing is chosen, the
    message says the SRV records were found (not 'no SRV records'), and each probe carries
    the key hash that --incoming-pin/--outgoing-pin would trust, which then works."""
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.discovery.resolver import Resolver
    from tuimail.core.discovery.verify import verify_account
    from tuimail.core.secrets import Secret

    p = mail_server.ports
    mail_server.set_dns(
        {
            "_imaps._tcp.example.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "_submissions._tcp.example.test": [("SRV", f"0 1 {p.smtp_tls} smtp.example.test.")],
            "imap.example.test": LOCAL,
            "smtp.example.test": LOCAL,
        }
    )
    opts = options(mail_server)
    opts.ca_file = None  # the test CA is unknown here
    result = detect("alice@example.test", opts)
    assert not result.found
    said = detect_words.not_found(result.error)
    assert "the SRV records named servers" in said
    assert "--ca-file" in said and "--incoming-pin" in said
    srv_probes = [r for r in result.probes if r.candidate.source == "srv"]
    assert srv_probes and all(r.pin and len(r.pin) == 64 for r in srv_probes)
    imap = next(r for r in srv_probes if r.candidate.protocol == "imap")
    assert "unknown authority" in detect_words.probe(imap) and imap.pin in detect_words.probe(imap)
    # ...decided from the typed failure, which the wizard reads (not the sentence)
    assert imap.failure.reason == "untrusted" and imap.failure.data["verify_code"] == 20

    # The offered pin is the one the connection layer accepts for that host and port.
    user = mail_server.new_user()
    account = Account(
        name="pinned",
        email=user.email,
        incoming=ServerSettings("imap.example.test", p.imap_tls, "tls", pinned_sha256=imap.pin),
        outgoing=ServerSettings("smtp.example.test", p.smtp_tls, "tls", pinned_sha256=imap.pin),
    )
    checks = verify_account(
        account,
        Secret(user.password),
        resolver=Resolver(nameserver=f"127.0.0.1:{mail_server.dns_port}"),
        timeout=5,
    )
    assert [c.ok for c in checks] == [True, True], [c.detail for c in checks]
