"""The facade over account runtimes: the app's view of the states (issue 13), user
actions first, one retry policy, threads joined on stop."""

from __future__ import annotations

import threading

from tests.imap.helpers import account_for, message
from tests.service.helpers import logins, wait_for
from tuimail.core.retry import Phase, RetryPolicy
from tuimail.core.runtime import StepGate
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store
from tuimail.words.status import state as state_words


def service_for(peer, user, tmp_path, password: str, *, idle: bool = True) -> MailService:
    account = account_for(peer, user)
    secret = Secret(password)
    return MailService(
        {account.name: account},
        password_for=lambda _a: secret,
        idle=idle,
        store=Store(tmp_path / "store.sqlite3"),
        retry_after=0.2,
        outbox_interval=0.2,
    )


def test_the_app_with_a_wrong_password_says_so_once_and_stops(mail_server, tmp_path):
    user = mail_server.new_user()
    service = service_for(mail_server, user, tmp_path, "wrong")
    try:
        service.start()
        state = service.states()["test"]
        assert state.phase == Phase.NEEDS_PASSWORD.value and state.state == "error"
        assert "refused the login" in state_words(state) and "not trying again" in state_words(
            state
        )
        assert "connection" not in state_words(state)
        threading.Event().wait(1.0)  # the outbox loop and retry policy run meanwhile
        assert len(logins(mail_server, "imap", user.login)) == 1
    finally:
        service.stop()
    assert service.threads() == []


def test_stop_joins_push_retry_and_outbox_threads(mail_server, tmp_path):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    service = service_for(mail_server, user, tmp_path, user.password)
    service.start()
    assert wait_for(lambda: service.states()["test"].activity == "push")
    running = service.threads()
    assert {t.name.split("-")[0] for t in running} >= {"idle", "outbox"}
    service.stop()
    assert service.threads() == []
    assert not any(t.is_alive() for t in running)


def test_a_user_action_goes_before_the_next_background_step():
    """StepGate: while a sync step runs, a user action and another sync step wait; the
    user action gets the connection first."""
    gate = StepGate()
    order: list[str] = []
    step_running, release = threading.Event(), threading.Event()

    def first_step() -> None:
        with gate.background():
            step_running.set()
            release.wait(10)
            order.append("step 1")

    def second_step() -> None:
        with gate.background():
            order.append("step 2")

    def user_action() -> None:
        with gate.user():
            order.append("user")

    threads = [threading.Thread(target=first_step)]
    threads[0].start()
    assert step_running.wait(10)
    threads.append(threading.Thread(target=second_step))
    threads[1].start()
    threads.append(threading.Thread(target=user_action))
    threads[2].start()
    assert wait_for(lambda: gate._users_waiting == 1, timeout=10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["step 1", "user", "step 2"]


def test_the_gate_is_reentrant_for_its_owner():
    gate = StepGate()
    with gate.user():
        with gate.background():  # a user action that runs a sync step inside
            pass
    with gate.background():  # free again
        pass


def test_back_off_grows_with_jitter_and_never_passes_the_cap():
    policy = RetryPolicy(first=5.0, cap=300.0, jitter=0.25)
    lows = [policy.delay(n, rand=lambda: 0.0) for n in range(10)]
    highs = [policy.delay(n, rand=lambda: 1.0) for n in range(10)]
    assert lows[0] == 3.75 and highs[0] == 6.25
    assert lows == sorted(lows) and max(highs) == 300.0
    assert all(lo <= hi <= 300.0 for lo, hi in zip(lows, highs, strict=True))
