"""Passwords: held in memory in a type that never shows its value.

Textual's crash screen prints local variables; logs print reprs. A `Secret` prints as
``***`` everywhere; only `reveal()` gives the password, at the moment it is sent.
"""

from __future__ import annotations

import shlex
import subprocess
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuimail.core.account import Account


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # never pickled to disk by accident
        raise TypeError("a Secret cannot be pickled")


def as_secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


# -- where a password comes from -------------------------------------------------------
#
# Order: the account's password_command > a real keyring > ask once per session (kept
# in memory only). No keyring (every SSH session) is a normal path, not an error.


KEYRING_SERVICE = "tuimail"
PASSWORD_COMMAND_TIMEOUT = 10.0

Asker = Callable[[str], "str | Secret | None"]


class PasswordError(Exception):
    """No password could be obtained; the message says why (never the password)."""


def _key(account: Account) -> str:
    return f"{account.login}@{account.incoming.host}"


class SessionPasswords:
    """Passwords the user typed this session, in memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._passwords: dict[str, Secret] = {}

    def get(self, account: Account) -> Secret | None:
        with self._lock:
            return self._passwords.get(_key(account))

    def put(self, account: Account, secret: Secret) -> None:
        with self._lock:
            self._passwords[_key(account)] = secret

    def forget(self, account: Account) -> None:
        with self._lock:
            self._passwords.pop(_key(account), None)

    def __repr__(self) -> str:
        return f"SessionPasswords({len(self._passwords)} held)"


SESSION = SessionPasswords()


def run_password_command(command: str, timeout: float = PASSWORD_COMMAND_TIMEOUT) -> Secret:
    """Run the command without a shell; the first line of its output is the password."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise PasswordError(f"The password_command cannot be split into words ({exc}).") from None
    if not argv:
        raise PasswordError("The password_command is empty.")
    try:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise PasswordError(f"The password_command program {argv[0]!r} was not found.") from None
    except PermissionError:
        raise PasswordError(f"The password_command program {argv[0]!r} cannot be run.") from None
    except subprocess.TimeoutExpired:
        raise PasswordError(
            f"The password_command did not finish within {timeout:g} seconds."
        ) from None
    if result.returncode != 0:
        raise PasswordError(
            f"The password_command failed (exit status {result.returncode}); "
            "no login was attempted."
        )
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise PasswordError("The password_command printed nothing.")
    return Secret(password)


def _backend_is_real(backend: object) -> bool:
    module = type(backend).__module__
    name = type(backend).__name__
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        return False
    if module.startswith("keyrings.alt"):
        # keyrings.alt stores passwords in files (plaintext or weakly encrypted).
        return False
    if module.startswith("keyring.backends.chainer"):
        return any(_backend_is_real(b) for b in getattr(backend, "backends", []))
    if name in ("PlaintextKeyring", "UncryptedFileKeyring"):
        return False
    try:
        return float(getattr(backend, "priority", 1)) > 0
    except Exception:
        return False


def keyring_available() -> bool:
    """True only when keyring has a real, secure backend."""
    try:
        import keyring

        return _backend_is_real(keyring.get_keyring())
    except Exception:
        return False


def keyring_password(account: Account) -> Secret | None:
    if not keyring_available():
        return None
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, _key(account))
    except Exception:
        return None
    return Secret(value) if value else None


def store_in_keyring(account: Account, secret: Secret) -> bool:
    """Save to a real keyring; False (and nothing written anywhere) when there is none."""
    if not keyring_available():
        return False
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _key(account), secret.reveal())
    except Exception:
        return False
    return True


def delete_from_keyring(account: Account) -> None:
    if not keyring_available():
        return
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, _key(account))
    except Exception:
        pass


def get_password(
    account: Account,
    ask: Asker | None = None,
    *,
    session: SessionPasswords | None = None,
) -> Secret:
    """The account's password: password_command > real keyring > this session > ask.

    `ask(prompt)` is the CLI's or the UI's prompt; what it returns is kept in memory
    for the session. PasswordError when there is no way to get one.
    """
    session = session or SESSION
    if account.password_command:
        return run_password_command(account.password_command)
    stored = keyring_password(account)
    if stored:
        return stored
    held = session.get(account)
    if held:
        return held
    if ask is None:
        raise PasswordError(
            f"No password for {account.login}: set password_command in the account, "
            "or enter it when asked."
        )
    answer = ask(f"Password for {account.login} at {account.incoming.host}: ")
    if not answer:
        raise PasswordError(f"No password was entered for {account.login}.")
    secret = as_secret(answer)
    session.put(account, secret)
    return secret


def forget_password(account: Account, *, session: SessionPasswords | None = None) -> None:
    """After a failed login: drop the session copy so the next attempt asks again."""
    (session or SESSION).forget(account)
