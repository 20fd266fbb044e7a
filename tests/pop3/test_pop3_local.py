"""POP3 accounts in the service: local folders, local read/flag/move/delete with undo,
and `delete_on_server_when_deleted_locally` (only what the user deleted, never more)."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import message, subjects_on_server, user_with
from tuimail.core.service import MailService
from tuimail.core.store import Store


def rows(service: MailService, folder: str):
    return service.source("pop", folder).rows(0, 1000)


def subjects(service: MailService, folder: str) -> set[str]:
    return {r.subject for r in rows(service, folder)}


def row(service: MailService, folder: str, subject: str):
    (found,) = [r for r in rows(service, folder) if r.subject == subject]
    return found


def sync(service: MailService) -> None:
    assert service.backend("pop").sync(), service.errors


def test_deleted_locally_is_deleted_on_the_server_and_nothing_else(mail_peer, make_service):
    user = user_with(mail_peer, 4)
    service = make_service(mail_peer, user, delete_on_server_when_deleted_locally=True)
    service.start()
    assert subjects(service, "INBOX") == {f"message {n}" for n in range(4)}

    # A delete goes to the local Trash (undoable) and counts as deleted locally.
    service.delete([row(service, "INBOX", "message 1")])
    assert subjects(service, "Trash") == {"message 1"}
    # Deleted and undone before the next pass: stays on the server.
    service.delete([row(service, "INBOX", "message 2")])
    service.undo()
    assert "message 2" in subjects(service, "INBOX")
    # Deleted for good (from Trash): also deleted on the server.
    service.delete([row(service, "INBOX", "message 3")])
    service.delete([row(service, "Trash", "message 3")])
    assert subjects(service, "Trash") == {"message 1"}

    sync(service)
    assert subjects_on_server(mail_peer, user) == {"message 0", "message 2"}
    sync(service)  # nothing more, and nothing downloaded again
    assert subjects_on_server(mail_peer, user) == {"message 0", "message 2"}
    assert subjects(service, "INBOX") == {"message 0", "message 2"}
    assert subjects(service, "Trash") == {"message 1"}
    assert not service.errors


def test_moved_out_of_trash_is_not_deleted_on_the_server(mail_server, make_service):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    service = make_service(mail_server, user, delete_on_server_when_deleted_locally=True)
    service.start()
    service.delete([row(service, "INBOX", "message 1")])
    service.move([row(service, "Trash", "message 1")], "INBOX")  # changed my mind
    sync(service)
    assert subjects_on_server(mail_server, user) == {"message 1"}
    assert subjects(service, "INBOX") == {"message 1"}


def test_without_the_option_nothing_is_deleted_on_the_server(mail_peer, make_service):
    user = user_with(mail_peer, 3)
    service = make_service(mail_peer, user)  # delete_on_server_when_deleted_locally=False
    service.start()
    service.delete([row(service, "INBOX", "message 0")])
    service.delete([row(service, "Trash", "message 0")])
    service.delete([row(service, "INBOX", "message 1")])
    sync(service)
    sync(service)
    assert subjects_on_server(mail_peer, user) == {"message 0", "message 1", "message 2"}
    # Deleted locally stays deleted: it is not downloaded again.
    assert subjects(service, "INBOX") == {"message 2"}
    assert subjects(service, "Trash") == {"message 1"}
    assert not service.errors


def test_local_folders_move_flag_read_delete_undo(mail_server, make_service):
    user = user_with(mail_server, 2)
    service = make_service(mail_server, user)
    service.start()

    service.create_folder("pop", "Projects")
    assert "Projects" in service.folder_names("pop")
    assert service.store.folder(("pop", "Projects")).local  # no server counterpart
    service.move([row(service, "INBOX", "message 0")], "Projects")
    assert subjects(service, "Projects") == {"message 0"}
    assert subjects(service, "INBOX") == {"message 1"}

    moved = row(service, "Projects", "message 0")
    service.set_flagged([moved], True)
    view = service.read(moved)
    assert any("Body of message 0." in block.text for block in view.blocks)
    moved = row(service, "Projects", "message 0")
    assert moved.flagged and moved.seen
    service.set_flagged([moved], False)
    assert not row(service, "Projects", "message 0").flagged

    service.delete([moved])
    assert "message 0" in subjects(service, "Trash")
    assert not subjects(service, "Projects")
    service.undo()
    assert subjects(service, "Projects") == {"message 0"}
    assert row(service, "Projects", "message 0").seen  # the flags came back with it

    # The moved message is still known by its UIDL: the next pass brings nothing.
    sync(service)
    assert subjects(service, "INBOX") == {"message 1"}
    assert subjects(service, "Projects") == {"message 0"}
    assert len(mail_server.messages(user)) == 2
    # No server was asked to do any of it, and nothing waits for one.
    assert not service.store.actions("pop")
    assert not service.errors


def test_deleting_a_local_folder_counts_as_deleting_its_messages(mail_server, make_service):
    user = user_with(mail_server, 2)
    service = make_service(mail_server, user, delete_on_server_when_deleted_locally=True)
    service.start()
    service.create_folder("pop", "Old")
    service.move([row(service, "INBOX", "message 0")], "Old")
    service.delete_folder("pop", "Old")
    sync(service)
    assert subjects_on_server(mail_server, user) == {"message 1"}
    assert subjects(service, "INBOX") == {"message 1"}


def test_a_reused_row_id_never_makes_another_key_deleted(tmp_path):
    """SQLite reuses the id of the last row once it is gone: a key whose message vanished
    without the user deleting it must not inherit the fate of the new row."""
    from tuimail.core.pop3_state import StorePop3State

    store = Store(tmp_path / "store.sqlite3")
    state = StorePop3State(store)
    state.commit("pop", "u:first", "first", message(1))
    (first,) = state.store.message_rows(state.inbox("pop"), 0, 10, sort="uid")
    store.remove_messages([first.id])  # gone, but not by a user's delete
    state.commit("pop", "u:second", "second", message(2))
    (second,) = state.store.message_rows(state.inbox("pop"), 0, 10, sort="uid")
    assert second.id == first.id  # the id was reused
    store.move_messages([second.id], store.folder_id("pop", "Trash"))
    known = state.known("pop")
    assert known["u:second"].deleted_locally
    assert not known["u:first"].deleted_locally
    assert state.deleted_locally("pop") == {second.id}


def test_inbox_and_trash_of_a_pop3_account_are_never_deleted(mail_server, make_service):
    """Deleting INBOX used to mark every message in it deleted locally, so the next
    pass deleted them all from the server."""
    from tuimail.core.service import ServiceError

    user = user_with(mail_server, 3)
    service = make_service(mail_server, user, delete_on_server_when_deleted_locally=True)
    service.start()
    for folder in ("INBOX", "Trash"):
        assert not service.can_delete_folder("pop", folder)
        with pytest.raises(ServiceError) as refused:
            service.delete_folder("pop", folder)
        assert (refused.value.reason, refused.value.data) == ("folder-kept", {"name": folder})
    sync(service)
    assert subjects_on_server(mail_server, user) == {f"message {n}" for n in range(3)}
    assert subjects(service, "INBOX") == {f"message {n}" for n in range(3)}
