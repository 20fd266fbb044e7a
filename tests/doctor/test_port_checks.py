"""Other ports: listening and refusing sockets on 127.0.0.1 stand in for the standard ports
(993, 587, 25 ... cannot be bound in a test), passed through the `ports` parameter."""

from __future__ import annotations

import socket
from contextlib import ExitStack

import pytest

from tuimail.core.account import Account, ServerSettings
from tuimail.core.doctor.port_checks import STANDARD_PORTS, check_other_ports
from tuimail.doctor_words import fix, seen

HOST = "127.0.0.1"


@pytest.fixture
def sockets():
    """open() -> a listening port; closed() -> a bound port that refuses connections."""
    with ExitStack() as stack:

        class Ports:
            @staticmethod
            def open() -> int:
                s = stack.enter_context(socket.create_server((HOST, 0)))
                return s.getsockname()[1]

            @staticmethod
            def closed() -> int:
                s = stack.enter_context(socket.socket())
                s.bind((HOST, 0))  # bound, never listening: connection refused
                return s.getsockname()[1]

        yield Ports


def _account(incoming: int, outgoing: int, security="tls", smtp_security="tls") -> Account:
    return Account(
        name="t",
        email="alice@example.test",
        username="alice",
        incoming=ServerSettings(HOST, incoming, security),
        outgoing=ServerSettings(HOST, outgoing, smtp_security),
        protocol="imap",
    )


def _by_role(results, ports):
    return {role: r for role, port in ports.items() for r in results if f"port {port} " in r.name}


def test_open_closed_and_port_25_blocked(sockets) -> None:
    imaps, submissions = sockets.open(), sockets.open()
    ports = {
        "imaps": imaps,  # configured: not reported
        "imap": sockets.open(),
        "pop3s": sockets.closed(),
        "submissions": submissions,  # configured
        "submission": sockets.open(),
        "smtp": sockets.closed(),  # the ISP block of port 25
    }
    asked: list[str] = []

    def address_for(host: str) -> list[str]:
        asked.append(host)
        return [HOST]

    results = check_other_ports(_account(imaps, submissions), 3.0, address_for, ports)
    assert asked == [HOST]  # one host, looked up once, through the given function
    assert all(r.group == "Other ports" for r in results)
    assert len(results) == 4
    by = _by_role(results, ports)
    assert set(by) == {"imap", "pop3s", "submission", "smtp"}
    assert by["imap"].status == "ok" and "answers (TCP connect in" in seen(by["imap"])
    assert by["imap"].name == f"port {ports['imap']} (IMAP with STARTTLS)"
    assert by["pop3s"].status == "ok"
    assert "connection refused" in seen(by["pop3s"]) and "does not use it" in seen(by["pop3s"])
    smtp = by["smtp"]
    assert smtp.status == "ok"
    assert "usual ISP block of port 25" in seen(smtp) and "nothing to fix" in seen(smtp)
    assert f"sending uses {submissions}/{ports['submission']}" in seen(smtp)


def test_configured_port_closed_suggests_the_open_alternative(sockets) -> None:
    imaps, dead = sockets.open(), sockets.closed()
    ports = {"submissions": dead, "submission": sockets.open(), "smtp": sockets.closed()}
    results = check_other_ports(_account(imaps, dead), 3.0, ports=ports)
    by = _by_role(results, ports)
    assert set(by) == {"submission", "smtp"}  # the configured port is not repeated here
    alt = by["submission"]
    assert alt.status == "warning"
    assert f"while the configured port {dead} does not (connection refused" in seen(alt)
    assert f"set the outgoing server to port {ports['submission']} with security = starttls" in (
        fix(alt)
    )
    assert by["smtp"].status == "ok" and "ISP block" in seen(by["smtp"])


def test_port_25_closed_and_nothing_to_send_through(sockets) -> None:
    dead = sockets.closed()
    ports = {"submissions": dead, "submission": sockets.closed(), "smtp": sockets.closed()}
    results = check_other_ports(_account(sockets.open(), dead), 3.0, ports=ports)
    by = _by_role(results, ports)
    assert by["submission"].status == "ok" and "connection refused" in seen(by["submission"])
    smtp = by["smtp"]
    assert smtp.status == "warning"
    assert "no submission port answers either" in seen(smtp)
    assert "587 or 465" in fix(smtp) and "firewall" in fix(smtp)


def test_unknown_host_is_reported_not_raised(sockets) -> None:
    account = _account(sockets.open(), sockets.open())
    account.incoming.host = account.outgoing.host = "nowhere.example.test"
    results = check_other_ports(account, 1.0, lambda host: [], {"imap": sockets.open()})
    assert [(r.status, r.name) for r in results] == [("warning", "nowhere.example.test")]
    # the host is the line's name: not said again; the fix is its server check's, once
    assert seen(results[0]) == (
        "its other ports were not checked: the host name cannot be found in DNS (see its "
        "server check above)"
    )
    assert fix(results[0]) == ""


def test_default_is_the_standard_list() -> None:
    # Loopback only; whatever listens there, each standard port not configured is reported.
    account = _account(993, 465)
    results = check_other_ports(account, 2.0, lambda host: [HOST])
    reported = sorted(int(r.name.split()[1]) for r in results)
    assert reported == sorted(set(STANDARD_PORTS.values()) - {993, 465})
    assert all(r.status in ("ok", "warning") for r in results)
