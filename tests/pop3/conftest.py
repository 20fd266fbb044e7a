"""POP3 test fixtures: a store's POP3 state with an injectable clock."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import Clock
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store


@pytest.fixture
def state(tmp_path):
    """(POP3 state on a fresh store under tmp_path, its clock)."""
    clock = Clock()
    store = Store(tmp_path / "store.sqlite3")
    yield StorePop3State(store, clock=clock), clock
    store.close()
