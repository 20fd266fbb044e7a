"""Against the private Dovecot: \\Recent, which Dovecot reports to the first session that
sees a message, is not kept in the store (no later session says it went away: it stayed
on every message for ever, in the list and `--json`); the flags equal what any other
client sees, after the first sync and after IDLE's direct path brought new mail."""

from __future__ import annotations

import pytest

from tests.imap.helpers import engine_for, message, other_client, store_state, tmp_store

pytestmark = pytest.mark.interop


def _server_flags(client) -> dict[int, frozenset[str]]:
    client.select_folder("INBOX", readonly=True)
    return {
        uid: frozenset(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
        for uid, item in client.fetch("1:*", ["FLAGS"]).items()
    }


def test_the_session_flag_recent_is_not_stored(dovecot_peer, tmp_path):
    user = dovecot_peer.new_user()
    for i in range(1, 4):
        dovecot_peer.deliver(user, message(i, "recent"))
    store = tmp_store(tmp_path)
    engine = engine_for(dovecot_peer, user, store)
    try:
        assert engine.sync(["INBOX"]).failures == []
        stored = store_state(store, "test", "INBOX")
        assert len(stored) == 3
        assert all("\\Recent" not in flags for flags in stored.values()), stored
        other = other_client(dovecot_peer, user)
        try:
            assert stored == _server_flags(other)  # the other flags all there
        finally:
            other.logout()
        assert engine.sync(["INBOX"]).changed == 0  # the server's \Recent is no change
    finally:
        engine.close()
