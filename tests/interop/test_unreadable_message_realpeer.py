"""One message file Dovecot cannot read (mode 000: Dovecot reads mail as its own user,
not root) does not stop the folder: Dovecot 2.3 answers the header FETCH with the
messages before it, `* 3 FETCH (UID 3 FLAGS (..) INTERNALDATE ".." RFC822.SIZE 160)`
(no header), then `* BYE FETCH failed: Internal error occurred. Refer to server log for
more information. [date]` and closes the connection (a body FETCH: `* 3 FETCH (UID 3)`,
then the same BYE). Every other message is synced, the bad one is reported by its UID,
and the next sync asks for it again without downloading the others again."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.cli.helpers import configure
from tests.fixtures.realpeer_maildir import _uid_order
from tests.imap.helpers import message
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_FAILURE

pytestmark = pytest.mark.interop


def _message_file(peer, user, uid: int):
    path = peer.folder_path(user)
    order = _uid_order(path)
    for sub in ("cur", "new"):
        for file in (path / sub).iterdir():
            if order.get(file.name.split(":")[0]) == uid:
                return file
    raise AssertionError(f"no file for UID {uid}")


def _user_with(peer, count: int):
    """A new user whose INBOX holds messages 1..count ("note i i")."""
    user = peer.new_user()
    for i in range(1, count + 1):
        peer.deliver(user, message(i, f"note {i}"))
    return user


@contextmanager
def _unreadable(peer, user, uid: int) -> Iterator[None]:
    """The message file of `uid` unreadable to Dovecot (mode 000) within the block."""
    bad = _message_file(peer, user, uid)
    os.chmod(bad, 0)
    try:
        yield
    finally:
        os.chmod(bad, 0o600)


def _sync(capsys) -> tuple[int, dict]:
    """`tuimail sync --json` of the one account: (exit status, its object)."""
    capsys.readouterr()
    code = main(["sync", "--json"])
    out = json.loads(capsys.readouterr().out)
    [account] = out if isinstance(out, list) else [out]
    return code, account


def _listed(capsys) -> list[str]:
    capsys.readouterr()
    assert main(["list", "--json", "--limit", "50"]) == 0
    return sorted(m["subject"] for m in json.loads(capsys.readouterr().out))


@pytest.mark.parametrize("bodies", [False, True], ids=["headers", "with-bodies"])
def test_one_unreadable_message_file_leaves_the_others_synced(
    dovecot_peer, capsys, bodies: bool
) -> None:
    user = _user_with(dovecot_peer, 7)
    configure(dovecot_peer, user, download_bodies=bodies)
    with _unreadable(dovecot_peer, user, 3):
        code, account = _sync(capsys)
        assert account["new"] == 6
        [failure] = account["failures"]
        assert failure["folder"] == "INBOX" and failure["reason"] == "unreadable-messages"
        assert failure["uids"] == [3] and failure["kind"] == "refused"
        assert "Internal error occurred" in failure["server_text"]
        assert account["errors"] == [
            "INBOX: 1 message could not be read from the server (UID 3): the server said "
            + failure["server_text"]
            + "; the next sync asks for it again"
        ]
        assert code != 0
        assert len(_listed(capsys)) == 6

        # Still unreadable: asked for again, the others are not fetched again.
        code, account = _sync(capsys)
        assert account["new"] == 0 and account["failures"][0]["uids"] == [3]
    code, account = _sync(capsys)
    assert code == 0 and account["new"] == 1 and account["failures"] == []
    assert len(_listed(capsys)) == 7


def test_opening_a_message_dovecot_cannot_read_says_so(dovecot_peer, capsys) -> None:
    """The body FETCH of a message file Dovecot cannot read (synced while it could):
    `* 2 FETCH (UID 2)`, then BYE. Tried once more on a fresh connection, then said as
    that message's problem with Dovecot's words, not as a lost connection."""
    user = _user_with(dovecot_peer, 3)
    configure(dovecot_peer, user)
    assert main(["sync"]) == 0
    with _unreadable(dovecot_peer, user, 2):
        capsys.readouterr()
        assert main(["read", "2"]) == EXIT_FAILURE
        err = capsys.readouterr().err
        assert err.startswith(
            "tuimail: 1 message could not be read from the server (UID 2): FETCH failed: "
            "Internal error occurred."
        ), err
        assert main(["read", "3"]) == 0
    assert main(["read", "2"]) == 0


def test_bodies_download_around_a_message_dovecot_cannot_read(dovecot_peer, capsys) -> None:
    """Headers synced while the file could be read, then bodies downloaded (the offline
    setting) after it became unreadable: Dovecot's BYE on the chunk's body FETCH; the
    other bodies are downloaded one by one, the bad one is reported and asked again."""
    from tuimail.core.store import Store

    user = _user_with(dovecot_peer, 5)
    configure(dovecot_peer, user)
    assert main(["sync"]) == 0
    with _unreadable(dovecot_peer, user, 2):
        configure(dovecot_peer, user, download_bodies=True)
        dovecot_peer.deliver(user, message(6, "note 6"))  # (an unchanged folder is skipped)
        code, account = _sync(capsys)
        assert [f["uids"] for f in account["failures"]] == [[2]]
        store = Store()
        folder = store.folder_id("work", "INBOX")
        cached = {uid for uid in store.uids(folder) if store.body(_id(store, folder, uid))}
        assert cached == {1, 3, 4, 5, 6}
    code, account = _sync(capsys)
    assert code == 0 and account["failures"] == []
    assert Store().body(_id(Store(), folder, 2)) is not None


def _id(store, folder: int, uid: int) -> int:
    return store.message_by_uid(folder, uid).id


def test_idle_goes_on_past_the_newest_message_dovecot_cannot_read(dovecot_peer, tmp_path) -> None:
    """IDLE on INBOX whose newest message Dovecot cannot read: the catch-up stores the
    others, IDLE then leaves that one out (asking `3:*` named it again: BYE, a reconnect
    on every change), and new mail still arrives by push on the same connection."""
    from tests.imap.helpers import Recorder, account_for, is_idle, tmp_store
    from tuimail.core.imap.idle import AccountWatcher, NewMail
    from tuimail.core.imap.session import connector

    user = _user_with(dovecot_peer, 3)
    bad = _message_file(dovecot_peer, user, 3)
    os.chmod(bad, 0)
    account = account_for(dovecot_peer, user)
    store = tmp_store(tmp_path)
    watcher = AccountWatcher(
        store, account, connector(account, user.password, timeout=10), backoff_start=0.1
    )
    recorder = Recorder()
    watcher.subscribe(recorder)
    watcher.start()
    try:
        recorder.wait_for(is_idle, timeout=20)
        assert sorted(recorder.new) == ["note 1 1", "note 2 2"]
        dovecot_peer.deliver(user, message(4, "note 4"))
        event = recorder.wait_for(lambda e: isinstance(e, NewMail) and e.messages, timeout=20)
        assert [r.subject for r in event.messages] == ["note 4 4"]
        assert "disconnected" not in recorder.states, recorder.states
    finally:
        watcher.stop()
        os.chmod(bad, 0o600)
