"""A message with exactly the header fields of one downloaded earlier, over real sockets:
taken for it only when the evidence says so (on the server at the last check with its
size or body size, else the same body), so a new copy is downloaded (never deleted
unread) and a message the server rewrote is not downloaded again."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import (
    Clock,
    counting_retr,
    delete_on_server,
    interrupt_migration,
    message,
    pop3_account,
    store_as_before_stable_keys,
    stored,
    twin,
    user_with,
)
from testserver.pop3 import write_status
from tuimail.core.pop3 import fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store

FIRST = b"first copy\r\n"
OTHER = b"other copy\r\n"  # the same length: LIST gives both the same size
LONGER = b"a longer copy, another size\r\n"


def to_trash(store_state) -> None:
    """The user deletes every message of the local INBOX (it goes to the local Trash)."""
    store = store_state.store
    trash = store.create_local_folder("pop", "Trash", role="trash")
    with store.transaction() as c:
        c.execute(
            "UPDATE messages SET folder_id = ? WHERE folder_id = ?",
            (trash, store_state.inbox("pop")),
        )


def bodies(store_state) -> list[bytes]:
    return [raw.split(b"\r\n\r\n", 1)[1] for raw in stored(store_state)]


def first_check(peer, state, faults=("no_uidl",), **options):
    """A new user of `peer` with message 1 (body FIRST), the server's `faults` on, checked
    once by a POP3 account with `options`: (user, check, the first check's result);
    check() checks again on the same state and clock."""
    store_state, clock = state
    user = peer.new_user()
    peer.deliver(user, twin(1, FIRST))
    for kind in faults:
        peer.faults.add(protocol="pop3", kind=kind)
    account = pop3_account(peer, user, **options)

    def check():
        return fetch(account, user.password, store_state, now=clock)

    return user, check, check()


@pytest.mark.parametrize(
    "checked_between, body", [(True, OTHER), (False, LONGER)], ids=["checked", "unchecked"]
)
def test_no_uidl_copy_with_the_headers_of_one_removed_elsewhere_is_downloaded(
    mail_server, state, checked_between, body
):
    """Leave-on-server, no UIDL: another client deletes the download; a message with its
    header fields arrives (same size after a check saw it gone, or another body size)."""
    store_state = state[0]
    user, check, first = first_check(mail_server, state)
    assert first.downloaded == 1

    delete_on_server(mail_server, user, 1)
    if checked_between:
        assert check().downloaded == 0
    mail_server.deliver(user, twin(1, body))
    assert check().downloaded == 1
    assert check().downloaded == 0
    assert bodies(store_state) == sorted([FIRST, body])


def deleted_here_and_elsewhere(peer, state, faults: tuple[str, ...]) -> None:
    """delete_on_server_when_deleted_locally: the user deleted the download here (to the
    local Trash), another client deleted it on the server; a message with its header
    fields and its size arrives. It is new mail: downloaded, not deleted from the server."""
    user, check, first = first_check(
        peer, state, faults=faults, delete_on_server_when_deleted_locally=True
    )
    assert first.downloaded == 1
    to_trash(state[0])  # deleted here (undoable: it is in the local Trash)
    delete_on_server(peer, user, 1)
    assert check().deleted == 0

    peer.deliver(user, twin(1, OTHER))
    result = check()
    assert result.downloaded == 1 and result.deleted == 0
    assert len(peer.messages(user)) == 1


def test_copy_of_a_message_deleted_here_and_elsewhere_is_not_deleted_unread(mail_server, state):
    """Without UIDL (the bundled server): see deleted_here_and_elsewhere."""
    deleted_here_and_elsewhere(mail_server, state, faults=("no_uidl",))


def test_identical_copy_arriving_beside_the_download_is_a_second_message(mail_server, state):
    store_state = state[0]
    user, check, first = first_check(mail_server, state, faults=("no_uidl", "mbox_status"))
    assert first.downloaded == 1

    mail_server.deliver(user, twin(1, FIRST))
    assert check().downloaded == 1
    assert check().downloaded == 0
    assert bodies(store_state) == [FIRST, FIRST]


@pytest.mark.parametrize("uidl", ["no_uidl", "uidl"])
def test_status_fields_written_later_cost_no_second_retr(mail_server, state, uidl):
    """The server writes status fields (its own RETR, or another client read it): the
    size changes, the body size does not; the message is known without another RETR."""
    store_state, clock = state
    user = user_with(mail_server, 3)
    if uidl == "no_uidl":
        mail_server.faults.add(protocol="pop3", kind="no_uidl")
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    account = pop3_account(mail_server, user)
    calls: list[int] = []
    connect = counting_retr(calls)
    assert fetch(account, user.password, store_state, now=clock, connect=connect).downloaded == 3
    mail_server.deliver(user, message(3))
    assert fetch(account, user.password, store_state, now=clock, connect=connect).downloaded == 1
    uid = mail_server.store.messages(user.login)[-1].uid
    write_status(mail_server.store, user.login, uid, b"Status: O\r\n")  # read elsewhere
    assert fetch(account, user.password, store_state, now=clock, connect=connect).downloaded == 0
    assert calls == [1, 2, 3, 4]
    assert len(stored(store_state)) == 4


def test_numbered_uidl_given_to_a_copy_with_equal_headers_is_downloaded_first(mail_server, state):
    """UIDLs that are message numbers, no leave-on-server: the next message gets the
    UIDL of one tuimail deleted, with its header fields and its size, another body."""
    store_state = state[0]
    user, check, first = first_check(
        mail_server, state, faults=("number_uidl",), leave_on_server=False
    )
    assert first.deleted == 1

    mail_server.deliver(user, twin(1, OTHER))
    result = check()
    assert result.downloaded == 1 and result.deleted == 1
    assert bodies(store_state) == [FIRST, OTHER]


def test_store_from_before_body_evidence_gets_it_from_the_stored_messages(
    mail_server, tmp_path, monkeypatch
):
    """Upgrading (even interrupted): every stored download gets its body evidence from
    the stored message, so the gap is closed for mail downloaded before."""
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, FIRST))
    mail_server.deliver(user, message(2))
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    path = tmp_path / "store.sqlite3"
    store_as_before_stable_keys(path, mail_server, user).close()
    interrupt_migration(path, monkeypatch, "raw_evidence")

    store = Store(path)
    try:
        migrated = StorePop3State(store, clock=Clock())
        missing = store.conn.execute(
            "SELECT count(*) FROM pop3_keys WHERE message_id IS NOT NULL AND body_hash IS NULL"
        ).fetchone()
        assert missing == (0,)
        account = pop3_account(mail_server, user)
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 0
        delete_on_server(mail_server, user, 1)
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 0
        mail_server.deliver(user, twin(1, OTHER))
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 1
        assert len(stored(migrated)) == 3
    finally:
        store.close()


def test_download_without_body_evidence_is_decided_as_before(mail_server, state):
    """A download whose message left the store before its body evidence was recorded
    (an older store): its header fields still stand for it, so the server writing
    status fields into it (another size) does not bring it again."""
    store_state = state[0]
    user, check, first = first_check(mail_server, state)
    assert first.downloaded == 1
    with store_state.store.transaction() as c:  # purged here before the upgrade
        c.execute("DELETE FROM messages")
        c.execute("UPDATE pop3_keys SET body_hash = NULL, body_size = NULL")

    uid = mail_server.store.messages(user.login)[0].uid
    write_status(mail_server.store, user.login, uid)
    assert check().downloaded == 0
    assert stored(store_state) == []


def test_copy_with_the_fields_of_one_deleted_here_and_elsewhere_is_kept_on_both_beds(
    mail_peer, state
):
    """With real UIDLs (Dovecot too): the message arrives under a new UIDL; see
    deleted_here_and_elsewhere."""
    deleted_here_and_elsewhere(mail_peer, state, faults=())
    assert bodies(state[0]) == [OTHER]  # the INBOX; the first is in the Trash


def test_a_copy_the_server_will_not_send_is_left_for_the_next_check(mail_server, state):
    """No leave-on-server: the body must decide, and the server refuses to send it. The
    message is neither taken for the download nor deleted; the next check gets it."""
    store_state = state[0]
    user, check, first = first_check(mail_server, state, leave_on_server=False)
    assert first.deleted == 1

    mail_server.deliver(user, twin(1, OTHER))
    mail_server.faults.add(protocol="pop3", kind="retr_err", data=b"1")
    refused = check()
    assert (refused.downloaded, refused.deleted, len(refused.refused)) == (0, 0, 1)
    assert len(mail_server.messages(user)) == 1

    mail_server.faults.clear()
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    result = check()
    assert result.downloaded == 1 and result.deleted == 1
    assert bodies(store_state) == [FIRST, OTHER]
