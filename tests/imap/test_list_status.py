"""LIST-STATUS (RFC 5819) over real sockets: a pass asks one LIST for the folders, their
subscriptions and their counters, instead of LSUB and a STATUS (or EXAMINE) per folder,
and ends with the same store as the LIST + LSUB + STATUS/EXAMINE it replaces."""

from __future__ import annotations

from tests.imap.helpers import (
    CommandLog,
    account_for,
    assert_cache_matches_server,
    message,
    other_client,
    tmp_store,
)
from testserver.server import MailServer
from tuimail.core.imap.session import connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store


def logged_engine(peer, user, store: Store, *, list_status: bool = True):
    account = account_for(peer, user)
    log = CommandLog(connector(account, user.password, timeout=10))
    engine = SyncEngine(store, account, log)
    if not list_status:
        engine._list_status_refused = True  # as after a server refused it: LIST + LSUB
    return engine, log


def folder_rows(store: Store) -> dict[str, tuple]:
    """What a pass stores of each folder (synced_at only as set or not)."""
    rows = store.conn.execute(
        "SELECT name, subscribed, role, selectable, uidvalidity, uidnext, highestmodseq, "
        "server_total, synced_at IS NOT NULL FROM folders"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_pass_lists_once_and_opens_only_folders_with_mail(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in range(1, 4):
        other.append("INBOX", message(i), flags=[b"\\Seen"] if i == 1 else [])
    other.append("Archive", message(9))
    other.create_folder("Empty")
    other.unsubscribe_folder("Empty")
    other.subscribe_folder("Archive")
    engine, log = logged_engine(mail_peer, user, tmp_store(tmp_path / "a"))
    assert "LIST-STATUS" in engine.capabilities

    first = engine.sync()
    sent = log.since(0)
    assert first.failures == [] and first.new == 4
    assert sent.count("LIST") == 1 and "LSUB" not in sent and "STATUS" not in sent, sent
    assert sent.count("EXAMINE") == 2, sent  # INBOX and Archive: the others are empty

    # The same store as the LIST + LSUB + EXAMINE of every folder gives.
    before, before_log = logged_engine(
        mail_peer, user, tmp_store(tmp_path / "b"), list_status=False
    )
    before.sync()
    assert "LSUB" in before_log.since(0)
    assert folder_rows(engine.store) == folder_rows(before.store)
    for folder in ("INBOX", "Archive"):
        assert_cache_matches_server(engine.store, other, folder)

    mark = len(log.names)
    again = engine.sync()
    sent = log.since(mark)
    assert (again.new, again.changed, again.removed, again.failures) == (0, 0, 0, [])
    assert all(f.skipped for f in again.folders), again.folders
    assert sent.count("LIST") == 1, sent
    assert not {"LSUB", "STATUS", "EXAMINE", "SELECT"} & set(sent), sent
    before.sync()
    assert folder_rows(engine.store) == folder_rows(before.store)
    engine.close()
    before.close()
    other.logout()


def test_new_mail_and_a_flag_change_in_one_folder_are_found(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", message(1))
    other.append("Archive", message(2))
    engine, log = logged_engine(mail_peer, user, tmp_store(tmp_path))
    engine.sync()  # (the connection now has a folder selected: its STATUS must be fresh)

    other.append("Trash", message(3))
    other.select_folder("Archive")
    other.add_flags(other.search(["ALL"]), [b"\\Flagged"])
    mark = len(log.names)
    result = engine.sync()
    sent = log.since(mark)
    assert result.failures == [] and result.new == 1 and result.changed == 1
    assert sent.count("EXAMINE") == 2 and "STATUS" not in sent, sent  # Trash, Archive
    for folder in ("INBOX", "Archive", "Trash"):
        assert_cache_matches_server(engine.store, other, folder)
    engine.close()
    other.logout()


def test_without_list_status_the_pass_is_list_lsub_and_status(test_ca, tmp_path) -> None:
    with MailServer(
        ca=test_ca, protocols=("imap",), options={"imap": {"disable": ("LIST-STATUS",)}}
    ) as server:
        user = server.new_user()
        server.deliver(user, message(1))
        engine, log = logged_engine(server, user, tmp_store(tmp_path))
        assert "LIST-STATUS" not in engine.capabilities
        first = engine.sync()
        folders = len(first.folders)
        sent = log.since(0)
        assert first.new == 1 and "LSUB" in sent and sent.count("EXAMINE") == folders, sent
        mark = len(log.names)
        again = engine.sync()
        sent = log.since(mark)
        assert again.failures == [] and all(f.skipped for f in again.folders)
        assert "LSUB" in sent and sent.count("STATUS") == folders, sent
        engine.close()


def test_the_folder_left_selected_is_not_taken_as_unchanged(mail_peer, tmp_path) -> None:
    """Dovecot answers STATUS (and LIST-STATUS) of the folder a connection has selected as
    that connection last saw it: a pass of INBOX alone left it selected, and the next
    pass's STATUS said nothing had changed while new mail had come."""
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.append("INBOX", message(1))
    for list_status in (True, False):
        store = tmp_store(tmp_path / str(list_status))
        engine, _log = logged_engine(mail_peer, user, store, list_status=list_status)
        engine.sync(["INBOX"])
        other.append("INBOX", message(2 if list_status else 3))
        result = engine.sync(["INBOX"])
        assert result.new == 1, (list_status, result.folders)
        assert_cache_matches_server(store, other, "INBOX")
        engine.close()
    other.logout()
