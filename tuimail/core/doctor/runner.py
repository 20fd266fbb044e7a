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
from tuimail.core.doctor.server_checks import check_server
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
        lambda: check_server(account.protocol, account, password, timeout),
        lambda: check_server("smtp", account, password, timeout),
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
