"""One login per protocol (issue 13): setup verification, the doctor and the runtime log in
the same way, each with exactly one AUTH attempt per login on a wrong password (no second
mechanism after a definite rejection), over the bundled server with verification on.
Setup used to verify with a hand-written SASL client and a mechanism cascade."""

from __future__ import annotations

import pytest

from tests.doctor.conftest import make_account
from tests.service.helpers import logins, runtime_for
from tuimail.core.discovery.verify import verify_account
from tuimail.core.doctor import run_checks
from tuimail.core.errors import AuthenticationFailed
from tuimail.core.retry import Phase
from tuimail.core.secrets import Secret

pytestmark = pytest.mark.timeout(120)


def _attempts(peer, login: str) -> dict[str, int]:
    return {p: len(logins(peer, p, login)) for p in ("imap", "pop3", "smtp")}


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_setup_doctor_and_runtime_each_try_a_wrong_password_once(
    mail_server, tmp_path, protocol
) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user, protocol)
    other = "pop3" if protocol == "imap" else "imap"

    checks = verify_account(account, Secret("wrong"), timeout=10)
    assert [(c.role, c.ok, c.rejected) for c in checks] == [
        ("incoming", False, True),
        ("outgoing", False, True),
    ]
    assert all(isinstance(c.failure, AuthenticationFailed) for c in checks)
    assert _attempts(mail_server, user.login) == {protocol: 1, other: 0, "smtp": 1}

    results = run_checks(account, Secret("wrong"), timeout=10)
    assert [r.status for r in results if r.name == "login"] == ["failure", "failure"]
    assert _attempts(mail_server, user.login) == {protocol: 2, other: 0, "smtp": 2}

    runtime, _events = runtime_for(mail_server, user, tmp_path, password="wrong", account=account)
    try:
        assert not runtime.start()
        assert runtime.phase is Phase.NEEDS_PASSWORD
    finally:
        runtime.close()
    assert _attempts(mail_server, user.login) == {protocol: 3, other: 0, "smtp": 2}
    assert not any(
        a.success for p in ("imap", "pop3", "smtp") for a in logins(mail_server, p, user.login)
    )


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_what_setup_verifies_is_what_the_runtime_logs_in_with(
    mail_server, tmp_path, protocol
) -> None:
    """The right password: setup, doctor and runtime each succeed with one login."""
    user = mail_server.new_user()
    account = make_account(mail_server, user, protocol)
    assert all(c.ok for c in verify_account(account, Secret(user.password), timeout=10))
    results = run_checks(account, Secret(user.password), timeout=10)
    assert [r.status for r in results if r.name == "login"] == ["ok", "ok"]
    runtime, _events = runtime_for(mail_server, user, tmp_path, account=account)
    try:
        assert runtime.start()
        assert runtime.phase is Phase.ONLINE
    finally:
        runtime.close()
    incoming = [a.success for a in logins(mail_server, protocol, user.login)]
    assert incoming == [True, True, True]
    assert [a.success for a in logins(mail_server, "smtp", user.login)] == [True, True]
