"""The IDLE watcher against scripted hostile servers: a server that logs in and syncs
fine but breaks every IDLE is not reconnected to in a tight loop (the back-off grows),
and junk during IDLE is a protocol violation, not a "refusal"."""

from __future__ import annotations

import threading

import pytest

from tests.hostile.conftest import PASSWORD, save
from tests.hostile.scripted import Conn, ImapScript
from tuimail.core.imap.idle import FolderWatcher
from tuimail.core.imap.session import connector
from tuimail.core.store import Store

pytestmark = pytest.mark.timeout(60)

IDLE_CAPS = b"* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n"


class RecordingPolicy:
    """Retries at once, remembering which attempt number each wait was for."""

    def __init__(self) -> None:
        self.attempts: list[int] = []
        self.enough = threading.Event()

    def delay(self, attempt: int) -> float:
        self.attempts.append(attempt)
        if len(self.attempts) >= 4:
            self.enough.set()
        return 0.01

    def wait(self, attempt: int, error: BaseException | None = None) -> float:
        return self.delay(attempt)


def _capability(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.send(IDLE_CAPS + tag + b" OK done\r\n")


def _watch(server, tmp_path) -> tuple[RecordingPolicy, list]:
    account = save(server)
    policy = RecordingPolicy()
    events: list = []

    def emit(event) -> None:
        events.append(event)
        if getattr(event, "state", "") == "failed":
            policy.enough.set()  # the watcher gave up: nothing more will come

    watcher = FolderWatcher(
        Store(tmp_path / "store.sqlite3"),
        account,
        connector(account, PASSWORD, timeout=5),
        emit=emit,
        policy=policy,  # type: ignore[arg-type]
    )
    watcher.start()
    try:
        policy.enough.wait(30)
    finally:
        watcher.stop()
    return policy, events


IDLE_BREAKERS = {
    "BYE at once": lambda conn, tag, args: conn.send(b"+ idling\r\n* BYE going away\r\n"),
    "closed at once": lambda conn, tag, args: conn.close(),
}


@pytest.mark.parametrize("idle", IDLE_BREAKERS.values(), ids=IDLE_BREAKERS.keys())
def test_a_server_that_breaks_every_idle_is_retried_with_growing_waits(
    scripted, tmp_path, idle
) -> None:
    script = ImapScript({"CAPABILITY": _capability, "IDLE": idle})
    with scripted(script) as server:
        policy, _events = _watch(server, tmp_path)
    assert policy.attempts[:4] == [0, 1, 2, 3], policy.attempts


def test_junk_during_idle_is_a_protocol_violation(scripted, tmp_path) -> None:
    def idle(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"+ idling\r\n* FOO (((\r\n")
        conn.hang()

    script = ImapScript({"CAPABILITY": _capability, "IDLE": idle})
    with scripted(script) as server:
        _policy, events = _watch(server, tmp_path)
    errors = [e.error for e in events if getattr(e, "error", None) is not None]
    assert errors and errors[0].kind == "protocol", errors
    assert "refused" not in errors[0].message, errors[0].message
