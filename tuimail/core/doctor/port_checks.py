"""TCP reachability of the standard mail ports the account does not use.

Only the account's own incoming and outgoing hosts are contacted, all ports at once with
a short timeout. A closed port the account does not use is not a problem; what is worth
saying is an open alternative while the configured port does not answer ("switch to
587"), and port 25 closed while submission works (the usual ISP block, nothing to fix).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tuimail.core.account import Account
from tuimail.core.doctor.report import CheckResult

GROUP = "Other ports"

# role -> (direction, protocol, security, description)
ROLES: dict[str, tuple[str, str, str, str]] = {
    "imaps": ("incoming", "imap", "tls", "IMAP over TLS"),
    "imap": ("incoming", "imap", "starttls", "IMAP with STARTTLS"),
    "pop3s": ("incoming", "pop3", "tls", "POP3 over TLS"),
    "pop3": ("incoming", "pop3", "starttls", "POP3 with STARTTLS"),
    "submissions": ("outgoing", "smtp", "tls", "submission over TLS"),
    "submission": ("outgoing", "smtp", "starttls", "submission with STARTTLS"),
    "smtp": ("outgoing", "relay", "starttls", "SMTP between servers"),
}
STANDARD_PORTS: dict[str, int] = {
    "imaps": 993,
    "imap": 143,
    "pop3s": 995,
    "pop3": 110,
    "submissions": 465,
    "submission": 587,
    "smtp": 25,
}

AddressFor = Callable[[str], list[str]]


@dataclass
class _Probe:
    host: str
    port: int
    role: str | None  # None: the account's configured port (probed, not reported)
    open: bool = False
    # Why it did not answer, as data: {"why": "timeout", "timeout": s}, {"why": "refused"}
    # or {"why": "error", "error": the system's own words (strerror) or the exception's type}.
    reason: dict = field(default_factory=dict)
    seconds: float = 0.0


def _system_addresses(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _connect(probe: _Probe, addresses: list[str], timeout: float) -> _Probe:
    start = time.monotonic()
    for address in addresses:
        try:
            socket.create_connection((address, probe.port), timeout=timeout).close()
        except TimeoutError:
            probe.reason = {"why": "timeout", "timeout": timeout}
        except ConnectionRefusedError:
            probe.reason = {"why": "refused"}
        except OSError as exc:
            probe.reason = {"why": "error", "error": exc.strerror or type(exc).__name__}
        else:
            probe.open = True
            break
    probe.seconds = time.monotonic() - start
    return probe


def check_other_ports(
    account: Account,
    timeout: float,
    address_for: AddressFor | None = None,
    ports: Mapping[str, int] | None = None,
) -> list[CheckResult]:
    """One result per standard port (`ports`: role -> port, default STANDARD_PORTS) of the
    incoming and outgoing hosts that the account is not configured to use."""
    ports = dict(STANDARD_PORTS if ports is None else ports)
    resolve = address_for or _system_addresses
    hosts = {
        "incoming": account.incoming.host.lower().rstrip("."),
        "outgoing": account.outgoing.host.lower().rstrip("."),
    }
    configured = {
        (hosts["incoming"], account.incoming.port),
        (hosts["outgoing"], account.outgoing.port),
    }
    probes: list[_Probe] = [_Probe(host, port, None) for host, port in sorted(configured)]
    seen = set(configured)
    for role, port in ports.items():
        host = hosts[ROLES[role][0]]
        if (host, port) not in seen:
            seen.add((host, port))
            probes.append(_Probe(host, port, role))

    results: list[CheckResult] = []
    addresses: dict[str, list[str]] = {}
    for host in dict.fromkeys(p.host for p in probes):
        try:
            addresses[host] = resolve(host)
        except OSError:
            addresses[host] = []
        if not addresses[host] and any(p.host == host and p.role for p in probes):
            data = {"finding": "ports-unchecked", "host": host}  # worded at the edge
            results.append(CheckResult(f"{host}", GROUP, "warning", "", data=data))
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        done = list(pool.map(lambda p: _connect(p, addresses[p.host], timeout), probes))

    for probe in done:
        if probe.role is not None and addresses[probe.host]:
            results.append(_explain(probe, account, done))
    return results


def _explain(probe: _Probe, account: Account, done: list[_Probe]) -> CheckResult:
    """One port's finding as data (tuimail.doctor_words words it): "port-open",
    "port-instead" (it answers while the configured port of its kind does not: use it),
    "port-25-blocked" (closed while a submission port answers), "port-25-closed" (and no
    submission port answers either), "port-closed" (one the account does not use)."""
    assert probe.role is not None
    direction, protocol, security, what = ROLES[probe.role]
    name = f"port {probe.port} ({what})"
    data: dict = {"host": probe.host, "port": probe.port}
    settings = account.outgoing if direction == "outgoing" else account.incoming
    mine = next(
        (p for p in done if p.role is None and (p.host, p.port) == (probe.host, settings.port)),
        None,
    )
    took = probe.seconds
    if probe.open:
        data["ms"] = round(probe.seconds * 1000)
        same_kind = protocol == (account.protocol if direction == "incoming" else "smtp")
        if mine is not None and not mine.open and same_kind:
            data |= {"finding": "port-instead", "configured": settings.port, **mine.reason}
            data |= {"direction": direction, "security": security}
            return CheckResult(name, GROUP, "warning", "", "", took, data=data)
        return CheckResult(name, GROUP, "ok", "", "", took, data={"finding": "port-open", **data})
    data |= probe.reason
    if probe.role == "smtp":
        sending = [
            p
            for p in done
            if p.open
            and p.host == probe.host
            and (
                (p.role is not None and ROLES[p.role][1] == "smtp")
                or (p.role is None and p.port == account.outgoing.port)
            )
        ]
        if sending:
            data |= {"finding": "port-25-blocked", "sending": [p.port for p in sending]}
            return CheckResult(name, GROUP, "ok", "", "", took, data=data)
        data["finding"] = "port-25-closed"
        return CheckResult(name, GROUP, "warning", "", "", took, data=data)
    data["finding"] = "port-closed"
    return CheckResult(name, GROUP, "ok", "", "", took, data=data)
