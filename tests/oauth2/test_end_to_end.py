"""Issue 15's "must show", end to end on the bundled server with its authorization server:
device sign-in, then sync, IDLE and send with the token; expiry renewed transparently;
revocation -> needs-sign-in with nothing lost (the outbox entry kept) and signing in again
resumes; a token the server rejects -> one renewal, one retry, then a clear sentence."""

from __future__ import annotations

import io
import sys
import time

import pytest

from tests.imap.helpers import message
from tests.oauth2.helpers import device_sign_in, oauth_account
from tests.service.helpers import Recorder, wait_for
from testserver.server import MailServer
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.oauth2 import tokens
from tuimail.core.outbox import Outbox
from tuimail.core.retry import Phase
from tuimail.core.runtime import AccountRuntime
from tuimail.core.secrets import get_password
from tuimail.core.store import Store
from tuimail.words.status import state


@pytest.fixture
def server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


@pytest.fixture
def signed_in(server):
    user = server.new_user()
    account = oauth_account(server, user, oauth2_token_store="file")
    save_account(account)
    device_sign_in(server, user, account)
    return user, account


def _imap_logins(server) -> list[bool]:
    """Every IMAP login the server saw, in order (a refused token is logged without a
    login name: the server could not tell whose it was)."""
    return [a.success for a in server.protocol_server("imap").auth_log]


def _refreshes(server) -> int:
    return sum(1 for r in server.oauth.requests if r[1] == "/token" and "refresh_token" in r[2])


def _send(monkeypatch, user, subject: str) -> int:
    raw = f"From: {user.email}\r\nTo: {user.email}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw.encode())))
    return main(["send", "--account", "w", user.email])


def test_device_sign_in_then_sync_idle_and_send_with_the_token(
    server, signed_in, tmp_path, capsys, monkeypatch
) -> None:
    user, account = signed_in
    server.deliver(user, message(1, "before sign-in"))
    assert main(["sync"]) == 0, capsys.readouterr().err
    assert main(["list", "--json"]) == 0 and "before sign-in" in capsys.readouterr().out
    assert _imap_logins(server) == [True]  # one AUTHENTICATE, with the token

    recorder = Recorder()
    runtime = AccountRuntime(account, Store(tmp_path / "s.sqlite3"), password_for=get_password,
                             emit=recorder, idle=True, timeout=10)  # fmt: skip
    try:
        assert runtime.start()
        assert wait_for(lambda: runtime._watcher is not None and runtime.state.state == "idle")
        server.deliver(user, message(2, "pushed while idle"))
        assert wait_for(lambda: "new-mail" in recorder.kinds(), timeout=30), recorder.kinds()
    finally:
        runtime.close()

    assert _send(monkeypatch, user, "sent with a token") == 0, capsys.readouterr().err
    assert server.wait_for_message(user, lambda raw: b"sent with a token" in raw, 30)
    smtp = server.protocol_server("smtp").auth_log
    assert smtp and all(a.success for a in smtp)


def test_an_expiring_token_is_renewed_before_use(server, signed_in, capsys) -> None:
    user, account = signed_in
    assert main(["sync"]) == 0
    before = _refreshes(server)
    tokens.held(account).expires_at = time.time() + 5  # about to expire
    server.store.tokens.expire_access_tokens(user.login)
    assert main(["sync"]) == 0, capsys.readouterr().err
    assert _refreshes(server) == before + 1
    assert _imap_logins(server) == [True, True]  # never a rejected attempt


def test_a_rejected_token_is_renewed_once_and_retried_once(server, signed_in, capsys) -> None:
    user, account = signed_in
    assert main(["sync"]) == 0
    server.store.tokens.expire_access_tokens(user.login)  # tuimail still thinks it is good
    before = _refreshes(server)
    assert main(["sync"]) == 0, capsys.readouterr().err
    assert _refreshes(server) == before + 1
    assert _imap_logins(server) == [True, False, True]


def test_a_token_rejected_again_after_renewal_is_a_clear_sentence(server, capsys) -> None:
    owner, other = server.new_user(), server.new_user()
    # Signed in as another person: the authorization server renews the token, the mail
    # server rejects it every time (it belongs to someone else).
    account = oauth_account(server, owner, oauth2_token_store="file")
    save_account(account)
    device_sign_in(server, other, account)
    code = main(["sync"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert (
        "rejected the OAuth token" in err
        and "the token is not valid" in err
        and "Traceback" not in err
    )
    assert _imap_logins(server) == [False, False]  # one retry, never a loop


def test_revocation_needs_sign_in_keeps_the_outbox_and_signing_in_resumes(
    server, signed_in, tmp_path, capsys, monkeypatch
) -> None:
    user, account = signed_in
    assert main(["sync"]) == 0
    server.store.tokens.revoke_login(user.login)  # e.g. "sign out everywhere"

    recorder = Recorder()
    runtime = AccountRuntime(account, Store(tmp_path / "s.sqlite3"), password_for=get_password,
                             emit=recorder, idle=False, timeout=10)  # fmt: skip
    try:
        assert not runtime.sync()
        assert runtime.phase is Phase.NEEDS_PASSWORD  # needs-sign-in for an OAuth account
        assert "tuimail account login w" in state(runtime.state)
    finally:
        runtime.close()

    assert _send(monkeypatch, user, "written while signed out") == 2
    err = capsys.readouterr().err
    # worded from NeedsSignIn's type and account at the edge: the command once
    assert (
        "tuimail send: w is not signed in on this computer; sign in: tuimail account login w. "
        "The message is kept in the outbox (" in err
    ), err
    [entry] = Outbox("w").entries()

    device_sign_in(server, user, account)  # the user signs in again
    assert main(["outbox", "--retry"]) == 0, capsys.readouterr().err
    assert server.wait_for_message(user, lambda raw: b"written while signed out" in raw, 30)
    assert Outbox("w").entries() == [] or all(e.id != entry.id for e in Outbox("w").entries())
    assert main(["sync"]) == 0
