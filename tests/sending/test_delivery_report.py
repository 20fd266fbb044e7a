"""The delivery report end to end: mail submitted to the bundled server (which signs it
with DKIM, publishes the key in its DNS and adds Received and Authentication-Results on
delivery), synced over IMAP, and reported by `tuimail read UID --route --json`, with
tuimail's own DKIM check asking the bundled DNS server."""

from __future__ import annotations

import asyncio
import json
import shlex
import socket

import aiosmtplib
import pytest

from tests.cli.helpers import documented_keys
from tests.imap.helpers import account_for
from testserver.faults import Fault
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.discovery.resolver import Resolver
from tuimail.core.tls import client_context

pytestmark = pytest.mark.timeout(120)


def _compose(sender: str, rcpt: str, from_header: str, extra: str = "") -> bytes:
    return (
        f"From: {from_header}\r\nTo: {rcpt}\r\nSubject: report test\r\n{extra}"
        "Date: Mon, 1 Dec 2025 10:00:00 +0000\r\nMessage-ID: <r@example.test>\r\n\r\n"
        "Hello from the test.\r\n"
    ).encode()


def _submit(server, user, rcpt: str, raw: bytes) -> None:
    async def send() -> None:
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.ports.smtp_starttls,
            start_tls=True,
            tls_context=client_context(server.ca_file),
        )
        await client.connect()
        await client.login(user.login, user.password)
        await client.sendmail(user.email, [rcpt], raw)
        await client.quit()

    asyncio.run(send())


def _report(
    server, sender, rcpt, from_header: str, capsys, extra: str = "", nameserver: str = ""
) -> dict:
    """Send one message from `sender` to `rcpt`, sync it, return its --route --json."""
    _submit(server, sender, rcpt.email, _compose(sender.email, rcpt.email, from_header, extra))
    account = account_for(server, rcpt, name="work")
    account.extra["timeout"] = 2
    account.password_command = f"printf %s {shlex.quote(rcpt.password)}"
    save_account(account)
    assert main(["sync", "work"]) == 0
    capsys.readouterr()
    ns = nameserver or _ns(server)
    assert main(["read", "1", "--route", "--json", "--check-dkim", "--nameserver", ns]) == 0
    return json.loads(capsys.readouterr().out)


def _ns(server) -> str:
    return f"127.0.0.1:{server.dns_port}"


def _verdicts(report: dict) -> dict[str, str]:
    (mine,) = [a for a in report["auth_results"] if a["trusted"]]
    return {v["method"]: v["result"] for v in mine["verdicts"]}


def _texts(report: dict, key: str) -> str:
    return "\n".join(e["text"] for e in report[key])


@pytest.fixture
def bed(mail_server):
    mail_server.dns.add_record("_dmarc.example.test", "TXT", "v=DMARC1; p=reject")
    return mail_server, mail_server.new_user(), mail_server.new_user()


def test_a_good_message_passes_spf_dkim_dmarc_over_encrypted_hops(bed, capsys) -> None:
    server, alice, bob = bed
    report = _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    assert _verdicts(report) == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    first, last = report["hops"]
    assert (first["protocol"], first["encrypted"], first["authenticated"]) == (
        "ESMTPSA",
        True,
        True,
    )
    assert first["by_host"] == "smtp.example.test" and first["from_address"] == "127.0.0.1"
    assert last["protocol"] == "LMTP" and last["by_host"] == "imap.example.test"
    assert report["received_count"] == 2 and report["omitted_hops"] == 0
    assert "This message really comes from example.test" in _texts(report, "explanations")
    assert report["warnings"] == []
    [check] = report["dkim_checks"]
    assert (check["domain"], check["selector"], check["result"]) == ("example.test", "test", "pass")
    assert check["provider_said"] == "pass"


def test_a_forged_from_fails_dmarc_and_is_a_warning(bed, capsys) -> None:
    server, alice, bob = bed
    server.dns.add_record("_dmarc.bank.test", "TXT", "v=DMARC1; p=reject")
    report = _report(server, alice, bob, "Bank <security@bank.test>", capsys)
    verdicts = _verdicts(report)
    assert verdicts["dmarc"] == "fail" and verdicts["spf"] == "pass"  # SPF of example.test
    assert "bank.test fails DMARC (its policy: reject)" in _texts(report, "warnings")
    assert "The From address cannot be trusted" in _texts(report, "explanations")


def test_a_body_changed_after_signing_breaks_the_signature(bed, capsys) -> None:
    server, alice, bob = bed
    server.faults.add(Fault(protocol="smtp", kind="alter_body"))
    report = _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    assert _verdicts(report)["dkim"] == "fail"
    [check] = report["dkim_checks"]
    assert check["result"] == "fail" and check["provider_said"] == "fail"
    assert check["reason"] == "does-not-verify"
    said = check["data"]["library"]  # dkimpy's words: the hashes it got and expected
    assert said.startswith("body hash mismatch (got b'")
    assert "changed after example.test signed it" in _texts(report, "explanations")
    # the text report words the typed result at the edge, with dkimpy's own words
    assert main(["read", "1", "--route", "--check-dkim", "--nameserver", _ns(server)]) == 0
    assert (
        f" example.test (selector test): fail: the signature does not verify ({said})"
        " (your provider said fail: agrees)"
    ) in capsys.readouterr().out.splitlines()


def test_a_signature_whose_key_is_missing_cannot_be_checked(bed, capsys) -> None:
    server, alice, bob = bed
    server.dns.set_records("test._domainkey.example.test", None)
    report = _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    assert _verdicts(report)["dkim"] == "permerror"
    [check] = report["dkim_checks"]
    assert check["result"] == "no key"
    assert (check["reason"], check["data"]) == ("no-key", {"name": "test._domainkey.example.test"})
    assert check["detail"] == (
        "no key is published at test._domainkey.example.test: the signature cannot be valid"
    )
    assert main(["read", "1", "--route", "--check-dkim", "--nameserver", _ns(server)]) == 0
    assert (
        " example.test (selector test): no key: no key is published at"
        " test._domainkey.example.test: the signature cannot be valid"
        " (your provider said permerror: differs)"
    ) in capsys.readouterr().out.splitlines()
    assert ("test._domainkey.example.test", "TXT") in server.dns.queries


def test_a_message_held_in_the_queue_shows_the_delayed_hop(bed, capsys) -> None:
    server, alice, bob = bed
    server.faults.add(Fault(protocol="smtp", kind="hold", delay=3700))
    report = _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    first, last = report["hops"]
    assert last["delay"] == 3700 and report["total_seconds"] == 3700
    assert any("waited 1 h 1 min" in note for note in last["notes"])


def test_a_display_name_spoof_is_pointed_out_even_when_everything_passes(bed, capsys) -> None:
    server, alice, bob = bed
    report = _report(server, alice, bob, f'"service@paypal.com" <{alice.email}>', capsys)
    assert _verdicts(report) == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert "looks like an address at paypal.com" in _texts(report, "warnings")


def test_a_look_alike_sender_domain_is_pointed_out(bed, capsys) -> None:
    server, alice, bob = bed
    report = _report(server, alice, bob, "Boss <boss@examp1e.test>", capsys)
    assert "examp1e.test looks like example.test" in _texts(report, "warnings")
    assert report["dkim_signatures"] == []  # the server signs its own domain only


def test_results_forged_under_the_providers_name_are_removed_on_arrival(bed, capsys) -> None:
    server, alice, bob = bed
    forged = "Authentication-Results: smtp.example.test; dmarc=pass header.from=bank.test\r\n"
    report = _report(server, alice, bob, "Bank <ceo@bank.test>", capsys, extra=forged)
    assert len(report["auth_results"]) == 1
    assert _verdicts(report)["dmarc"] == "none"  # bank.test publishes no DMARC here


def test_the_text_report_is_plain_and_names_each_hop(bed, capsys) -> None:
    server, alice, bob = bed
    _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    assert main(["read", "1", "--route"]) == 0
    out = capsys.readouterr().out
    assert "Route (oldest first)" in out and "with ESMTPSA (encrypted" in out
    assert "→ imap.example.test" in out and "\x1b" not in out


def test_every_json_key_of_the_report_is_documented(bed, capsys) -> None:
    server, alice, bob = bed
    report = _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    documented = documented_keys("`tuimail read UID --route --json`")
    keys = set(report) | {k for hop in report["hops"] for k in hop}
    keys |= {k for a in report["auth_results"] for k in a}
    keys |= {k for a in report["auth_results"] for v in a["verdicts"] for k in v}
    keys |= {k for c in report["dkim_checks"] for k in c}
    keys |= {k for e in report["explanations"] for k in e}
    assert keys <= documented, keys - documented


def test_an_unusable_nameserver_is_a_usage_error_in_one_sentence(bed, capsys) -> None:
    server, alice, bob = bed
    _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    assert main(["read", "1", "--route", "--check-dkim", "--nameserver", "127.0.0.1:99999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err.strip()
        == "tuimail: The name server '127.0.0.1:99999' has an invalid port. Give --nameserver as HOST or HOST:PORT."
    )


def test_without_check_dkim_no_dns_is_asked(bed, capsys) -> None:
    server, alice, bob = bed
    _report(server, alice, bob, f"Alice <{alice.email}>", capsys)
    before = list(server.dns.queries)
    assert main(["read", "1", "--route", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dkim_checks"] is None and server.dns.queries == before


def test_a_name_server_that_never_answers_gives_a_sentence_not_a_hang(
    bed, capsys, monkeypatch
) -> None:
    server, alice, bob = bed
    waits: list[float] = []  # how long each look-up was allowed to wait
    query = Resolver.query

    def spy(self, name, rtype, timeout=None):
        waits.append(timeout or self.dns.lifetime)
        return query(self, name, rtype, timeout)

    monkeypatch.setattr(Resolver, "query", spy)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives the queries, answers none
        port = silent.getsockname()[1]
        report = _report(
            server, alice, bob, f"Alice <{alice.email}>", capsys, nameserver=f"127.0.0.1:{port}"
        )
    [check] = report["dkim_checks"]
    assert check["result"] == "error" and check["reason"] == "key-lookup-failed"
    assert check["data"]["timed_out"] is True
    assert check["data"]["name"] == "test._domainkey.example.test"
    assert check["detail"].startswith("the key could not be fetched (the DNS query for ")
    assert "timed out" in check["detail"]
    assert waits and max(waits) <= 2  # the account's timeout (2 s), not dkimpy's own 5 s
