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


def test_each_account_name_has_its_own_file_inside_the_oauth2_directory() -> None:
    """'a/b' was kept in a subdirectory of its own, '../x' outside the private oauth2
    directory (in the state directory itself)."""
    folder = state_dir() / "oauth2"
    for name in ("a/b", "../x", "ü", "ö"):
        assert store.save(name, Secret(f"refresh-{name}"), store="file") == "file"
        assert store.file_path(name).parent == folder
    store._memory.clear()
    for name in ("a/b", "../x", "ü", "ö"):
        assert store.load(name, store="file") == Secret(f"refresh-{name}")
    assert len({store.file_path(n) for n in ("a/b", "../x", "ü", "ö", "a_b")}) == 5
    assert not (state_dir() / "x.json").exists()


def test_a_file_kept_under_the_name_as_written_is_still_found() -> None:
    folder = state_dir() / "oauth2"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "büro.json").write_text('{"refresh_token": "refresh-old"}')
    (folder / "büro.json").chmod(0o600)
    assert store.load("büro", store="file") == Secret("refresh-old")
