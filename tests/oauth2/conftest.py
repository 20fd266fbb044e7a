"""Each test starts with no sign-in held in this process."""

from __future__ import annotations

import pytest

from tuimail.core.oauth2 import store, tokens


@pytest.fixture(autouse=True)
def no_sign_in_held():
    store._memory.clear()
    tokens._held.clear()
    yield
    store._memory.clear()
    tokens._held.clear()
