"""Servers found only through setup's DNS server (`--nameserver`, the wizard's DNS server
field) are reached through it afterwards: the account remembers it (`nameserver`), and
sync, send (and its Sent copy) resolve the host names there, not at the system's resolver
(which does not know imap.example.test: the account saved fine and never connected)."""

from __future__ import annotations

import json
import socket

import pytest

from tests.accounts.helpers import cli_args
from tuimail.__main__ import main
from tuimail.core.config import config_path, load_config

MESSAGE = (
    b"From: Alice <alice@example.test>\r\nSubject: found through the DNS server\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello\r\n"
)


def _system_knows(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        return False
    return True


def test_an_account_set_up_through_a_dns_server_syncs_and_sends(
    mail_server, capsys, tmp_path
) -> None:
    assert not _system_knows("imap.example.test")  # else this test could not fail
    user = mail_server.new_user()
    mail_server.deliver(user, MESSAGE)
    secret = tmp_path / "pw"
    secret.write_text(user.password)
    args = ["account", "add", "home", "--email", user.email, "--detect"]
    code = main([*args, "--password-command", f"cat {secret}", *cli_args(mail_server)])
    out = capsys.readouterr().out
    assert code == 0, out
    ns = f"127.0.0.1:{mail_server.dns_port}"
    assert f"Its servers' names are looked up at {ns} (nameserver)." in out
    account = load_config().accounts["home"]
    assert account.incoming.host == "imap.example.test"
    assert account.extra["nameserver"] == ns

    assert main(["sync", "home"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    main(["doctor", "home", "--json", "--no-send"])  # asks the account's DNS server too
    checks = json.loads(capsys.readouterr().out)["checks"]
    logins = [c for c in checks if c["name"] == "login"]
    assert [c["status"] for c in logins] == ["ok", "ok"], logins
    assert main(["list", "home"]) == 0
    assert "found through the DNS server" in capsys.readouterr().out

    draft = tmp_path / "m.eml"
    draft.write_bytes(b"Subject: sent through it\n\nbody\n")
    assert main(["send", "--account", "home", str(draft), user.email]) == 0
    said = capsys.readouterr()
    assert "Copy: saved to Sent." in said.out, said
    assert any(b"sent through it" in raw for raw in mail_server.messages(user))
    assert any(b"sent through it" in raw for raw in mail_server.messages(user, "Sent"))


@pytest.mark.parametrize("zone", ["empty", "silent"])
def test_a_host_the_dns_server_does_not_know_is_said_plainly(
    mail_server, capsys, tmp_path, zone
) -> None:
    """The remembered DNS server no longer knows the host (or does not answer): a clear
    sentence, no traceback, and the system's resolver is not asked instead."""
    user = mail_server.new_user()
    secret = tmp_path / "pw"
    secret.write_text(user.password)
    args = ["account", "add", "home", "--email", user.email, "--detect"]
    assert main([*args, "--password-command", f"cat {secret}", *cli_args(mail_server)]) == 0
    capsys.readouterr()
    if zone == "empty":
        mail_server.set_dns({})
    else:
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))  # bound, never read: no answer ever comes
        path = config_path()
        ns = f"127.0.0.1:{mail_server.dns_port}"
        quiet = f'"127.0.0.1:{silent.getsockname()[1]}"\ntimeout = 1'
        path.write_text(path.read_text().replace(f'"{ns}"', quiet))
    assert main(["sync", "home"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if zone == "empty":
        assert "imap.example.test does not exist" in err, err
    else:
        assert "did not answer in time" in err, err
        silent.close()


def test_this_computer_and_addresses_are_not_asked_of_the_dns_server() -> None:
    """localhost (RFC 6761) is this computer, an address is itself: neither is looked up
    at the account's DNS server (here one that cannot answer at all)."""
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.connect import account_address

    def address(host: str) -> str | None:
        here = ServerSettings(host, 993, "tls")
        extra = {"nameserver": "127.0.0.1:9", "timeout": 1.0}
        account = Account(
            name="a", email="a@example.test", incoming=here, outgoing=here, extra=extra
        )
        return account_address(account, here)

    assert address("localhost") is None and address("mail.localhost.") is None
    assert address("127.0.0.1") == "127.0.0.1" and address("::1") == "::1"
