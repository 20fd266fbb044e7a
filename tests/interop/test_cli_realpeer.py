"""The command line against the real Dovecot + Postfix: what a new user sees when the
configuration does not fit the server (one sentence saying what to change)."""

from __future__ import annotations

import shlex

import pytest

from tests.imap.helpers import account_for
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_FAILURE
from tuimail.core.account import ServerSettings
from tuimail.core.config import save_account

pytestmark = pytest.mark.interop


def test_a_plain_imap_login_dovecot_refuses_says_to_use_starttls(dovecot_peer, capsys) -> None:
    """Dovecot on a non-local address announces LOGINDISABLED before STARTTLS: the
    sentence said 'the server offers no password login tuimail supports on this
    connection: [LOGINDISABLED]', which does not say what to do."""
    user = dovecot_peer.new_user()
    account = account_for(dovecot_peer, user, name="work")
    account.incoming = ServerSettings(dovecot_peer.host, dovecot_peer.ports.imap_starttls, "plain")
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    save_account(account)
    assert main(["sync", "work"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "does not accept a password on an unencrypted connection" in err
    assert 'security = "starttls"' in err and "Traceback" not in err
