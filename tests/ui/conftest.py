"""Fixtures of the UI tests."""

from __future__ import annotations

import pytest

from tests.ui.tmux import Tmux
from tuimail.ui.app import TuimailApp


@pytest.fixture(autouse=True)
def quick_first_sync(monkeypatch):
    """Apps built here on an empty store (nothing to paint before the first sync) start
    it after 0.1 s, not the users' 1 s: nothing these tests check depends on that wait."""
    monkeypatch.setattr(TuimailApp, "SYNC_FALLBACK", 0.1)


@pytest.fixture
def tmux():
    """A tmux server of its own (killed afterwards) with the app in session "t"."""
    session = Tmux()
    try:
        yield session
    finally:
        session.kill()
