"""Ctrl-C in `account add` / `account remove` while the keyring waits (an unlock
prompt): the sentence says what is saved and what is not (it said "nothing was saved"
after "Saved account ...")."""

from __future__ import annotations

import io
import sys

import keyring
import keyring.backend
import pytest

from tuimail.__main__ import main
from tuimail.core.config import load_config


class WaitingKeyring(keyring.backend.KeyringBackend):
    """A real-looking keyring the user stops (Ctrl-C) while it waits."""

    priority = 5

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        raise KeyboardInterrupt

    def delete_password(self, service, username):
        raise KeyboardInterrupt


@pytest.fixture
def waiting_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(WaitingKeyring())
    yield
    keyring.set_keyring(previous)


def _manual(server) -> list[str]:
    p = server.ports
    return [
        "--incoming", f"127.0.0.1:{p.imap_tls}", "--outgoing", f"127.0.0.1:{p.smtp_tls}",
        "--ca-file", server.ca_file, "--timeout", "5",
    ]  # fmt: skip


def test_ctrl_c_while_the_keyring_stores_says_the_account_is_saved(
    mail_server, waiting_keyring, capsys, monkeypatch
) -> None:
    user = mail_server.new_user()
    monkeypatch.setattr(sys, "stdin", io.StringIO(user.password + "\n"))
    code = main(["account", "add", "work", "--email", user.email, *_manual(mail_server)])
    run = capsys.readouterr()
    assert code == 130 and "Saved account 'work'" in run.out, run
    assert "nothing was saved" not in run.err.lower()
    assert "is saved" in run.err and "password was not stored" in run.err, run.err
    assert "work" in load_config().accounts


def test_ctrl_c_while_the_keyring_deletes_says_the_account_is_removed(
    mail_server, waiting_keyring, capsys
) -> None:
    add = ["account", "add", "work", "--email", "a@example.test", "--no-verify"]
    assert main([*add, *_manual(mail_server)]) == 0
    capsys.readouterr()
    code = main(["account", "remove", "work"])
    err = capsys.readouterr().err
    assert code == 130 and "nothing was saved" not in err.lower(), err
    assert "'work' is removed" in err, err
    assert "work" not in load_config().accounts
