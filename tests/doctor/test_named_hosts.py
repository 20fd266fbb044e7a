"""`--nameserver` also decides where the servers are: host names only that DNS knows."""

from __future__ import annotations

from tests.doctor.conftest import healthy_zone, make_account
from tuimail.core.doctor import run_checks
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix, seen


def _named(mail_server, user, incoming="imap.example.test", outgoing="smtp.example.test"):
    account = make_account(mail_server, user)
    account.incoming.host = incoming
    account.outgoing.host = outgoing
    return account


def test_servers_found_through_the_named_dns(mail_server) -> None:
    nameserver = healthy_zone(mail_server)
    zone = dict(mail_server.dns.zone)
    for name in ("imap", "smtp"):
        zone[f"{name}.{mail_server.domain}"] = [("A", "127.0.0.1")]
    mail_server.set_dns(zone)
    user = mail_server.new_user()
    results = run_checks(
        _named(mail_server, user), Secret(user.password), timeout=5, nameserver=nameserver
    )
    servers = [r for r in results if r.group.startswith(("Incoming", "Outgoing"))]
    logins = [r for r in servers if r.name == "login"]
    assert len(logins) == 2 and all(r.status == "ok" for r in logins), servers
    certificates = [r for r in servers if r.name == "certificate"]
    assert len(certificates) == 2 and all(r.status == "ok" for r in certificates), servers


def test_host_unknown_to_the_named_dns(mail_server) -> None:
    nameserver = healthy_zone(mail_server)
    user = mail_server.new_user()
    account = _named(mail_server, user, incoming="nowhere.example.test")
    results = run_checks(account, Secret(user.password), timeout=5, nameserver=nameserver)
    reach = next(r for r in results if r.group.startswith("Incoming"))
    assert reach.status == "failure"
    assert (
        seen(reach)
        == f"the host name nowhere.example.test cannot be found in DNS (asked {nameserver})"
    )
    assert "spelling" in fix(reach)


def test_round_trip_to_a_host_unknown_to_the_named_dns_sends_nothing(mail_server) -> None:
    nameserver = healthy_zone(mail_server)
    user = mail_server.new_user()
    account = _named(mail_server, user, outgoing="nowhere.example.test")
    results = run_checks(
        account, Secret(user.password), timeout=5, nameserver=nameserver, send=True
    )
    trip = results[-1]
    assert trip.name == "round trip" and trip.status == "failure" and trip.seen == ""
    assert seen(trip) == (
        "no test message was sent: the host name nowhere.example.test cannot be found in "
        f"DNS (asked {nameserver})"
    )
    assert fix(trip) == "see the server checks above; once they pass, run the doctor again"
    assert mail_server.protocol_server("smtp").accepted == []


def test_servers_given_as_addresses_are_reached_whatever_the_named_dns(mail_server) -> None:
    """`tuimail doctor --nameserver nope:99999` on an account whose servers are IP
    addresses said 'the host name 127.0.0.1 cannot be found in DNS': an address needs
    no DNS (the DNS step alone reports the unusable name server)."""
    user = mail_server.new_user()
    account = _named(mail_server, user, incoming="127.0.0.1", outgoing="127.0.0.1")
    results = run_checks(account, Secret(user.password), timeout=5, nameserver="nope:99999")
    servers = [r for r in results if r.group.startswith(("Incoming", "Outgoing"))]
    logins = [r for r in servers if r.name == "login"]
    assert len(logins) == 2 and all(r.status == "ok" for r in logins), servers
