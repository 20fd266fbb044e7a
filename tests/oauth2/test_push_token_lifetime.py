"""An OAuth account pushing new mail (IDLE) outlives its access token: the server drops the
connection when the token ends (as providers do), the watcher reconnects with a renewed
token and push resumes; a sign-in revoked meanwhile is one refused login, then
needs-sign-in (no retry loop, nothing asked), over real sockets on the bundled server."""

from __future__ import annotations

import threading

import pytest

from tests.imap.helpers import message
from tests.oauth2.helpers import device_sign_in, oauth_account
from tests.service.helpers import Recorder, wait_for
from testserver.server import MailServer
from tuimail.core.config import save_account
from tuimail.core.retry import Phase
from tuimail.core.runtime import AccountRuntime
from tuimail.core.secrets import get_password
from tuimail.core.store import Store


@pytest.fixture
def server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


def _pushing(server, tmp_path):
    user = server.new_user()
    account = oauth_account(server, user, oauth2_token_store="file")
    save_account(account)
    device_sign_in(server, user, account)
    recorder = Recorder()
    runtime = AccountRuntime(account, Store(tmp_path / "s.sqlite3"), password_for=get_password,
                             emit=recorder, idle=True, timeout=10)  # fmt: skip
    runtime.start()
    assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
    return user, runtime, recorder


def _drop_connections(server) -> None:
    imap = server.protocol_server("imap")

    async def kick() -> None:
        for session in list(imap._sessions):
            session.close()

    server.call(kick()).result(10)


def _refused(server) -> int:
    return sum(1 for a in server.protocol_server("imap").auth_log if not a.success)


def test_a_token_that_ends_during_push_is_renewed_and_push_resumes(server, tmp_path) -> None:
    user, runtime, recorder = _pushing(server, tmp_path)
    try:
        server.store.tokens.expire_access_tokens(user.login)
        _drop_connections(server)
        server.deliver(user, message(1, "after the token ended"))
        assert wait_for(lambda: "new-mail" in recorder.kinds(), timeout=60), recorder.kinds()
        assert wait_for(lambda: runtime.state.activity == "push"), runtime.state
        assert runtime.phase is Phase.ONLINE
        assert _refused(server) <= 2  # at most one refusal per connection, then renewed
    finally:
        runtime.close()


def test_a_sign_in_revoked_during_push_needs_sign_in_once(server, tmp_path) -> None:
    user, runtime, _recorder = _pushing(server, tmp_path)
    try:
        server.store.tokens.revoke_login(user.login)
        _drop_connections(server)
        assert wait_for(lambda: runtime.phase is Phase.NEEDS_PASSWORD), runtime.state
        refused = _refused(server)
        threading.Event().wait(1.5)  # a retry loop would have tried again by now
        assert _refused(server) == refused <= 2
        assert wait_for(lambda: runtime.threads() == [], timeout=10)
    finally:
        runtime.close()
