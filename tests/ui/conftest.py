"""Fixtures of the UI tests."""

from __future__ import annotations

import pytest

from tests.ui.tmux import Tmux


@pytest.fixture
def tmux():
    """A tmux server of its own (killed afterwards) with the app in session "t"."""
    session = Tmux()
    try:
        yield session
    finally:
        session.kill()
