"""Shared helpers for the account tests: detection options and CLI flags for a test server."""

from __future__ import annotations

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


def cli_args(server) -> list[str]:
    mapping = ",".join(f"{k}={v}" for k, v in port_map(server).items())
    return [
        "--nameserver",
        f"127.0.0.1:{server.dns_port}",
        "--ca-file",
        server.ca_file,
        "--timeout",
        "3",
        "--https-port",
        str(server.https_port),
        "--port-map",
        mapping,
    ]
