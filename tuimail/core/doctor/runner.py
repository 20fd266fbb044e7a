"""Run the checks for one account, in the order the report shows them.

Each step returns a list of `CheckResult`; `on_result` (if given) is called with
every result as soon as its step finishes, so a screen can show checks live.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable

from tuimail.core.account import Account, ServerSettings
from tuimail.core.connect import is_local_host
from tuimail.core.discovery.resolver import DNSError, NameserverError, Resolver
from tuimail.core.doctor.dns_checks import check_dns
from tuimail.core.doctor.oauth_checks import check_sign_in
from tuimail.core.doctor.port_checks import check_other_ports
from tuimail.core.doctor.report import CheckResult
from tuimail.core.doctor.roundtrip import GROUP as ROUNDTRIP_GROUP
from tuimail.core.doctor.roundtrip import check_roundtrip
from tuimail.core.doctor.server_checks import check_server, group_name, unreachable
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
    token_error: BaseException | None = None,
) -> list[Step]:
    """The checks for `account` as separate steps, in report order. `token_error`: the
    error met asking for an OAuth account's token (NeedsSignIn), which its sign-in check
    reports (tuimail.core.doctor.oauth_checks.check_sign_in). With no `nameserver`
    given, the account's own (`nameserver`, kept by setup) is asked, as the app does."""
    if nameserver is None and isinstance(account.extra.get("nameserver"), str):
        nameserver = account.extra["nameserver"] or None
    steps: list[Step] = [
        lambda: check_dns(account, nameserver, timeout, dkim_selector),
        lambda: check_sign_in(account, timeout, token_error),  # [] unless auth = "oauth2"
        lambda: _server_step(account.protocol, account, password, timeout, nameserver),
        lambda: _server_step("smtp", account, password, timeout, nameserver),
        lambda: check_other_ports(account, min(timeout, 3.0), _address_for(nameserver, timeout)),
    ]
    if send and password is not None:  # last: it sends mail; omitted (not "skipped") else
        steps.append(
            lambda: _roundtrip_step(account, password, timeout, roundtrip_timeout, nameserver)
        )
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
    token_error: BaseException | None = None,
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
        token_error=token_error,
    )
    alerts: set[str] = set()  # a server's [ALERT] text said once, whichever check heard it
    for step in steps:
        for result in step():
            if result.name == "server alert":
                text = (result.data or {}).get("text")
                if text in alerts:
                    continue
                alerts.add(text)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


def _address_for(nameserver: str | None, timeout: float) -> Callable[[str], list[str]] | None:
    """Host addresses through the named DNS server (None: the system's resolver); []
    when it cannot tell (the DNS step reports why). localhost names are this computer's
    own addresses, as the server checks see them."""
    if nameserver is None:
        return None

    def address_for(host: str) -> list[str]:
        with contextlib.suppress(ValueError):  # an address is its own, whatever the DNS
            return [str(ipaddress.ip_address(host.strip("[]")))]
        if is_local_host(host):
            try:
                infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except OSError:
                return []
            return list(dict.fromkeys(str(info[4][0]) for info in infos))
        try:
            return Resolver(nameserver, timeout).addresses(host, 0)
        except (DNSError, NameserverError):
            return []

    return address_for


def _located(
    settings: ServerSettings, nameserver: str | None, timeout: float
) -> tuple[bool, str | None]:
    """(found, address to connect to): None connects by name (no --nameserver, or a
    localhost name); found False when the named DNS server has no address for it."""
    resolve = _address_for(nameserver, timeout)
    if resolve is None or is_local_host(settings.host):
        return True, None
    found = resolve(settings.host)
    return bool(found), (found[0] if found else None)


def _server_step(
    kind: str, account: Account, password: Secret | None, timeout: float, nameserver: str | None
) -> list[CheckResult]:
    """check_server, connecting to the address the named DNS server gives (if any)."""
    settings = account.outgoing if kind == "smtp" else account.incoming
    found, address = _located(settings, nameserver, timeout)
    if not found:
        data = unreachable(settings.host, settings.port, dns=True, nameserver=nameserver)
        return [CheckResult("reachable", group_name(kind, settings), "failure", "", data=data)]
    return check_server(kind, account, password, timeout, address)


def _roundtrip_step(
    account: Account,
    password: Secret,
    timeout: float,
    roundtrip_timeout: float,
    nameserver: str | None,
) -> list[CheckResult]:
    """check_roundtrip, connecting where the server checks connected."""
    plain = [s.host for s in (account.incoming, account.outgoing) if s.security == "plain"]
    if plain:  # not tried: the edge says why and what to do
        data = {"finding": "plain", "host": plain[0]}
        return [CheckResult("round trip", ROUNDTRIP_GROUP, "warning", "", data=data)]
    addresses: list[str | None] = []
    for settings in (account.incoming, account.outgoing):
        found, address = _located(settings, nameserver, timeout)
        if not found:
            data = {"finding": "unknown-host", "host": settings.host, "nameserver": nameserver}
            return [CheckResult("round trip", ROUNDTRIP_GROUP, "failure", "", data=data)]
        addresses.append(address)
    return check_roundtrip(
        account,
        password,
        timeout,
        roundtrip_timeout,
        incoming_address=addresses[0],
        outgoing_address=addresses[1],
    )
