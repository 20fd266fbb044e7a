"""Shared set-up of the isolation tests: a sync engine on a scripted hostile server, an
account saved for the command line, an account to compose from."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager

from tests.hostile.scripted import Script, ScriptedServer, account_on
from testserver.certs import TestCA
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account
from tuimail.core.imap.session import connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store


@contextmanager
def scripted_engine(test_ca: TestCA, script: Script, store: Store) -> Iterator[SyncEngine]:
    """A SyncEngine for the account `work` (password "pw", 10 s timeout) on a scripted
    server playing `script`, writing to `store`; closed, and the server stopped, after."""
    with ScriptedServer(test_ca, script) as server:
        account = account_on(server)
        engine = SyncEngine(store, account, connector(account, "pw", timeout=10))
        try:
            yield engine
        finally:
            engine.close()


def save_for_cli(account: Account, password: str) -> Account:
    """Save `account` to the config with its password given by a password command, as
    `tuimail sync/list/read` find it; returns it."""
    account.password_command = f"printf %s {shlex.quote(password)}"
    save_account(account)
    return account


def composing_account() -> Account:
    """An account `w` (me@example.test) to reply and forward from; never connected."""
    return Account(
        name="w",
        email="me@example.test",
        username="me",
        incoming=ServerSettings("imap.example.test", 993, "tls"),
        outgoing=ServerSettings("smtp.example.test", 465, "tls"),
    )
