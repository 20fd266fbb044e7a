"""Shared helpers for the account tests: detection options and CLI flags for a test server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from tuimail.core.discovery.detect import DetectOptions

LOCAL = [("A", "127.0.0.1")]


def options(server, **kw) -> DetectOptions:
    kw.setdefault("timeout", 3.0)
    kw.setdefault("total_timeout", 10.0)
    return DetectOptions(
        nameserver=f"127.0.0.1:{server.dns_port}",
        https_port=server.https_port,
        ca_file=server.ca_file,
        **kw,
    )


def port_map(server) -> dict[int, int]:
    p = server.ports
    return {
        993: p.imap_tls,
        143: p.imap_starttls,
        995: p.pop3_tls,
        110: p.pop3_starttls,
        465: p.smtp_tls,
        587: p.smtp_starttls,
        25: p.smtp_starttls,
    }


def cli_args(server, timeout: float = 3) -> list[str]:
    """Arguments pointing detection at `server`; `timeout` seconds per probe."""
    mapping = ",".join(f"{k}={v}" for k, v in port_map(server).items())
    return [
        "--nameserver",
        f"127.0.0.1:{server.dns_port}",
        "--ca-file",
        server.ca_file,
        "--timeout",
        str(timeout),
        "--https-port",
        str(server.https_port),
        "--port-map",
        mapping,
    ]


def outside_zone(server, how: str = "srv") -> dict:
    """DNS for customer.test whose servers are outside it (at example.test): by SRV
    records, or (how="mx") by the MX provider's autoconfig (set here too)."""
    from testserver.autoconfig import autoconfig_xml

    p = server.ports
    zone = {"imap.example.test": LOCAL, "smtp.example.test": LOCAL}
    if how == "srv":
        zone["_imaps._tcp.customer.test"] = [("SRV", f"0 1 {p.imap_tls} imap.example.test.")]
        zone["_submissions._tcp.customer.test"] = [("SRV", f"0 1 {p.smtp_tls} smtp.example.test.")]
    else:
        zone["customer.test"] = [("MX", "10 mx1.example.test.")]
        zone["autoconfig.example.test"] = LOCAL
        server.set_autoconfig(
            "example.test",
            autoconfig_xml(
                "example.test",
                imap=("imap.example.test", p.imap_tls, "SSL"),
                smtp=("smtp.example.test", p.smtp_tls, "SSL"),
            ),
        )
    server.set_dns(zone)
    return zone


def auth_attempts(server) -> list:
    """Every login any of the server's protocols saw (IMAP, POP3, SMTP)."""
    seen = []
    for protocol in server.protocols:
        seen += server.protocol_server(protocol).auth_log
    return seen


def serve_autoconfig(server, imap: tuple[int, str], smtp: tuple[int, str]) -> None:
    """example.test's autoconfig document names mail.example.test for IMAP and SMTP at
    the given (port, socketType); DNS is set by the caller."""
    from testserver.autoconfig import autoconfig_xml

    server.set_autoconfig(
        "example.test",
        autoconfig_xml(
            "example.test",
            imap=("mail.example.test", *imap),
            smtp=("mail.example.test", *smtp),
        ),
    )


@contextmanager
def silent_port(backlog: int = 300) -> Iterator[int]:
    """A port that takes connections (the kernel's backlog) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def srv_flood(port: int, records: int = 300) -> dict:
    """DNS for example.test publishing `records` SRV records each for IMAP and submission
    over TLS, every one a different host at `port`."""
    zone: dict = {}
    for label in ("_imaps._tcp", "_submissions._tcp"):
        zone[f"{label}.example.test"] = [
            ("SRV", f"0 {i % 7} {port} h{i}.example.test.") for i in range(records)
        ]
    zone.update({f"h{i}.example.test": LOCAL for i in range(records)})
    return zone
