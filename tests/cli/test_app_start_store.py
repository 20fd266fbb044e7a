"""Plain `tuimail` (the app) with a store it cannot open or upgrade says one sentence on
standard error and exits non-zero, as every command does: never a traceback."""

from __future__ import annotations

import pytest

from tuimail.__main__ import main
from tuimail.core.store import store as store_module
from tuimail.core.store.schema import StoreNeedsRoom
from tuimail.core.store.store import default_path


def _one_sentence(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tuimail: "), err
    return lines[0]


def test_a_store_file_that_is_not_a_database_is_one_sentence(capsys) -> None:
    path = default_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(b"not a database, a note somebody saved here by mistake\n" * 20)
    assert main([]) == 1
    line = _one_sentence(capsys.readouterr().err)
    assert str(path) in line and "could not be read" in line, line


def test_an_upgrade_without_room_is_one_sentence(monkeypatch, capsys) -> None:
    def no_room(conn):  # what migrate() raises on a disk too full for migration 9
        raise StoreNeedsRoom(directory="/full/disk", needed=40 << 20, free=2 << 20)

    monkeypatch.setattr(store_module, "migrate", no_room)
    assert main([]) == 1
    line = _one_sentence(capsys.readouterr().err)
    assert "/full/disk" in line and "about 40 MB" in line and "2 MB free" in line, line


@pytest.fixture(autouse=True)
def _no_terminal_app(monkeypatch):
    """Were the store opened after all, the app must not take over the test's terminal."""
    from textual.app import App

    def run(self, *args, **kwargs):
        raise AssertionError("the app started although its store could not be opened")

    monkeypatch.setattr(App, "run", run)
