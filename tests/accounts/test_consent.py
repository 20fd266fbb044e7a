"""Consent before credentials: no password reaches a server the user has not accepted.

A domain whose SRV records (or MX provider) point outside it, or a server that works
only unencrypted: `tuimail account add --detect` probes them (nothing secret is sent),
then asks; LOGIN/AUTH reach the servers only after the yes."""

from __future__ import annotations

import io
import sys

import pytest

from tests.accounts.helpers import auth_attempts, cli_args, outside_zone
from tuimail.__main__ import main
from tuimail.cli import account as account_cli
from tuimail.core.config import config_path, load_config

EMAIL = "bob@customer.test"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _add(server, *extra: str) -> int:
    return main(["account", "add", "work", "--email", EMAIL, "--detect", *extra, *cli_args(server)])


@pytest.mark.parametrize("how", ["srv", "mx"])
def test_outside_servers_get_no_password_without_consent(
    mail_server, capsys, monkeypatch, how
) -> None:
    user = mail_server.add_user(EMAIL)
    outside_zone(mail_server, how)
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))  # not a terminal
    code = _add(mail_server)
    captured = capsys.readouterr()
    assert code == 1, captured
    assert "outside customer.test" in captured.out
    assert "Your password has not been sent to these servers." in captured.out
    assert "run again with --yes" in captured.err and "nothing was saved" in captured.err
    assert auth_attempts(mail_server) == []
    assert not config_path().exists()


def test_outside_srv_question_comes_before_any_login(mail_server, capsys, monkeypatch) -> None:
    user = mail_server.add_user(EMAIL)
    outside_zone(mail_server, "srv")
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(account_cli.getpass, "getpass", lambda prompt: user.password)
    seen_at_question: list[list] = []

    def answer(prompt: str) -> str:
        seen_at_question.append(list(auth_attempts(mail_server)))
        return "n" if len(seen_at_question) == 1 else "y"

    monkeypatch.setattr("builtins.input", answer)
    assert _add(mail_server) == 1  # "n": nothing sent, nothing saved
    assert "not confirmed" in capsys.readouterr().err
    assert auth_attempts(mail_server) == [] and not config_path().exists()
    assert _add(mail_server) == 0  # "y": now the logins are checked, then saved
    out = capsys.readouterr().out
    assert seen_at_question == [[], []]
    assert "Login ok: Logged in to the IMAP server imap.example.test" in out
    assert "Login ok: Logged in to the SMTP server smtp.example.test" in out
    attempts = auth_attempts(mail_server)
    assert len(attempts) == 2 and all(a.tls and a.success for a in attempts)
    assert load_config().accounts["work"].incoming.host == "imap.example.test"


def test_outside_srv_yes_flag_accepts_then_logs_in(mail_server, capsys, monkeypatch) -> None:
    user = mail_server.add_user(EMAIL)
    outside_zone(mail_server, "srv")
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
    assert _add(mail_server, "--yes") == 0, capsys.readouterr()
    assert "Login ok: Logged in to the SMTP server" in capsys.readouterr().out
    assert len(auth_attempts(mail_server)) == 2


def test_wrong_password_after_consent_saves_nothing(mail_server, capsys, monkeypatch) -> None:
    mail_server.add_user(EMAIL)
    outside_zone(mail_server, "srv")
    monkeypatch.setattr(sys, "stdin", io.StringIO("not-the-password\n"))
    assert _add(mail_server, "--yes") == 1
    captured = capsys.readouterr()
    assert "rejected the login" in captured.out and "nothing was saved" in captured.err
    assert not config_path().exists()


def test_stripped_starttls_plain_server_gets_no_login_before_the_warning(
    imap_smtp_server, capsys, monkeypatch
) -> None:
    """--allow-plain and an attacker stripping STARTTLS (and blocking implicit TLS): the
    plain server is found, but LOGIN is never sent in clear before the user accepted."""
    s = imap_smtp_server
    user = s.new_user()
    s.faults.add(protocol="imap", kind="silent", port="tls")
    s.faults.add(protocol="imap", kind="strip_starttls", port="starttls")
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
    code = main(
        ["account", "add", "x", "--email", user.email, "--detect", "--allow-plain"]
        + cli_args(s)
        + ["--timeout", "2"]
    )
    captured = capsys.readouterr()
    assert code == 1, captured
    assert "WITHOUT encryption" in captured.out
    assert "Your password has not been sent" in captured.out
    assert auth_attempts(s) == []


def test_named_unencrypted_server_gets_no_password_before_the_warning_is_accepted(
    imap_smtp_server, capsys, monkeypatch
) -> None:
    """`--security plain` typed by the user: the warning is a question (or --yes), and
    without an answer nothing is sent in clear."""
    s = imap_smtp_server
    user = s.new_user()
    s.faults.add(protocol="imap", kind="strip_starttls", port="starttls")
    manual = [
        "--incoming",
        f"127.0.0.1:{s.ports.imap_starttls}",
        "--security",
        "plain",
        "--outgoing",
        f"127.0.0.1:{s.ports.smtp_tls}",
        "--ca-file",
        s.ca_file,
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
    assert main(["account", "add", "x", "--email", user.email, *manual]) == 1
    err = capsys.readouterr().err
    assert "WITHOUT encryption" in err and "run again with --yes" in err
    # the servers were given with --incoming/--outgoing: that is no way out, tls is
    assert "give the servers with --incoming" not in err
    assert "set --security/--outgoing-security to tls or starttls" in err
    assert auth_attempts(s) == [] and not config_path().exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
    main(["account", "add", "x", "--email", user.email, "--yes", *manual])
    assert [a.tls for a in auth_attempts(s) if a.port == "starttls"] == [False]
