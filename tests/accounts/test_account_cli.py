"""`tuimail account add/list/remove`: login verified before saving, passwords never stored."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

import pytest

from tests.accounts.helpers import cli_args
from tuimail.__main__ import main
from tuimail.core.config import config_path, load_config


def _pw_command(password: str, directory: Path) -> str:
    """A command that prints the password from a file outside the XDG dirs."""
    secret_file = directory / "password.txt"
    secret_file.write_text(password + "\n")
    return f"cat {secret_file}"


def _manual(server, security: str = "tls") -> list[str]:
    p = server.ports
    imap = p.imap_tls if security == "tls" else p.imap_starttls
    smtp = p.smtp_tls if security == "tls" else p.smtp_starttls
    return [
        "--incoming",
        f"127.0.0.1:{imap}",
        "--security",
        security,
        "--outgoing",
        f"127.0.0.1:{smtp}",
        "--outgoing-security",
        security,
        "--ca-file",
        server.ca_file,
        "--timeout",
        "5",
    ]


def test_detect_verify_and_save_with_password_command(mail_server, capsys, tmp_path) -> None:
    user = mail_server.new_user()
    code = main(
        [
            "account",
            "add",
            "home",
            "--email",
            user.email,
            "--detect",
            "--password-command",
            _pw_command(user.password, tmp_path),
            *cli_args(mail_server),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Login ok: Logged in to the IMAP server" in out
    assert "Login ok: Logged in to the SMTP server" in out
    account = load_config().accounts["home"]
    assert account.incoming.host == "imap.example.test"
    assert account.incoming.security == "tls"
    assert account.password_command == f"cat {tmp_path / 'password.txt'}"
    assert main(["account", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"home: {user.email}  IMAP imap.example.test:" in listing
    assert main(["account", "remove", "home"]) == 0
    assert load_config().accounts == {}
    assert main(["account", "remove", "home"]) == 2  # usage: no such account
    assert "no account named 'home'" in capsys.readouterr().err


@pytest.mark.parametrize("detect", [True, False])
def test_wrong_password_nothing_saved(mail_server, capsys, monkeypatch, detect) -> None:
    user = mail_server.new_user()
    monkeypatch.setattr(sys, "stdin", io.StringIO("not-the-password\n"))
    how = ["--detect", *cli_args(mail_server)] if detect else _manual(mail_server)
    code = main(["account", "add", "work", "--email", user.email, *how])
    captured = capsys.readouterr()
    assert code == 1
    assert "rejected the login" in captured.out
    assert "check the user name and password" in captured.out
    assert "nothing was saved" in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not config_path().exists()


def test_failing_password_command_means_no_login_attempt(mail_server, capsys) -> None:
    user = mail_server.new_user()
    code = main(
        [
            "account",
            "add",
            "work",
            "--email",
            user.email,
            "--password-command",
            f"{sys.executable} -c 'import sys; sys.exit(4)'",
            *_manual(mail_server),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2  # a configuration error
    assert "exit status 4" in err and "no login was attempted" in err
    assert "Nothing was saved" in err
    assert not config_path().exists()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_no_keyring_ask_per_session_and_no_password_anywhere(
    mail_server, capsys, caplog, monkeypatch, isolated_home: Path, tmp_path: Path, security
) -> None:
    caplog.set_level(logging.DEBUG)
    user = mail_server.new_user()
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
    code = main(["account", "add", "asked", "--email", user.email, *_manual(mail_server, security)])
    first = capsys.readouterr()
    assert code == 0, first
    # asked before any server is known: "Password for ...: ", never "... at unknown: "
    assert f"Password for {user.email}: " in first.err and " at unknown" not in first.err
    assert "There is no keyring here" in first.out
    assert "Login ok" in first.out
    code = main(
        [
            "account",
            "add",
            "cmd",
            "--email",
            user.email,
            "--password-command",
            _pw_command(user.password, tmp_path),
            "--detect",
            *cli_args(mail_server),
        ]
    )
    second = capsys.readouterr()
    assert code == 0, second
    config_text = config_path().read_text()
    assert "[accounts.asked]" in config_text and "[accounts.cmd]" in config_text
    secret = user.password.encode()
    for sub in ("config", "data", "cache", "state"):
        for path in (isolated_home / sub).rglob("*"):
            if path.is_file():
                assert secret not in path.read_bytes(), path
    everything = first.out + first.err + second.out + second.err + caplog.text
    assert user.password not in everything


def test_manual_add_requires_servers(capsys) -> None:
    assert main(["account", "add", "x", "--email", "a@b.test"]) == 2
    assert "give --detect" in capsys.readouterr().err


def test_broken_config_is_reported_and_untouched(mail_server, capsys) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[accounts.a]\nemail = "a@b.test\n')
    before = path.read_bytes()
    code = main(
        ["account", "add", "x", "--email", "a@b.test", "--no-verify", *_manual(mail_server)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}, line 2" in err
    assert main(["account", "list"]) == 2
    assert path.read_bytes() == before


def test_self_signed_pin_shown_then_trusted_for_that_host_and_port(test_ca, capsys, monkeypatch):
    from testserver.server import MailServer

    with MailServer(ca=test_ca, cert="self_signed", protocols=("imap", "smtp")) as server:
        user = server.new_user()
        assert main(["detect", user.email, "--json", *cli_args(server)]) == 1
        data = json.loads(capsys.readouterr().out)
        probe = next(
            p for p in data["probes"] if p["port"] == server.ports.imap_tls and p["source"] == "srv"
        )
        assert "self-signed" in probe["detail"] and "--incoming-pin" in probe["detail"]
        pin = probe["certificate_sha256"]
        assert len(pin) == 64
        # Without the pin the manual settings are refused; with it, login and save.
        monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
        assert main(["account", "add", "s", "--email", user.email, *_manual(server)]) == 1
        assert "self-signed" in capsys.readouterr().out
        assert not config_path().exists()
        monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
        code = main(
            [
                "account",
                "add",
                "s",
                "--email",
                user.email,
                *_manual(server),
                "--incoming-pin",
                pin,
                "--outgoing-pin",
                pin,
            ]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        account = load_config().accounts["s"]
        assert account.incoming.pinned_sha256 == pin
        assert account.incoming.port == server.ports.imap_tls
        assert account.outgoing.pinned_sha256 == pin
