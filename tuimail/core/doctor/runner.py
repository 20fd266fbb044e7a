"""Run the checks for one account, in the order the report shows them."""

from __future__ import annotations

from tuimail.core.account import Account
from tuimail.core.doctor.report import CheckResult
from tuimail.core.doctor.server_checks import check_server
from tuimail.core.secrets import Secret


def run_checks(
    account: Account,
    password: Secret | None,
    *,
    timeout: float = 15.0,
    nameserver: str | None = None,
    send: bool = False,
    roundtrip_timeout: float = 120.0,
) -> list[CheckResult]:
    """Every check for `account`; `password` None skips logins (and the round trip)."""
    results = check_server(account.protocol, account, password, timeout)
    results += check_server("smtp", account, password, timeout)
    return results
