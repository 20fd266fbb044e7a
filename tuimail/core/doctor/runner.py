"""Run the checks for one account, in the order the report shows them.

Each step returns a list of `CheckResult`; `on_result` (if given) is called with
every result as soon as its step finishes, so a screen can show checks live.
"""

from __future__ import annotations

from collections.abc import Callable

from tuimail.core.account import Account
from tuimail.core.discovery.resolver import DNSError, NameserverError, Resolver
from tuimail.core.doctor.dns_checks import check_dns
from tuimail.core.doctor.port_checks import check_other_ports
from tuimail.core.doctor.report import CheckResult
from tuimail.core.doctor.roundtrip import check_roundtrip
from tuimail.core.doctor.server_checks import check_server, group_name
from tuimail.core.secrets import Secret

Step = Callable[[], list[CheckResult]]
ResultCallback = Callable[[CheckResult], None]


def plan_steps(
    account: Account,
    password: Secret | None,
    *,
    timeout: float = 15.0,
    nameserver: str | None = None,
    send: bool = False,
    roundtrip_timeout: float = 120.0,
    dkim_selector: str | None = None,
) -> list[Step]:
    """The checks for `account` as separate steps, in report order."""
    steps: list[Step] = [
        lambda: check_dns(account, nameserver, timeout, dkim_selector),
        lambda: _server_step(account.protocol, account, password, timeout, nameserver),
        lambda: _server_step("smtp", account, password, timeout, nameserver),
        lambda: check_other_ports(account, min(timeout, 3.0), _address_for(nameserver, timeout)),
    ]
    if send and password is not None:  # last: it sends mail; omitted (not "skipped") else
        steps.append(lambda: check_roundtrip(account, password, timeout, roundtrip_timeout))
    return steps


def run_checks(
    account: Account,
    password: Secret | None,
    *,
    timeout: float = 15.0,
    nameserver: str | None = None,
    send: bool = False,
    roundtrip_timeout: float = 120.0,
    dkim_selector: str | None = None,
    on_result: ResultCallback | None = None,
) -> list[CheckResult]:
    """Every check for `account`; `password` None skips logins (and the round trip)."""
    results: list[CheckResult] = []
    steps = plan_steps(
        account,
        password,
        timeout=timeout,
        nameserver=nameserver,
        send=send,
        roundtrip_timeout=roundtrip_timeout,
        dkim_selector=dkim_selector,
    )
    for step in steps:
        for result in step():
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


def _address_for(nameserver: str | None, timeout: float) -> Callable[[str], list[str]] | None:
    """Host addresses through the named DNS server (None: the system's resolver); []
    when it cannot tell (the DNS step reports why)."""
    if nameserver is None:
        return None

    def address_for(host: str) -> list[str]:
        try:
            return Resolver(nameserver, timeout).addresses(host, 0)
        except (DNSError, NameserverError):
            return []

    return address_for


def _server_step(
    kind: str, account: Account, password: Secret | None, timeout: float, nameserver: str | None
) -> list[CheckResult]:
    """check_server, connecting to the address the named DNS server gives (if any)."""
    settings = account.outgoing if kind == "smtp" else account.incoming
    resolve = _address_for(nameserver, timeout)
    host = settings.host.rstrip(".").lower()
    if resolve is None or host == "localhost" or host.endswith(".localhost"):
        return check_server(kind, account, password, timeout)
    found = resolve(settings.host)
    if not found:
        return [
            CheckResult(
                "reachable",
                group_name(kind, settings),
                "failure",
                f"the host name {settings.host} cannot be found in DNS (asked {nameserver})",
                "check the spelling of the host name in the account settings; if it is "
                "right, the domain's DNS has no address for it",
            )
        ]
    return check_server(kind, account, password, timeout, found[0])
