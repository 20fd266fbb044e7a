"""Where a sign-in's refresh token is kept between runs.

Order: a real keyring; else, only when the account opted in with
`oauth2_token_store = "file"`, a 0600 JSON file under the XDG state directory; else memory
until tuimail exits (the user signs in again next time). Access tokens are never written
anywhere: they are short-lived and renewed from the refresh token.

A refresh token is kept with the token endpoint that issued it (`issuer_of`): it is only
ever sent back there (tuimail.core.oauth2.tokens), never to another authorization server
the account's settings name later.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from tuimail.core.config import state_dir
from tuimail.core.secrets import Secret, _backend_is_real

KEYRING_SERVICE = "tuimail-oauth2"
ISSUER_SERVICE = "tuimail-oauth2-issuer"  # the token endpoint a refresh token came from
_memory: dict[str, Secret] = {}
_issuers: dict[str, str] = {}
_lock = threading.Lock()


def _keyring():
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:
        return None
    return keyring if _backend_is_real(backend) else None


def file_path(account_name: str) -> Path:
    """The file a refresh token goes to with oauth2_token_store = "file": one per account
    name, inside the oauth2 directory whatever the name ("../x" named a file outside it),
    by the rule the outbox's directories follow. A file an older tuimail wrote under the
    name as given (inside the directory) is still found."""
    from tuimail.core.outbox import _safe_name

    folder = state_dir() / "oauth2"
    path = folder / f"{_safe_name(account_name)}.json"
    older = folder / f"{account_name}.json"
    if not path.exists() and older.parent == folder and older.is_file():
        return older
    return path


_file = file_path


def where(account_name: str, store: str = "keyring") -> str:
    """ "keyring", "file" or "memory": where save() puts this account's refresh token."""
    if _keyring() is not None:
        return "keyring"
    return "file" if store == "file" else "memory"


def save(
    account_name: str,
    refresh_token: Secret | None,
    store: str = "keyring",
    issuer: str | None = None,
) -> str:
    """Keep (or with None, forget) the refresh token, with the token endpoint that issued
    it (`issuer`, when known); returns where it went."""
    if refresh_token is None:
        forget(account_name)
        return "nowhere"
    place = where(account_name, store)
    if place == "keyring":
        ring = _keyring()
        ring.set_password(KEYRING_SERVICE, account_name, refresh_token.reveal())
        if issuer:
            ring.set_password(ISSUER_SERVICE, account_name, issuer)
    elif place == "file":
        path = _file(account_name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            record = {"refresh_token": refresh_token.reveal()}
            if issuer:
                record["issuer"] = issuer
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    with _lock:
        _memory[account_name] = refresh_token
        if issuer:
            _issuers[account_name] = issuer
        else:
            _issuers.pop(account_name, None)
    return place


def issuer_of(account_name: str, store: str = "keyring") -> str | None:
    """The token endpoint the kept refresh token came from; None when not recorded (a
    token kept by an older tuimail)."""
    with _lock:
        if account_name in _memory:
            return _issuers.get(account_name)
    ring = _keyring()
    if ring is not None:
        try:
            return ring.get_password(ISSUER_SERVICE, account_name) or None
        except Exception:
            return None
    if store == "file":
        return _from_file(account_name, "issuer")
    return None


def load(account_name: str, store: str = "keyring") -> Secret | None:
    with _lock:
        if account_name in _memory:
            return _memory[account_name]
    ring = _keyring()
    if ring is not None:
        value = ring.get_password(KEYRING_SERVICE, account_name)
        return Secret(value) if value else None
    if store == "file":
        value = _from_file(account_name, "refresh_token")
        return Secret(value) if value else None
    return None


def _from_file(account_name: str, key: str) -> str | None:
    """`key` of the account's token file, when the file is readable and it is a string
    that is not empty."""
    try:
        data = json.loads(_file(account_name).read_text())
    except (OSError, ValueError):
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def forget(account_name: str) -> None:
    with _lock:
        _memory.pop(account_name, None)
        _issuers.pop(account_name, None)
    ring = _keyring()
    if ring is not None:
        for service in (KEYRING_SERVICE, ISSUER_SERVICE):
            try:
                ring.delete_password(service, account_name)
            except Exception:
                pass
    try:
        _file(account_name).unlink()
    except FileNotFoundError:
        pass
