"""Server alerts (RFC 3501 7.1: an [ALERT]'s text MUST be shown) said by a command.

Every IMAP connection of an account hands its alerts to tuimail.core.server_alerts (the
sync's, the Sent copy's, the Drafts upload's); a command says them once, on stderr, after
its work. The texts are sanitised and bounded already (tuimail.core.server_alerts).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable


def print_alerts(alerts: dict[str, list[str]]) -> None:
    """Each alert (account -> texts), on stderr, one line each."""
    for account, texts in alerts.items():
        for text in texts:
            print(f"{account}: the server says: {text}", file=sys.stderr)


def begin(names: Iterable[str]) -> None:
    """A new command's session for these accounts: each alert is said once in it."""
    from tuimail.core import server_alerts

    for name in names:
        server_alerts.forget(name)


def say_alerts(names: Iterable[str]) -> None:
    """The alerts the accounts' connections heard since `begin` and not said yet."""
    from tuimail.core import server_alerts

    print_alerts({name: server_alerts.take(name) for name in names})
