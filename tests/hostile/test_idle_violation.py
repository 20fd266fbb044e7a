"""A protocol violation during IDLE is not the end of the account (issue 13): the
connection is dropped, the account is offline-retrying with the typed reason, and a fresh
connection is tried with growing waits, in the runtime (the app) and `tuimail watch`
alike. A broken server is not hammered and no password is asked for."""

from __future__ import annotations

import _thread
import functools
import threading

import pytest

from tests.hostile.conftest import PASSWORD, save
from tests.hostile.idle_servers import MailboxDuringIdle
from tests.service.helpers import wait_for
from tuimail.core import runtime as runtime_module
from tuimail.core.errors import ProtocolViolation
from tuimail.core.retry import Phase, RetryPolicy
from tuimail.core.runtime import AccountRuntime
from tuimail.core.secrets import Secret
from tuimail.core.store import Store
from tuimail.words.status import state

pytestmark = pytest.mark.timeout(60)

SHORT = RetryPolicy(first=0.05, cap=4.0, violation_first=0.2)


class States:
    """Each state event's AccountState, and the new mail's subjects."""

    def __init__(self) -> None:
        self.runtime: AccountRuntime | None = None
        self.states: list = []
        self.new: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        with self.lock:
            if event.kind == "state" and self.runtime is not None:
                self.states.append(self.runtime.state)
            elif event.kind == "new-mail":
                self.new += [m.subject for m in event.messages]

    def phases(self) -> list[str]:
        with self.lock:
            return [s.phase for s in self.states]

    def waits(self) -> list[float]:
        """The waits announced after a violation, in order."""
        with self.lock:
            return [
                s.retry_in
                for s in self.states
                if s.phase == Phase.OFFLINE_RETRYING and s.retry_in is not None
            ]


def _runtime(server, tmp_path) -> tuple[AccountRuntime, States]:
    states = States()
    runtime = AccountRuntime(
        save(server),
        Store(tmp_path / "store.sqlite3"),
        password_for=lambda _a: Secret(PASSWORD),
        emit=states,
        policy=SHORT,
        idle=True,
        timeout=5,
    )
    states.runtime = runtime
    return runtime, states


def test_garbage_during_idle_once_goes_offline_retrying_then_online_by_itself(
    scripted, tmp_path
) -> None:
    script = MailboxDuringIdle(violations=1)
    with scripted(script) as server:
        runtime, states = _runtime(server, tmp_path)
        try:
            assert runtime.start()
            assert wait_for(lambda: "pushed" in states.new), states.phases()
            assert wait_for(lambda: runtime.phase is Phase.ONLINE), runtime.state
        finally:
            runtime.close()
        assert runtime.threads() == []
    offline = [s for s in states.states if s.phase == Phase.OFFLINE_RETRYING]
    assert offline, states.phases()
    assert isinstance(offline[0].error, ProtocolViolation), offline[0].error
    assert offline[0].state == "offline" and offline[0].retry_in is not None
    said = state(offline[0])  # the reason, with what was wrong in the answer
    assert "not IMAP" in said and offline[0].error.server_text in said, said
    assert Phase.ERROR not in states.phases() and Phase.NEEDS_PASSWORD not in states.phases()
    folder = runtime.store.folder_id("work", "INBOX")
    assert sorted(r.subject for r in runtime.store.message_rows(folder)) == ["hello", "pushed"]


def test_a_server_that_always_violates_is_retried_with_growing_waits(scripted, tmp_path) -> None:
    script = MailboxDuringIdle(violations=None)
    with scripted(script) as server:
        runtime, states = _runtime(server, tmp_path)
        try:
            runtime.start()
            assert wait_for(lambda: len(states.waits()) >= 3), states.phases()
            idles, logins = script.idles, script.logins
        finally:
            runtime.close()
    waits = states.waits()[:3]
    assert waits == sorted(waits) and waits[0] < waits[-1], waits  # growing
    assert all(w >= SHORT.violation_first for w in waits), waits  # the violation floor
    # One fresh connection per announced wait (plus the sync pass's): never a tight loop.
    assert idles <= len(states.waits()) + 1, (idles, states.waits())
    assert logins <= idles + 1, (logins, idles)
    assert Phase.NEEDS_PASSWORD not in states.phases()
    assert Phase.ERROR not in states.phases()


def test_watch_keeps_running_through_a_violation_and_shows_new_mail(
    scripted, cli, monkeypatch
) -> None:
    """`tuimail watch`: the violation is one line on stderr, the watch goes on (no exit
    1), and the mail that arrives on the fresh connection is printed."""
    short = functools.partial(RetryPolicy, first=0.05, cap=1.0, violation_first=0.2)
    monkeypatch.setattr(runtime_module, "RetryPolicy", short)
    script = MailboxDuringIdle(violations=1)
    with scripted(script) as server:
        save(server)

        lock, returned = threading.Lock(), threading.Event()

        def stop_when_pushed() -> None:
            # The pushed message was applied (and printed) before the next IDLE began.
            if wait_for(lambda: script.idles >= 3 or returned.is_set(), timeout=40):
                with lock:  # Ctrl-C for the watch only, never for a later test
                    if not returned.is_set():
                        _thread.interrupt_main()

        helper = threading.Thread(target=stop_when_pushed, daemon=True)
        helper.start()
        try:
            run = cli("watch", "work")
        except KeyboardInterrupt:  # arrived after watch had returned: not what is tested
            pytest.fail("watch ended before the pushed mail")
        finally:
            with lock:
                returned.set()
            helper.join(45)
    assert script.idles >= 3, (run.out, run.err)
    assert run.code == 0, (run.out, run.err)
    assert "pushed" in run.out, run.out
    lines = [line for line in run.err.splitlines() if "trying again later" in line]
    assert lines and "not IMAP" in lines[0], run.err
    assert "Traceback" not in run.err and PASSWORD not in run.out + run.err
