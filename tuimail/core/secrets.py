"""Passwords: held in memory in a type that never shows its value.

Textual's crash screen prints local variables; logs print reprs. A `Secret` prints as
``***`` everywhere; only `reveal()` gives the password, at the moment it is sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from tuimail.core.logs import remember_secret
from tuimail.core.sanitize import sanitize

if TYPE_CHECKING:
    from tuimail.core.account import Account


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember_secret(value)  # never written to a log (tuimail/core/logs.py)

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


class BearerToken(Secret):
    """An OAuth 2.0 access token, sent with OAUTHBEARER or XOAUTH2 instead of a password
    (made by tuimail.core.oauth2.tokens; defined here so a login can recognise one without
    loading the OAuth code)."""

    __slots__ = ("_renew",)

    def __init__(
        self, value: str, renew: Callable[[BearerToken], BearerToken | None] | None = None
    ):
        super().__init__(value)
        self._renew = renew

    def renewed(self) -> BearerToken | None:
        """A new token after the server rejected this one (refreshed, or the token command
        run again); None when there is no other token to try."""
        return self._renew(self) if self._renew is not None else None


def as_secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


# -- where a password comes from -------------------------------------------------------
#
# Order: the account's password_command > a real keyring > ask once per session (kept
# in memory only). No keyring (every SSH session) is a normal path, not an error.


KEYRING_SERVICE = "tuimail"
PASSWORD_COMMAND_TIMEOUT = 10.0
SHELL = "/bin/sh"

Asker = Callable[[str], "str | Secret | None"]


class PasswordError(Exception):
    """No password could be obtained, as data: `problem` (PASSWORD_PROBLEMS) and what
    its words need in `data`; the edge words it (tuimail.words.password). Never the
    password. Its text is a record for logs. (NeedsSignIn, the OAuth sign-in that is
    missing, is one too: typed by its MailError side.)"""

    kind = "credential"  # a failure's kind in --json (MailError's kinds: NeedsSignIn's wins)

    def __init__(self, *args: object, problem: str = "", **data: object) -> None:
        super().__init__(*(args or (f"password: {problem}",)))
        self.problem = problem
        self.data = data


# PasswordError.problem: "empty" (what: "password_command" or "oauth2_token_command"),
# "no-shell" (shell, detail: the system's words), "timeout" (what, seconds), "failed"
# (what, status: its exit status, said: the start of what it wrote to stderr),
# "printed-nothing" (what), "no-password" (login: none stored and nobody to ask),
# "none-entered" (login).
PASSWORD_PROBLEMS = (
    "empty",
    "no-shell",
    "timeout",
    "failed",
    "printed-nothing",
    "no-password",
    "none-entered",
)


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


def run_password_command(
    command: str, timeout: float = PASSWORD_COMMAND_TIMEOUT, *, what: str = "password_command"
) -> Secret:
    """Run the command through ``/bin/sh -c`` (as msmtp's passwordeval, mbsync's PassCmd
    and aerc's source-cred-cmd do): ``cat ~/.pw``, ``$HOME`` and pipes work.

    The password is the output up to the first ``\n`` (a trailing ``\r`` dropped); no
    other character ends it (form feed, U+2028... are part of the password). Its stderr is
    shown, sanitised and shortened, when it fails. The password is never logged.
    """
    if not command.strip():
        raise PasswordError(problem="empty", what=what)
    try:
        proc = subprocess.Popen(
            [SHELL, "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a timeout ends the whole pipeline, not only sh
        )
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        raise PasswordError(problem="no-shell", shell=SHELL, detail=detail) from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise PasswordError(problem="timeout", what=what, seconds=timeout) from None
    if proc.returncode != 0:
        said = _stderr_words(stderr)
        raise PasswordError(problem="failed", what=what, status=proc.returncode, said=said)
    password = stdout.decode("utf-8", "replace").split("\n", 1)[0].removesuffix("\r")
    if not password:
        raise PasswordError(problem="printed-nothing", what=what)
    return Secret(password)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _stderr_words(stderr: bytes, limit: int = 300) -> str:
    """The command's error output as one sanitised line (never its stdout: the secret)."""
    text = " ".join(stderr.decode("utf-8", "replace").split())
    text = sanitize(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

    For an `auth = "oauth2"` account: its access token (tuimail.core.oauth2.tokens), which
    the logins send with OAUTHBEARER/XOAUTH2 instead of a password.

    `ask(prompt)` is the CLI's or the UI's prompt; what it returns is kept in memory
    for the session. PasswordError when there is no way to get one.
    """
    session = session or SESSION
    if getattr(account, "auth", "password") == "oauth2":
        from tuimail.core.oauth2.tokens import access_token

        return access_token(account)  # a BearerToken; NeedsSignIn is a PasswordError
    if account.password_command:
        return run_password_command(account.password_command)
    stored = keyring_password(account)
    if stored:
        return stored
    held = session.get(account)
    if held:
        return held
    if ask is None:
        raise PasswordError(problem="no-password", login=account.login)
    host = account.incoming.host
    answer = ask(f"Password for {account.login}" + (f" at {host}: " if host else ": "))
    if not answer:
        raise PasswordError(problem="none-entered", login=account.login)
    secret = as_secret(answer)
    session.put(account, secret)
    return secret


def forget_password(account: Account, *, session: SessionPasswords | None = None) -> None:
    """After a failed login: drop the session copy so the next attempt asks again."""
    (session or SESSION).forget(account)
