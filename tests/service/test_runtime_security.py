"""A security failure stops the account and says why (issue 13): a certificate that does
not verify, or a pinned key that does not match, puts the runtime in ERROR with a typed
SecurityFailure; no password is sent and nothing retries by itself. Over the bundled
server (a wrong-host or expired certificate; a wrong pin) with verification on."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from tests.imap.helpers import account_for
from tests.service.helpers import logins, runtime_for
from testserver.server import MailServer
from tuimail.core.errors import SecurityFailure
from tuimail.core.retry import Phase
from tuimail.words.status import state

pytestmark = pytest.mark.timeout(120)


def _stops_and_explains(peer, user, tmp_path, account, words: str) -> None:
    runtime, _events = runtime_for(peer, user, tmp_path, account=account, idle=True)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.ERROR, runtime.state
        error = runtime.state.error
        assert isinstance(error, SecurityFailure) and not error.retry
        assert words in state(runtime.state), state(runtime.state)
        assert runtime.threads() == []  # no retry thread, no push
        threading.Event().wait(1.0)  # several retry periods of the policy (0.2 s)
        assert runtime.phase is Phase.ERROR
        assert logins(peer, "imap", user.login) == []  # no password was sent
    finally:
        runtime.close()


@pytest.mark.parametrize("cert", ["wrong_host", "expired"])
def test_a_certificate_that_does_not_verify_stops_the_account(test_ca, tmp_path, cert) -> None:
    with MailServer(ca=test_ca, cert=cert, protocols=("imap",)) as server:
        user = server.new_user()
        _stops_and_explains(server, user, tmp_path, account_for(server, user), "certificate")


def test_a_pin_that_does_not_match_stops_the_account(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    account = account_for(mail_server, user)
    account = replace(account, incoming=replace(account.incoming, pinned_sha256="00" * 32))
    _stops_and_explains(mail_server, user, tmp_path, account, "key")
