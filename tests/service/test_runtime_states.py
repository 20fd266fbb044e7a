"""The account runtime's states on the bundled server with injected faults (issue 13):
transient -> offline-retrying and back online by itself; a rejected password ->
needs-password and no further attempt; a refused STARTTLS -> error, tried once."""

from __future__ import annotations

import threading

import pytest

from tests.imap.helpers import message
from tests.service.helpers import logins, runtime_for, starttls_account, wait_for
from tuimail.core.errors import AuthenticationFailed, SecurityFailure, ServerBusy
from tuimail.core.retry import Phase, RetryPolicy
from tuimail.core.secrets import Secret
from tuimail.words.status import state


@pytest.mark.parametrize("code", ["UNAVAILABLE", "INUSE"])
def test_unavailable_at_login_is_offline_and_retried_until_online(mail_server, tmp_path, code):
    """NO [UNAVAILABLE] or NO [INUSE] (RFC 5530) is the server's "not now": the account is
    offline and retries by itself, never a permanent error (it was one: the word "login")."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(
        protocol="imap", kind="login_reply", message=f"[{code}] Back in a moment", times=2
    )
    runtime, events = runtime_for(mail_server, user, tmp_path)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.OFFLINE_RETRYING
        assert runtime.state.state == "offline"
        error = runtime.state.error
        assert isinstance(error, ServerBusy) and error.code == code
        assert "Back in a moment" in (error.server_text or "")
        assert wait_for(lambda: runtime.phase is Phase.ONLINE), runtime.state
        assert runtime.state.state == "idle" and runtime.state.error is None
        assert runtime.store.count_messages(runtime.store.folder_id("test", "INBOX")) == 1
    finally:
        runtime.close()
    assert runtime.threads() == []


def test_three_dropped_connections_at_start_then_online_by_itself(mail_server, tmp_path):
    """The server drops the connection at LOGIN four times (more than one pass retries):
    the account goes offline-retrying and comes online without Ctrl+R."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    drops = mail_server.faults.add(protocol="imap", kind="drop", command="LOGIN", times=4)
    runtime, _events = runtime_for(mail_server, user, tmp_path)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.OFFLINE_RETRYING, runtime.state
        assert runtime.state.error is not None and runtime.state.error.retry
        assert wait_for(lambda: runtime.phase is Phase.ONLINE), runtime.state
        assert drops.hits == 4
        assert runtime.store.count_messages(runtime.store.folder_id("test", "INBOX")) == 1
    finally:
        runtime.close()


def test_a_wrong_password_needs_the_password_and_is_never_tried_again(mail_server, tmp_path):
    user = mail_server.new_user()
    runtime, _events = runtime_for(mail_server, user, tmp_path, password="wrong", idle=True)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.NEEDS_PASSWORD
        assert runtime.state.state == "error"
        error = runtime.state.error
        assert isinstance(error, AuthenticationFailed) and error.code == "AUTHENTICATIONFAILED"
        assert "not trying again" in state(runtime.state)
        assert len(logins(mail_server, "imap", user.login)) == 1
        # Nothing retries by itself: no retry thread, no push, and a user action on a
        # message stays queued instead of logging in again with the same password.
        assert runtime.threads() == []
        runtime.flush()
        assert runtime.refresh_folder("INBOX") == 0
        threading.Event().wait(1.0)  # several retry periods of the policy (0.2 s)
        assert len(logins(mail_server, "imap", user.login)) == 1
        assert runtime.phase is Phase.NEEDS_PASSWORD
    finally:
        runtime.close()


def test_after_needs_password_the_users_retry_with_the_right_password_goes_online(
    mail_server, tmp_path
):
    user = mail_server.new_user()
    passwords = ["wrong", user.password]
    runtime, _events = runtime_for(mail_server, user, tmp_path, idle=True)
    runtime.password_for = lambda _a: Secret(passwords[0])
    try:
        runtime.start()
        assert runtime.phase is Phase.NEEDS_PASSWORD
        passwords.pop(0)  # the user typed the right one and pressed Ctrl+R
        assert runtime.sync()
        assert runtime.phase is Phase.ONLINE
        assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
        assert [a.success for a in logins(mail_server, "imap", user.login)][:2] == [False, True]
    finally:
        runtime.close()
    assert runtime.threads() == []


def test_a_refused_starttls_is_an_error_tried_once(mail_server, tmp_path):
    """STARTTLS refused: a security failure, so the account stops and says why; the
    connection is not tried again three times in the pass, nor later by itself."""
    user = mail_server.new_user()
    refused = mail_server.faults.add(protocol="imap", kind="no_starttls", port="starttls")
    account = starttls_account(mail_server, user)
    runtime, _events = runtime_for(mail_server, user, tmp_path, account=account, idle=True)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.ERROR
        assert isinstance(runtime.state.error, SecurityFailure)
        assert "STARTTLS" in state(runtime.state)
        threading.Event().wait(1.0)  # several retry periods of the policy (0.2 s)
        assert refused.hits == 1
        assert logins(mail_server, "imap", user.login) == []  # no password was sent
    finally:
        runtime.close()


def test_every_thread_the_runtime_started_is_joined_on_close(mail_server, tmp_path):
    user = mail_server.new_user()
    runtime, _events = runtime_for(mail_server, user, tmp_path, idle=True)
    runtime.start()
    assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
    runtime.watch_folder("INBOX")
    started = runtime.threads()
    assert started  # the IDLE watcher's thread at least
    runtime.close()
    assert runtime.threads() == []
    assert not any(t.is_alive() for t in started)
    assert runtime.phase is Phase.STOPPED


def test_a_password_changed_while_pushing_stops_push_and_needs_the_password(mail_server, tmp_path):
    """Online with IDLE; the password is changed elsewhere and the connection drops: the
    watcher's reconnect is refused once, and then nothing tries again (it retried every
    minute, and `tuimail watch` called it "connection lost")."""
    user = mail_server.new_user()
    runtime, _events = runtime_for(mail_server, user, tmp_path, idle=True)
    try:
        runtime.start()
        assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
        before = len(logins(mail_server, "imap", user.login))
        (stored,) = [u for u in mail_server.store.users() if u.login == user.login]
        stored.password = "changed elsewhere"
        imap = mail_server.protocol_server("imap")

        async def kick() -> None:
            for session in list(imap._sessions):
                session.close()

        mail_server.call(kick()).result(10)
        assert wait_for(lambda: runtime.phase is Phase.NEEDS_PASSWORD), runtime.state
        assert isinstance(runtime.state.error, AuthenticationFailed)
        assert "connection" not in state(runtime.state)
        threading.Event().wait(1.5)  # the watcher's back-off would have retried by now
        refused = [a for a in logins(mail_server, "imap", user.login)[before:] if not a.success]
        assert len(refused) == 1, refused
        assert wait_for(lambda: runtime.threads() == [], timeout=10)
    finally:
        runtime.close()


def test_a_one_folder_refresh_beside_live_push_still_says_push(mail_server, tmp_path):
    """A user's action refreshes one folder (a copy, a draft, a send) while IDLE stays
    connected: the state says push again afterwards, not "up to date" (which the status
    bar showed until the next new mail, as if push had stopped)."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    runtime, _events = runtime_for(mail_server, user, tmp_path, idle=True)
    try:
        runtime.start()
        assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
        mail_server.store.create_folder(user.login, "Projects")
        mail_server.deliver(user, message(2), folder="Projects")
        assert runtime.refresh_folder("Projects") == 1
        assert runtime.state.activity == "push" and runtime.phase is Phase.ONLINE
    finally:
        runtime.close()


@pytest.mark.parametrize("code", ["LOGIN-DELAY", "SYS/TEMP", "IN-USE"])
def test_pop3_login_delay_is_offline_and_retried_until_online(mail_server, tmp_path, code):
    """RFC 2449/3206 [LOGIN-DELAY], [SYS/TEMP] and [IN-USE] at login: not the password's
    fault; the POP3 account is offline, retries by itself and downloads once the server
    lets it. (One fault per case: two faults on one connection show only the first.)"""
    from tests.pop3.helpers import pop3_account

    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(
        protocol="pop3", kind="login_reply", message=f"[{code}] Wait a little", times=1
    )
    account = pop3_account(mail_server, user)
    runtime, _events = runtime_for(mail_server, user, tmp_path, account=account)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.OFFLINE_RETRYING
        assert isinstance(runtime.state.error, ServerBusy)
        assert runtime.state.error.code == code
        assert wait_for(lambda: runtime.phase is Phase.ONLINE), runtime.state
        inbox = runtime.pop3_state.inbox(account.name)
        assert runtime.store.count_messages(inbox) == 1
    finally:
        runtime.close()


def test_pop3_auth_code_needs_the_password_and_is_not_retried(mail_server, tmp_path):
    from tests.pop3.helpers import pop3_account

    user = mail_server.new_user()
    account = pop3_account(mail_server, user)
    runtime, _events = runtime_for(
        mail_server, user, tmp_path, account=account, password="wrong", idle=True
    )
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.NEEDS_PASSWORD
        error = runtime.state.error
        assert isinstance(error, AuthenticationFailed) and error.code == "AUTH"
        threading.Event().wait(1.0)  # several retry periods of the policy (0.2 s)
        assert len(logins(mail_server, "pop3", user.login)) == 1
        assert runtime.threads() == []
    finally:
        runtime.close()


def test_the_runtime_waits_with_growing_jittered_back_off_up_to_the_cap(mail_server, tmp_path):
    """Offline-retrying waits come from the one retry policy: exponential from `first`,
    spread by jitter (never exactly the nominal wait), never past the cap."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="login_reply", message="[UNAVAILABLE] later")
    policy = RetryPolicy(first=0.05, cap=0.4, jitter=0.25)
    runtime, _events = runtime_for(mail_server, user, tmp_path, policy=policy)
    waits: list[float] = []
    emit = runtime.emit

    def record(event) -> None:
        if event.kind == "state" and runtime.state.retry_in is not None:
            waits.append(runtime.state.retry_in)
        emit(event)

    runtime.emit = record
    try:
        assert not runtime.start()
        assert wait_for(lambda: len(waits) >= 7), waits
        mail_server.faults.clear()
        assert wait_for(lambda: runtime.phase is Phase.ONLINE), runtime.state
    finally:
        runtime.close()
    nominal = [min(0.4, 0.05 * 2**n) for n in range(7)]
    for wait, base in zip(waits, nominal, strict=False):
        assert 0.75 * base <= wait <= min(0.4, 1.25 * base), (waits, nominal)
    assert max(waits) <= 0.4 and waits[5] >= 0.3  # grown to the cap, and held there
    assert any(w != b for w, b in zip(waits, nominal, strict=False))  # jittered


def test_a_pass_while_push_is_connected_still_says_push(mail_server, tmp_path):
    """Ctrl+R (a pass) while IDLE is connected: the state stays "push" (the pass said
    "up to date" over it, and the status bar hid that new mail still arrives by push)."""
    user = mail_server.new_user()
    runtime, _events = runtime_for(mail_server, user, tmp_path, idle=True)
    try:
        runtime.start()
        assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
        assert runtime.sync()
        assert runtime.state.activity == "push", runtime.state
    finally:
        runtime.close()


def test_push_is_live_before_the_header_index_is_built(mail_server, tmp_path):
    """After a first pass, the header search index of a big folder takes seconds; IDLE
    starts before it, so new mail is not held back by it."""
    user = mail_server.new_user()
    runtime, _events = runtime_for(mail_server, user, tmp_path, idle=True)
    seen: list[str] = []
    index = runtime.store.index_headers

    def index_when_push_is_live(*args, **kwargs):
        # the index step waits (bounded) for push: it never comes if push starts after it
        wait_for(lambda: runtime.state.activity == "push", timeout=10)
        seen.append(runtime.state.activity)
        return index(*args, **kwargs)

    runtime.store.index_headers = index_when_push_is_live
    try:
        runtime.start()
        assert seen and seen[0] == "push", seen
    finally:
        runtime.close()
