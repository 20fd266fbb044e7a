"""Run the checks for one account, in the order the report shows them.

Each step returns a list of `CheckResult`; `on_result` (if given) is called with
every result as soon as its step finishes, so a screen can show checks live.
"""

from __future__ import annotations

from collections.abc import Callable

from tuimail.core.account import Account
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
) -> list[Step]:
    """The checks for `account` as separate steps, in report order."""
    steps: list[Step] = [
        lambda: check_server(account.protocol, account, password, timeout),
        lambda: check_server("smtp", account, password, timeout),
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
    )
    for step in steps:
        for result in step():
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
