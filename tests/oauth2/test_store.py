"""Refresh tokens are kept in a real keyring, else in a 0600 file only when the account
opted in, else in memory only: never a file the user did not ask for."""

from __future__ import annotations

import stat

from tuimail.core.config import state_dir
from tuimail.core.oauth2 import store
from tuimail.core.secrets import Secret


def test_without_a_keyring_the_token_stays_in_memory_only() -> None:
    # conftest gives every test keyring's "fail" backend, as in an SSH session.
    assert store.save("work", Secret("refresh-canary-1")) == "memory"
    assert store.load("work") == Secret("refresh-canary-1")
    assert not (state_dir() / "oauth2").exists()
    store.forget("work")
    assert store.load("work") is None


def test_file_store_only_when_asked_and_private() -> None:
    assert store.save("home", Secret("refresh-canary-2"), store="file") == "file"
    path = state_dir() / "oauth2" / "home.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    store._memory.clear()  # a later run of tuimail
    assert store.load("home", store="file") == Secret("refresh-canary-2")
    assert store.load("home") is None  # not opted in: the file is not read
    store.forget("home")
    assert not path.exists()
