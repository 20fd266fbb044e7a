"""Detection's findings are typed data in core and sentences at the edge (issue 13):
what needs the user's yes, why nothing was found, each look-up's and pin's outcome, a
probe's or login's success, and a look-up that broke unexpectedly. Over real sockets
against the bundled server (its DNS, autoconfig, IMAP and SMTP); tuimail.detect_words
says them, sanitised."""

from __future__ import annotations

import json

from tests.accounts.helpers import LOCAL, cli_args, options, outside_zone, serve_autoconfig
from tuimail import detect_words
from tuimail.__main__ import main
from tuimail.core.config import Account, ServerSettings
from tuimail.core.discovery.detect import detect
from tuimail.core.discovery.findings import (
    Confirm,
    ConfirmKind,
    NotFound,
    NotFoundReason,
    Notice,
    NoticeKind,
)
from tuimail.core.discovery.model import Candidate, Note, SrvNote, Step
from tuimail.core.discovery.resolver import Resolver
from tuimail.core.discovery.verify import verify_account
from tuimail.core.errors import MailError, Unreachable
from tuimail.core.secrets import Secret

ESC = "\x1b"


class _SrvBreaks(Resolver):
    """The bundled server's DNS, except that an SRV query raises what no look-up expects
    (a bug, an unforeseen library error), with words that must never reach a person."""

    def query(self, name: str, rtype: str, timeout: float | None = None):
        if rtype == "SRV":
            raise RuntimeError(f"internal state {ESC}[31m/home/alice/.secret")
        return super().query(name, rtype, timeout)


def _by_stage(result, stage: str) -> list:
    return [e for e in result.lookups() if e.stage == stage]


def test_a_look_up_that_breaks_unexpectedly_is_typed_and_the_others_go_on(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns({"autoconfig.example.test": LOCAL, "mail.example.test": LOCAL})
    serve_autoconfig(mail_server, (p.imap_tls, "SSL"), (p.smtp_tls, "SSL"))
    resolver = _SrvBreaks(f"127.0.0.1:{mail_server.dns_port}", 3)
    result = detect("alice@example.test", options(mail_server, resolver=resolver))
    assert result.found and result.source == "autoconfig"
    [srv] = _by_stage(result, "srv")
    assert not srv.ok and isinstance(srv.failure, MailError)
    assert isinstance(srv.failure.__cause__, RuntimeError)  # kept, for a log
    said = detect_words.event(srv)
    assert said == "the look-up failed unexpectedly (RuntimeError)", said
    assert ".secret" not in srv.detail and ".secret" not in said
    lookups = detect_words.detection_dict(result)["lookups"]
    assert [x["detail"] for x in lookups if x["stage"] == "srv"] == [said]


def test_what_needs_a_yes_is_typed_and_worded_at_the_edge(mail_server) -> None:
    outside_zone(mail_server, "srv")
    result = detect("carol@customer.test", options(mail_server))
    assert result.found and result.login_deferred is False
    assert [(c.kind, c.role, c.chosen.host, c.domain) for c in result.confirm] == [
        (ConfirmKind.OUTSIDE, "incoming", "imap.example.test", "customer.test"),
        (ConfirmKind.OUTSIDE, "outgoing", "smtp.example.test", "customer.test"),
    ]
    assert detect_words.confirm(result) == [
        f"The {role} server {host} is outside customer.test (found by SRV); make sure you trust it."
        for role, host in (("incoming", "imap.example.test"), ("outgoing", "smtp.example.test"))
    ]


def test_the_mx_path_reports_typed_notes(mail_server) -> None:
    outside_zone(mail_server, "mx")
    result = detect("carol@customer.test", options(mail_server))
    [mx] = [e for e in _by_stage(result, "mx") if e.note and e.note.step is Step.MX_PROVIDER]
    assert mx.note == Note(Step.MX_PROVIDER, host="mx1.example.test", name="example.test")
    assert detect_words.event(mx) == "MX mx1.example.test: provider example.test"
    assert {c.kind for c in result.confirm} == {ConfirmKind.OUTSIDE}
    assert "(found by the MX record)" in detect_words.confirm(result)[0]


def test_srv_notes_and_a_probe_that_works_are_typed(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns(
        {
            "_imaps._tcp.example.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "_pop3s._tcp.example.test": [("SRV", "0 0 0 .")],  # not offered
            "_submissions._tcp.example.test": [("SRV", f"0 1 {p.smtp_tls} smtp.example.test.")],
            "imap.example.test": LOCAL,
            "smtp.example.test": LOCAL,
        }
    )
    result = detect("alice@example.test", options(mail_server))
    [srv] = _by_stage(result, "srv")
    assert srv.note.step is Step.SRV_RECORDS and srv.note.count == 2
    assert SrvNote("_pop3s._tcp.example.test") in srv.note.srv
    said = detect_words.event(srv)
    assert said.startswith("2 SRV record(s); ")
    assert "_pop3s._tcp.example.test says the service is not offered" in said
    [mx] = _by_stage(result, "mx")
    assert mx.note == Note(Step.MX_NONE) and detect_words.event(mx) == "no MX record"
    assert result.incoming.ok and "works" not in result.incoming.detail
    assert detect_words.probe(result.incoming) == "works (TLS, certificate verified)"


def test_nothing_found_is_typed_with_the_failures_gathered(mail_server, capsys) -> None:
    mail_server.set_dns({})
    result = detect("nobody@nothing.test", options(mail_server, timeout=1.0))
    error = result.error
    assert isinstance(error, NotFound) and error.reason is NotFoundReason.NOTHING
    assert error.domain == "nothing.test" and error.named_by == () and error.hint is None
    assert error.failures and all(isinstance(f, Unreachable) for f in error.failures)
    assert detect_words.not_found(error).startswith(
        "No working mail server was found for nothing.test: no SRV records"
    )
    assert main(["detect", "nobody@nothing.test", "--json", *cli_args(mail_server)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["error_reason"] == "nothing"
    assert data["error"] == detect_words.not_found(error)


def test_not_an_address_is_typed(capsys) -> None:
    result = detect("not-an-address")
    assert result.error.reason is NotFoundReason.NOT_AN_ADDRESS and not result.probes
    said = detect_words.not_found(result.error)
    assert said == "'not-an-address' is not an e-mail address like alice@example.org."
    assert main(["detect", "not-an-address"]) == 2  # a usage error, as for account add
    assert capsys.readouterr().err == f"tuimail detect: {said}\n"


def test_one_missing_role_names_the_server_found(mail_server) -> None:
    p = mail_server.ports
    mail_server.set_dns(
        {
            "_imaps._tcp.example.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "imap.example.test": LOCAL,
        }
    )
    result = detect("alice@example.test", options(mail_server, timeout=1.0))
    assert result.error.reason is NotFoundReason.ONE_ROLE
    assert result.error.found.host == "imap.example.test"
    assert detect_words.not_found(result.error) == (
        f"An incoming (IMAP or POP3) server was found (IMAP imap.example.test port {p.imap_tls}"
        ", TLS) but no working outgoing (SMTP) server; enter it by hand with "
        "`tuimail account add`."
    )


def test_a_login_that_works_is_worded_at_the_edge(mail_server) -> None:
    user = mail_server.new_user()
    account = Account(
        name="t",
        email=user.email,
        username=user.login,
        incoming=ServerSettings("localhost", mail_server.ports.imap_tls, "tls"),
        outgoing=ServerSettings("localhost", mail_server.ports.smtp_tls, "tls"),
        protocol="imap",
        ca_file=mail_server.ca_file,
    )
    checks = verify_account(account, Secret(user.password), timeout=5)
    assert [(c.ok, c.detail, c.protocol, c.host) for c in checks] == [
        (True, "ok", "imap", "localhost"),
        (True, "ok", "smtp", "localhost"),
    ]
    assert [detect_words.login(c) for c in checks] == [
        "Logged in to the IMAP server localhost.",
        "Logged in to the SMTP server localhost (SMTP AUTH).",
    ]


def test_names_in_findings_reach_people_sanitised() -> None:
    """Host and provider names come from DNS and documents: the edge strips controls."""
    host = f"imap.{ESC}[2Jevil.test"
    chosen = Candidate("imap", host, 993, "tls", "srv", 0, True)
    said = [
        detect_words.confirm_item(
            Confirm(ConfirmKind.OUTSIDE, "incoming", chosen, domain="x.test")
        ),
        detect_words.note(Note(Step.MX_PROVIDER, host=host, name=f"p{ESC}]52;c;x\a")),
        detect_words.note(Note(Step.SRV_RECORDS, srv=(SrvNote(f"_imap.{ESC}x"),))),
        detect_words.warning(Notice(NoticeKind.ISPDB_UNPROBED, f"Mail{ESC}[5m")),
        detect_words.not_found(
            NotFound(NotFoundReason.ONE_ROLE, "a@x.test", "x.test", found=chosen)
        ),
        detect_words.not_found(NotFound(NotFoundReason.NOT_AN_ADDRESS, f"{ESC}[2J", "")),
    ]
    assert all(text and ESC not in text and "\a" not in text for text in said), said
