"""Password sources: password_command, keyring only when real, ask once per session."""

from __future__ import annotations

import sys

import keyring
import pytest
from keyring.backends import chainer, fail, null

from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import (
    PasswordError,
    Secret,
    SessionPasswords,
    _backend_is_real,
    get_password,
    keyring_available,
    run_password_command,
    store_in_keyring,
)
from tuimail.words.password import password_words


def _account(command: str | None = None) -> Account:
    return Account(
        name="a",
        email="a@example.test",
        incoming=ServerSettings("imap.example.test", 993),
        outgoing=ServerSettings("smtp.example.test", 465),
        password_command=command,
    )


def _py(code: str) -> str:
    return f"{sys.executable} -c '{code}'"


def test_no_keyring_in_tests() -> None:
    assert keyring_available() is False
    assert store_in_keyring(_account(), Secret("x")) is False


def test_fake_backends_count_as_no_keyring() -> None:
    assert not _backend_is_real(fail.Keyring())
    assert not _backend_is_real(null.Keyring())

    class Chain:
        def __init__(self, backends):
            self.backends = backends

    Chain.__module__ = chainer.__name__
    assert not _backend_is_real(Chain([]))
    assert not _backend_is_real(Chain([fail.Keyring(), null.Keyring()]))

    class PlaintextKeyring(keyring.backend.KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return None

        def set_password(self, service, username, password):
            raise AssertionError

        def delete_password(self, service, username):
            pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert not _backend_is_real(PlaintextKeyring())


def test_password_command_runs_through_the_shell(tmp_path, monkeypatch) -> None:
    """Like msmtp passwordeval / mbsync PassCmd: ~, $HOME, pipes and ; work."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".pw").write_text("from-home-file\nignored\n")
    assert run_password_command("cat ~/.pw").reveal() == "from-home-file"
    assert run_password_command('cat "$HOME/.pw"').reveal() == "from-home-file"
    assert run_password_command("printf 'one\\ntwo\\n' | tail -n 1").reveal() == "two"
    assert run_password_command("printf 'x y\\n' ; false ; true").reveal() == "x y"
    secret = run_password_command(_py('print("s3cret pw"); print("second")'))
    assert secret.reveal() == "s3cret pw"


@pytest.mark.parametrize(
    "sep", ["\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x0b"]
)
def test_password_command_output_ends_only_at_newline(tmp_path, sep: str) -> None:
    """str.splitlines() would cut the password at these; only \\n (and \\r\\n) end it."""
    pw = tmp_path / "pw"
    pw.write_bytes(f"ab{sep}cd\r\nnext\n".encode())
    assert run_password_command(f"cat {pw}").reveal() == f"ab{sep}cd"


def test_password_command_failure_shows_its_stderr_sanitised() -> None:
    with pytest.raises(PasswordError) as info:
        run_password_command("echo 'gpg: decryption failed: No secret key\x1b[31m' >&2; exit 2")
    assert (info.value.problem, info.value.data["status"]) == ("failed", 2)  # data, no words
    text = password_words(info.value)
    assert text.startswith("The password_command failed (exit status 2): ")
    assert "gpg: decryption failed: No secret key" in text
    assert "\x1b" not in text and text.endswith("; no login was attempted.")
    with pytest.raises(PasswordError) as info:
        run_password_command("echo the-secret-value; echo oops >&2; exit 1")
    said = f"{info.value} {info.value.data} {password_words(info.value)}"
    assert "oops" in said and "the-secret-value" not in said
    with pytest.raises(PasswordError) as info:
        run_password_command("exit 127")
    assert password_words(info.value) == (
        "The password_command failed (exit status 127: command not found); no login was attempted."
    )


def test_password_command_timeout() -> None:
    with pytest.raises(PasswordError) as info:
        run_password_command(_py("import time; time.sleep(30)"), timeout=0.5)
    assert password_words(info.value) == "The password_command did not finish within 0.5 seconds."


def test_get_password_prefers_command_and_never_asks() -> None:
    asked = []
    secret = get_password(_account(_py('print("fromcmd")')), lambda p: asked.append(p) or "typed")
    assert secret.reveal() == "fromcmd"
    assert asked == []


def test_ask_once_per_session_without_keyring() -> None:
    session = SessionPasswords()
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "typed-pw"

    first = get_password(_account(), ask, session=session)
    second = get_password(_account(), ask, session=session)
    assert first.reveal() == second.reveal() == "typed-pw"
    assert len(asked) == 1
    assert "a@example.test" in asked[0]
    assert "typed-pw" not in repr(session)
    with pytest.raises(PasswordError) as info:
        get_password(_account(), None, session=SessionPasswords())
    assert (info.value.problem, info.value.data) == ("no-password", {"login": "a@example.test"})
    assert password_words(info.value).startswith("No password for a@example.test: set ")
    with pytest.raises(PasswordError) as info:
        get_password(_account(), lambda p: None, session=SessionPasswords())
    assert password_words(info.value) == "No password was entered for a@example.test."


def test_secret_never_shows() -> None:
    s = Secret("hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "hunter2" not in f"{s}"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A stand-in for a real (Secret Service) keyring: kept in memory, never on disk."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


def test_real_keyring_used_after_password_command() -> None:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        assert keyring_available() is True
        account = _account()
        assert store_in_keyring(account, Secret("from-keyring")) is True
        asked: list[str] = []
        secret = get_password(account, lambda p: asked.append(p) or "typed")
        assert secret.reveal() == "from-keyring" and asked == []
        # password_command still wins over the keyring.
        account.password_command = _py('print("from-command")')
        assert get_password(account, None).reveal() == "from-command"
    finally:
        keyring.set_keyring(previous)
    assert keyring_available() is False
