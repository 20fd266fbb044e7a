"""A folder deleted by another client while tuimail idles on it goes at once.

Dovecot ends that IDLE with "* BYE IMAP session state is inconsistent, please relogin.",
the bundled server with "* BYE Selected mailbox was deleted"; the next EXAMINE is
refused with [NONEXISTENT]. The watcher reads the folder list again (the folder leaves
the store with its messages), says "gone" and ends; INBOX keeps being watched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.imap.helpers import Recorder, account_for, message, other_client, tmp_store
from tests.service.helpers import runtime_for, wait_for
from tuimail.core.imap.idle import AccountWatcher, WatchState
from tuimail.core.imap.session import connector


def _state(folder: str, state: str):
    return lambda e: isinstance(e, WatchState) and e.folder == folder and e.state == state


def _both_idle():
    """True at the event by which INBOX and Projects have both said "idle"."""
    idle: set[str] = set()

    def seen(event) -> bool:
        if isinstance(event, WatchState) and event.state == "idle":
            idle.add(event.folder)
        return idle == {"INBOX", "Projects"}

    return seen


def _watch(peer, user, tmp_path, folder: str, **options):
    """An AccountWatcher on `folder` (and INBOX), started; the caller stops it."""
    account = account_for(peer, user)
    store = tmp_store(tmp_path)
    watcher = AccountWatcher(
        store, account, connector(account, user.password, timeout=10), backoff_start=0.1, **options
    )
    recorder = Recorder()
    watcher.subscribe(recorder)
    watcher.watch_open_folder(folder)
    watcher.start()
    return watcher, recorder, store


def test_folder_deleted_elsewhere_while_idling_leaves_the_store(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.create_folder("Projects")
    mail_peer.deliver(user, message(1, "in projects"), "Projects")
    mail_peer.deliver(user, message(2, "in inbox"))
    watcher, recorder, store = _watch(mail_peer, user, tmp_path, "Projects")
    try:
        recorder.wait_for(_both_idle(), timeout=20)
        assert store.folder_id("test", "Projects") is not None
        other.delete_folder("Projects")
        recorder.wait_for(_state("Projects", "gone"), timeout=30)
        assert store.folder_id("test", "Projects") is None
        assert store.conn.execute(
            "SELECT count(*) FROM messages WHERE subject = 'in projects 1'"
        ).fetchone() == (0,)
        assert "failed" not in recorder.states
        # INBOX is still watched: new mail there is still pushed.
        mail_peer.deliver(user, message(3, "after"))
        recorder.wait_for(
            lambda e: getattr(e, "messages", None) and e.messages[0].subject == "after 3",
            timeout=20,
        )
    finally:
        watcher.stop()
        other.logout()


def test_folder_renamed_elsewhere_while_idling_goes_at_once_with_its_new_name(
    mail_peer, tmp_path
) -> None:
    """Dovecot tells an IDLE on a renamed folder nothing until the next command, so
    without more the rename waited for the renewal (idle_renew_seconds, 29 min here).
    With NOTIFY (RFC 5465: MailboxName) it says `* LIST () "/" New ("OLDNAME" (Old))`
    at once: the watcher looks again on a fresh connection, the old name leaves the
    store, and "gone" carries the new name. Mail still arrives by IDLE meanwhile (NOTIFY
    keeps the selected folder's events)."""
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    other.create_folder("Old")
    watcher, recorder, store = _watch(mail_peer, user, tmp_path, "Old")
    try:
        recorder.wait_for(_state("Old", "idle"), timeout=20)
        mail_peer.deliver(user, message(1, "while idling"), "Old")
        recorder.wait_for(
            lambda e: getattr(e, "messages", None) and e.messages[0].subject == "while idling 1",
            timeout=20,
        )
        recorder.wait_for(_state("Old", "idle"), timeout=20)  # idling again
        other.rename_folder("Old", "New")
        gone = recorder.wait_for(_state("Old", "gone"), timeout=30)
        assert gone.renamed_to == "New"
        assert store.folder_id("test", "Old") is None
        assert store.folder_id("test", "New") is not None
        assert "failed" not in recorder.states
    finally:
        watcher.stop()
        other.logout()


def test_without_notify_a_rename_is_found_by_the_folder_check(mail_server, tmp_path) -> None:
    """A server without NOTIFY: the IDLE on a folder other than INBOX is renewed every
    folder_check_seconds with a LIST of that folder (not at idle_renew_seconds): a folder
    no longer listed is looked at again and reported gone (no new name: none was told)."""
    mail_server.faults.add(protocol="imap", kind="no_capability", data=b"NOTIFY")
    user = mail_server.new_user()
    other = other_client(mail_server, user)
    other.create_folder("Old")
    watcher, recorder, store = _watch(mail_server, user, tmp_path, "Old", folder_check_seconds=0.5)
    try:
        recorder.wait_for(_state("Old", "idle"), timeout=20)
        other.rename_folder("Old", "New")
        gone = recorder.wait_for(_state("Old", "gone"), timeout=30)
        assert gone.renamed_to is None
        assert store.folder_id("test", "Old") is None
        assert store.folder_id("test", "New") is not None
    finally:
        watcher.stop()
        other.logout()


@contextmanager
def _runtime_and_projects(server, tmp_path) -> Iterator[tuple]:
    """A new user's account runtime on `server`, IDLE on and started, and another client
    that made the folder Projects; yields (runtime, recorder, other), closes both after."""
    user = server.new_user()
    other = other_client(server, user)
    other.create_folder("Projects")
    runtime, recorder = runtime_for(server, user, tmp_path, idle=True)
    try:
        assert runtime.start()
        yield runtime, recorder, other
    finally:
        runtime.close()
        other.logout()


def test_the_account_runtime_tells_the_ui_when_the_open_folder_is_gone(mail_server, tmp_path):
    """The runtime turns the watcher's "gone" into a folder-list and a list event (the
    app then shows INBOX and says the folder is no longer on the server)."""
    with _runtime_and_projects(mail_server, tmp_path) as (runtime, recorder, other):
        runtime.watch_folder("Projects")
        assert wait_for(lambda: runtime.store.folder_id("test", "Projects") is not None)
        watched = runtime._watcher._watchers
        assert wait_for(lambda: "Projects" in watched and watched["Projects"].alive)
        before = len(recorder.events)
        other.delete_folder("Projects")
        assert wait_for(lambda: runtime.store.folder_id("test", "Projects") is None)
        assert wait_for(
            lambda: any(
                e.kind == "messages" and e.folder == "Projects" for e in recorder.events[before:]
            )
        )
        assert "folders" in [e.kind for e in recorder.events[before:]]


def test_the_account_runtime_tells_the_ui_the_new_name_of_a_renamed_open_folder(
    mail_server, tmp_path
):
    """A rename told by the server (NOTIFY) reaches the UI as a "folders" event naming
    the old folder and its new name (the app then shows the folder under it)."""
    with _runtime_and_projects(mail_server, tmp_path) as (runtime, recorder, other):
        states = Recorder()
        runtime._watcher.subscribe(states)
        runtime.watch_folder("Projects")
        states.wait_for(_state("Projects", "idle"), timeout=20)
        before = len(recorder.events)
        other.rename_folder("Projects", "Done")
        assert wait_for(
            lambda: any(
                (e.kind, e.folder, e.renamed_to) == ("folders", "Projects", "Done")
                for e in recorder.events[before:]
            )
        )
        assert runtime.store.folder_id("test", "Done") is not None


def test_a_notice_that_lies_about_a_rename_removes_nothing(mail_server, tmp_path) -> None:
    """A server that says at every IDLE that the watched folder was renamed, while it
    is still there: the notice only makes the watcher look again on a fresh connection
    (again and again, with growing waits); the folder stays, and its mail still comes."""
    lie = b'* LIST () "/" Elsewhere ("OLDNAME" (Old))'
    mail_server.faults.add(protocol="imap", kind="idle_says", match="Old", data=lie)
    user = mail_server.new_user()
    other = other_client(mail_server, user)
    other.create_folder("Old")
    watcher, recorder, store = _watch(mail_server, user, tmp_path, "Old")
    try:
        for _ in range(3):  # told, looked again, idling again: three times
            recorder.wait_for(_state("Old", "idle"), timeout=20)
        mail_server.deliver(user, message(1, "still here"), "Old")
        recorder.wait_for(
            lambda e: getattr(e, "messages", None) and e.messages[0].subject == "still here 1",
            timeout=30,
        )
        assert "gone" not in recorder.states and "failed" not in recorder.states
        assert store.folder_id("test", "Old") is not None
    finally:
        watcher.stop()
        other.logout()
