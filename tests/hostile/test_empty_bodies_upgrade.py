"""A store written before empty BODY[] answers were refused (51261cd) may hold such an
answer as a message's cached body: the upgrade forgets it, so the message is fetched
again; a message the server itself sized 0, and every other body, stays cached."""

from __future__ import annotations

import sqlite3

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import ImapScript
from tuimail.core.store import default_path

pytestmark = pytest.mark.timeout(60)

FORGETS_EMPTY_BODIES = 8  # the migration this file is about


def _as_an_old_store_left_it(body: bytes, size: int) -> None:
    with sqlite3.connect(default_path()) as conn:
        conn.execute("UPDATE bodies SET raw = ?", (body,))
        conn.execute("UPDATE messages SET size = ?", (size,))
        conn.execute(f"PRAGMA user_version = {FORGETS_EMPTY_BODIES - 1}")
    conn.close()


def _cached() -> list[bytes]:
    with sqlite3.connect(default_path()) as conn:
        rows = [bytes(r[0]) for r in conn.execute("SELECT raw FROM bodies")]
    conn.close()
    return rows


def test_an_empty_cached_body_is_fetched_again_after_the_upgrade(scripted, cli) -> None:
    with scripted(ImapScript()) as server:
        save(server, download_bodies=True)
        assert cli("sync", "work").code == 0
        assert len(_cached()) == 1
        _as_an_old_store_left_it(b"\r\n", size=120)  # what an empty {0}/blank answer left
        again = cli("read", "1", "--account", "work")
    assert again.code == 0 and "Body of the message." in again.out, again.out
    assert b"Body of the message." in _cached()[0]


@pytest.mark.parametrize(("body", "size"), [(b"", 0), (b"Subject: x\r\n\r\nkept\r\n", 120)])
def test_other_cached_bodies_stay_after_the_upgrade(scripted, cli, body, size) -> None:
    with scripted(ImapScript()) as server:
        save(server, download_bodies=True)
        assert cli("sync", "work").code == 0
        _as_an_old_store_left_it(body, size)
    assert cli("list", "work").code == 0  # opens (and upgrades) the store; no server
    assert _cached() == [body]
