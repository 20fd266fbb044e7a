"""POP3 test fixtures: a store's POP3 state with an injectable clock; services for POP3
accounts, stopped at the end."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import Clock, pop3_account, pop3_service
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.service import MailService
from tuimail.core.store import Store


@pytest.fixture
def state(tmp_path):
    """(POP3 state on a fresh store under tmp_path, its clock)."""
    clock = Clock()
    store = Store(tmp_path / "store.sqlite3")
    yield StorePop3State(store, clock=clock), clock
    store.close()


@pytest.fixture
def make_service(tmp_path):
    """make(peer, user, password=..., service_options=..., **account options): the service
    the app uses for a POP3 account of `user` (store under tmp_path); every service made
    is stopped (threads joined) at the end, whatever the test did."""
    services: list[MailService] = []

    def make(peer, user, *, password: str | None = None, service_options=None, **options):
        service = pop3_service(
            pop3_account(peer, user, **options),
            user.password if password is None else password,
            tmp_path / "store.sqlite3",
            **(service_options or {}),
        )
        services.append(service)
        return service

    yield make
    for service in services:
        service.stop()
