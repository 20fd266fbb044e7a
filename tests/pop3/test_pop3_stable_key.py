"""Servers without a usable UIDL, over real sockets: a message is recognised by its stable
header key, so mbox status headers written after RETR, equal headers and UIDLs that
change between sessions neither duplicate nor lose a message."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import (
    Clock,
    delete_on_server,
    interrupt_migration,
    message,
    pop3_account,
    server_count,
    store_as_before_stable_keys,
    stored,
    twin,
    user_with,
)
from tuimail.core.pop3 import fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store


@pytest.mark.parametrize("uidl", ["no_uidl", "odd_uidls"])
def test_status_headers_written_after_retr_do_not_download_again(mail_server, state, uidl):
    store_state, clock = state
    user = user_with(mail_server, 3)
    if uidl == "no_uidl":
        mail_server.faults.add(protocol="pop3", kind="no_uidl")
    else:
        odd = b"\n".join([b"", b"L" * 200, b"dup", b"dup"])  # empty, over-long, repeated
        mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=odd)
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    account = pop3_account(mail_server, user)

    assert fetch(account, user.password, store_state, now=clock).downloaded == 3
    rewritten = mail_server.messages(user)
    assert all(b"\r\nStatus: RO\r\nX-Status: \r\n" in raw for raw in rewritten)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    mail_server.deliver(user, message(3))
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    assert len(stored(store_state)) == 4


def test_messages_with_equal_headers_are_each_downloaded_once(mail_server, state):
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, b"first copy\r\n"))
    mail_server.deliver(user, twin(1, b"second copy\r\n"))
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    account = pop3_account(mail_server, user)

    assert fetch(account, user.password, store_state, now=clock).downloaded == 2
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    mail_server.deliver(user, twin(1, b"third copy\r\n"))
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    bodies = stored(store_state)
    assert [b.split(b"\r\n\r\n", 1)[1] for b in bodies] == [
        b"first copy\r\n",
        b"second copy\r\n",
        b"third copy\r\n",
    ]


def test_equal_headers_without_leave_on_server_lose_nothing(mail_server, state):
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, b"first copy\r\n"))
    mail_server.deliver(user, twin(1, b"second copy\r\n"))
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    account = pop3_account(mail_server, user, leave_on_server=False)

    result = fetch(account, user.password, store_state, now=clock)
    assert result.downloaded == 2 and result.deleted == 2
    assert server_count(mail_server, user) == 0
    assert len(stored(store_state)) == 2


def test_uidls_changed_between_sessions_do_not_download_again(mail_server, state):
    store_state, clock = state
    user = user_with(mail_server, 3)
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 3

    mail_server.store.reset_uidvalidity(user.login, "INBOX")  # every UIDL is new
    mail_server.deliver(user, message(3))
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    assert len(stored(store_state)) == 4


def test_changed_uidls_with_equal_headers_keep_each_copy(mail_server, state):
    """An earlier download vouches for one message only: a second copy with equal
    headers and a new UIDL is still downloaded."""
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, b"first copy\r\n"))
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1

    mail_server.store.reset_uidvalidity(user.login, "INBOX")
    mail_server.deliver(user, twin(1, b"second copy\r\n"))
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    assert len(stored(store_state)) == 2


def test_copy_with_an_empty_uidl_is_not_taken_for_one_with_its_uidl(mail_server, state):
    """Message 1 keeps a valid UIDL; a copy with equal headers arrives with an empty one:
    the download recorded for message 1 (under its UIDL and its header key) does not
    also stand for the copy."""
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, b"first copy\r\n"))
    account = pop3_account(mail_server, user)
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"keep-1")
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1

    mail_server.deliver(user, twin(1, b"second copy\r\n"))
    mail_server.faults.clear()
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"keep-1\n")
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    assert len(stored(store_state)) == 2


def test_store_from_before_stable_keys_does_not_download_again(mail_server, tmp_path):
    """Upgrading: the old keys hashed the header as sent; the server has since written
    status headers into every message read. The migration recomputes each stored
    message's stable key from its stored header."""
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    path = tmp_path / "store.sqlite3"
    store_as_before_stable_keys(path, mail_server, user).close()
    assert all(b"\r\nX-UID: " in raw for raw in mail_server.messages(user))

    store = Store(path)
    try:
        migrated = StorePop3State(store, clock=Clock())
        assert sum(k.startswith("s:") for k in migrated.known("pop")) == 3
        account = pop3_account(mail_server, user)
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 0
        mail_server.deliver(user, message(3))
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 1
        assert len(stored(migrated)) == 4
    finally:
        store.close()


def test_old_keys_of_messages_no_longer_stored_are_still_accepted(mail_server, tmp_path):
    """A message removed from the store before the upgrade has nothing to recompute its
    key from: its old key is still accepted, so it is not downloaded again."""
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    path = tmp_path / "store.sqlite3"
    old = store_as_before_stable_keys(path, mail_server, user)
    with old.transaction() as c:  # the user deleted message 1 and emptied the Trash
        c.execute("DELETE FROM messages WHERE subject = 'message 1'")
    old.close()

    store = Store(path)
    try:
        migrated = StorePop3State(store, clock=Clock())
        assert sum(k.startswith("s:") for k in migrated.known("pop")) == 2
        account = pop3_account(mail_server, user)
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 0
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 0
        assert len(stored(migrated)) == 2
    finally:
        store.close()


def test_interrupted_migration_goes_on_at_the_next_start(mail_server, tmp_path, monkeypatch):
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    path = tmp_path / "store.sqlite3"
    store_as_before_stable_keys(path, mail_server, user).close()
    interrupt_migration(path, monkeypatch, "stable_hash")

    store = Store(path)
    try:
        migrated = StorePop3State(store, clock=Clock())
        per_message = store.conn.execute(
            "SELECT count(*) FROM pop3_keys WHERE key LIKE 's:%' GROUP BY message_id"
        ).fetchall()
        assert per_message == [(1,), (1,), (1,)]
        account = pop3_account(mail_server, user)
        assert fetch(account, user.password, migrated, now=Clock()).downloaded == 0
    finally:
        store.close()


def sized(n: int) -> bytes:
    """Message `n` with a body of its own length (sizes tell messages apart)."""
    return message(n, b"x" * (10 * n) + b"\r\n")


def test_uidl_given_to_another_message_is_not_taken_for_it(mail_server, state):
    """UIDLs that are message numbers: after another client deletes message 1, the old
    message 2 has UIDL 1 and a new message has UIDL 2. Neither is taken for the
    download its UIDL named before: the new one is downloaded, the old one not again."""
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, sized(1))
    mail_server.deliver(user, sized(2))
    mail_server.faults.add(protocol="pop3", kind="number_uidl")
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 2

    delete_on_server(mail_server, user, 1)
    mail_server.deliver(user, sized(3))
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    subjects = sorted(b.split(b"Subject: ")[1].split(b"\r\n")[0] for b in stored(store_state))
    assert subjects == [b"message 1", b"message 2", b"message 3"]


def test_uidl_reused_after_tuimail_deleted_it_loses_nothing(mail_server, state):
    """Without leave-on-server: the next message gets the UIDL of one tuimail deleted
    (same size, so only the deletion tells): it is downloaded before it is deleted."""
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(protocol="pop3", kind="number_uidl")
    account = pop3_account(mail_server, user, leave_on_server=False)
    first = fetch(account, user.password, store_state, now=clock)
    assert first.downloaded == 1 and first.deleted == 1

    mail_server.deliver(user, message(2))
    assert len(message(1)) == len(message(2))
    second = fetch(account, user.password, store_state, now=clock)
    assert second.downloaded == 1 and second.deleted == 1
    assert len(stored(store_state)) == 2


def test_uidl_server_writing_status_headers_does_not_download_again(mail_server, state):
    """qpopper keeps its UIDLs but writes status fields: the size changes, the headers
    (less those fields) tell it is the same message."""
    store_state, clock = state
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 3
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    assert fetch(account, user.password, store_state, now=clock).downloaded == 0
    assert len(stored(store_state)) == 3


def test_app_service_on_a_rewriting_server_keeps_one_copy_and_deletes_the_right_one(
    mail_server, make_service
):
    """Through the service the app uses: no UIDL, status fields written after RETR;
    checking again adds nothing, and a message deleted here goes from the server."""
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    service = make_service(mail_server, user, delete_on_server_when_deleted_locally=True)
    try:
        service.start()
        assert service.backend("pop").sync()
        rows = service.source("pop", "INBOX").rows(0, 10)
        assert sorted(r.subject for r in rows) == ["message 0", "message 1", "message 2"]
        service.delete([next(r for r in rows if r.subject == "message 1")])
        assert service.backend("pop").sync()
        left = mail_server.messages(user)
        assert len(left) == 2 and not any(b"Subject: message 1\r\n" in raw for raw in left)
        assert len(service.source("pop", "INBOX").rows(0, 10)) == 2
    finally:
        service.stop()


def test_new_uidl_with_the_headers_of_a_removed_download_but_another_size_is_new(
    mail_server, state
):
    """A valid new UIDL is taken for an earlier download (found by its headers) only
    when the server gives the size that download had: a copy with equal headers and
    another body is downloaded, not deleted unread."""
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, b"first copy\r\n"))
    account = pop3_account(mail_server, user, leave_on_server=False)
    assert fetch(account, user.password, store_state, now=clock).deleted == 1

    mail_server.deliver(user, twin(1, b"second, longer copy\r\n"))
    result = fetch(account, user.password, store_state, now=clock)
    assert result.downloaded == 1 and result.deleted == 1
    assert len(stored(store_state)) == 2


def test_no_uidl_copy_of_a_message_deleted_earlier_is_downloaded(mail_server, state):
    """Without UIDL and leave-on-server: a later copy with equal headers (another body,
    another size) is not taken for the one tuimail deleted from the server."""
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.deliver(user, twin(1, b"first copy\r\n"))
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    account = pop3_account(mail_server, user, leave_on_server=False)
    assert fetch(account, user.password, store_state, now=clock).deleted == 1

    mail_server.deliver(user, twin(1, b"second, longer copy\r\n"))
    result = fetch(account, user.password, store_state, now=clock)
    assert result.downloaded == 1 and result.deleted == 1
    assert len(stored(store_state)) == 2
