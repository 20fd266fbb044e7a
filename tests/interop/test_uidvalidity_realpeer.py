"""Against the private Dovecot: a folder given a new UIDVALIDITY with its UIDs kept
(`doveadm mailbox update --uid-validity`, as a server that changes it at every session)
keeps tuimail's local copy: the messages at the stored UIDs are checked by Message-ID,
nothing is downloaded again, local ids stay, a queued change is applied."""

from __future__ import annotations

import pytest

from tests.imap.helpers import engine_for, message, other_client, server_state, tmp_store
from tuimail.core.imap.actions import MailActions

pytestmark = pytest.mark.interop


def test_a_new_uidvalidity_with_the_same_uids_keeps_the_cache(dovecot_peer, tmp_path):
    user = dovecot_peer.new_user()
    for i in range(1, 6):
        dovecot_peer.deliver(user, message(i, "validity"))
    store = tmp_store(tmp_path)
    engine = engine_for(dovecot_peer, user, store)
    try:
        assert engine.sync(["INBOX"]).new == 5
        inbox = store.folder_id("test", "INBOX")
        ids = {r.uid: r.id for r in store.message_rows(inbox, 0, 10)}
        before = store.folder(inbox).uidvalidity
        MailActions(store, engine.account).flag([ids[3]])
        engine.close()
        dovecot_peer.doveadm(
            "mailbox", "update", "--uid-validity", str(before + 1000), "-u", user.login, "INBOX"
        )
        engine = engine_for(dovecot_peer, user, store)
        result = engine.sync(["INBOX"])
        assert result.failures == [] and result.refused_actions == [] and result.new == 0
        assert [f.renumbered for f in result.folders] == ["same-messages"]
        assert store.folder(inbox).uidvalidity == before + 1000
        assert {r.uid: r.id for r in store.message_rows(inbox, 0, 10)} == ids
        other = other_client(dovecot_peer, user)
        try:
            flagged = {u for u, f in server_state(other, "INBOX").items() if "\\Flagged" in f}
            assert flagged == {3}
        finally:
            other.logout()
    finally:
        engine.close()
