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


def test_plain_pop3_and_smtp_logins_dovecot_and_postfix_refuse_say_to_use_starttls(
    dovecot_peer, capsys
) -> None:
    """Dovecot's POP3 offers no USER before STLS and Postfix no AUTH before STARTTLS:
    the sentences were 'rejected the login ... check the user name and password' and
    'offers no login (no AUTH after EHLO)'."""
    user = dovecot_peer.new_user()
    ports = dovecot_peer.ports
    argv = ["account", "add", "home", "--email", user.email, "--pop3", "--yes"]
    argv += ["--incoming", f"{dovecot_peer.host}:{ports.pop3_starttls}", "--security", "plain"]
    argv += ["--outgoing", f"{dovecot_peer.host}:{ports.smtp_starttls}"]
    argv += ["--outgoing-security", "plain", "--ca-file", dovecot_peer.ca_file]
    argv += ["--password-command", f"printf %s {shlex.quote(user.password)}"]
    assert main(argv) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert "POP3 server" in out and "no USER login before STLS" in out
    assert "SMTP server" in out and "AUTH only after STARTTLS" in out
    assert out.count('set security = "starttls"') == 2 and "check the user name" not in out


def test_account_add_with_an_untrusted_certificate_says_how_to_trust_it(
    dovecot_peer, capsys
) -> None:
    """Both logins failed with 'issued by an unknown authority' and nothing said what a
    user with a company CA or a self-signed server can do."""
    user = dovecot_peer.new_user()
    host, ports = dovecot_peer.host, dovecot_peer.ports
    argv = ["account", "add", "home", "--email", user.email]
    argv += ["--incoming", f"{host}:{ports.imap_tls}", "--outgoing", f"{host}:{ports.smtp_tls}"]
    argv += ["--password-command", f"printf %s {shlex.quote(user.password)}"]
    assert main(argv) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert out.count("issued by an unknown authority") == 2
    assert "--ca-file FILE" in out and "`tuimail doctor home`" in out
