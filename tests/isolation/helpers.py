"""Shared set-up of the isolation tests: a sync engine on a scripted hostile server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.hostile.scripted import Script, ScriptedServer, account_on
from testserver.certs import TestCA
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
