"""Shared helpers for the account runtime tests: a service on the bundled server with a
fast retry policy, and waiting for conditions (never for fixed times)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from tests.imap.helpers import account_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.retry import RetryPolicy
from tuimail.core.runtime import AccountRuntime, ServiceEvent
from tuimail.core.secrets import Secret
from tuimail.core.store import Store

FAST = RetryPolicy(first=0.2, cap=1.0)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """True as soon as `condition()` holds; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def starttls_account(peer, user) -> Account:
    account = account_for(peer, user)
    return replace(
        account,
        incoming=ServerSettings(host=peer.host, port=peer.ports.imap_starttls, security="starttls"),
    )


class Recorder:
    """The events a runtime emits, kept for the test to look at."""

    def __init__(self) -> None:
        self.events: list[ServiceEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: ServiceEvent) -> None:
        with self.lock:
            self.events.append(event)

    def kinds(self) -> list[str]:
        with self.lock:
            return [e.kind for e in self.events]


def runtime_for(
    peer,
    user,
    tmp_path,
    *,
    password: str | None = None,
    idle: bool = False,
    account: Account | None = None,
    policy: RetryPolicy = FAST,
) -> tuple[AccountRuntime, Recorder]:
    recorder = Recorder()
    secret = Secret(user.password if password is None else password)
    runtime = AccountRuntime(
        account or account_for(peer, user),
        Store(tmp_path / "store.sqlite3"),
        password_for=lambda _a: secret,
        emit=recorder,
        policy=policy,
        idle=idle,
        timeout=10,
    )
    return runtime, recorder


def logins(peer, protocol: str, login: str) -> list:
    """Every login attempt the bundled server saw for `login` (never the password)."""
    return [a for a in peer.protocol_server(protocol).auth_log if a.login == login]
