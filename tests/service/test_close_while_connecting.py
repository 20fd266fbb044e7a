"""Closing an account ends a pass that is still opening its connection (issue 13: every
thread stopped and joined on exit): the server greets and then says nothing, the
account's timeout is long (IMAP and POP3); close() shuts the connection being opened, the pass ends at
once and never connects again. A scripted server, verification on."""

from __future__ import annotations

import threading

import pytest

from tests.hostile.scripted import Conn, ImapScript, ScriptedServer, account_on
from tests.service.helpers import wait_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.runtime import AccountRuntime
from tuimail.core.secrets import Secret
from tuimail.core.store import Store

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("protocol", "greeting"), [("imap", b"* OK ready\r\n"), ("pop3", b"+OK ready\r\n")]
)
def test_close_ends_a_pass_waiting_on_a_silent_server(
    test_ca, tmp_path, protocol, greeting
) -> None:
    greeted, release = threading.Event(), threading.Event()
    connections: list[Conn] = []

    def silent(conn: Conn) -> None:
        connections.append(conn)
        conn.send(greeting)
        greeted.set()
        release.wait(60)

    with ScriptedServer(test_ca, silent) as server:
        account = Account(
            name="w",
            email="b@example.test",
            username="b",
            incoming=ServerSettings(server.host, server.port, "tls"),
            outgoing=ServerSettings("127.0.0.1", 9, "tls"),
            ca_file=server.ca_file,
            protocol=protocol,
        )
        runtime = AccountRuntime(
            account,
            Store(tmp_path / "store.sqlite3"),
            password_for=lambda _a: Secret("pw"),
            emit=lambda _e: None,
            timeout=60,
        )
        passing = threading.Thread(target=runtime.sync)
        passing.start()
        try:
            assert greeted.wait(30)
            runtime.close()
            assert wait_for(lambda: not passing.is_alive(), timeout=20)  # not 60 s
            assert len(connections) == 1  # and it did not connect again
            assert runtime.threads() == []
        finally:
            release.set()
            passing.join(60)


class _SilentAfterFirst(ImapScript):
    """A working server for the first connection (the sync pass); every later one (the
    IDLE watcher's) is greeted and then left silent until `release`."""

    def __init__(self) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE] ready\r\n")
        self.connections = 0
        self.silent = threading.Event()
        self.release = threading.Event()

    def __call__(self, conn: Conn) -> None:
        self.connections += 1
        if self.connections == 1:
            super().__call__(conn)
            return
        conn.send(b"* OK ready\r\n")
        self.silent.set()
        self.release.wait(60)


def test_close_ends_an_idle_watcher_still_connecting(test_ca, tmp_path) -> None:
    script = _SilentAfterFirst()
    with ScriptedServer(test_ca, script) as server:
        account = account_on(server)
        runtime = AccountRuntime(
            account,
            Store(tmp_path / "store.sqlite3"),
            password_for=lambda _a: Secret("pw"),
            emit=lambda _e: None,
            idle=True,
            timeout=60,
        )
        try:
            assert runtime.start()
            assert script.silent.wait(30)  # the watcher is opening its connection
            watching = runtime.threads()
            assert watching
            runtime.close()
            assert wait_for(lambda: not any(t.is_alive() for t in watching), timeout=20)
        finally:
            script.release.set()
