"""A garbled update during IDLE (the server's untagged response cannot be read, or reads as
something impossible): the watcher drops the connection and reports a typed failure; its
thread never dies of an exception and the store keeps what it had."""

from __future__ import annotations

import pytest

from tests.hostile.idle_servers import FlagInHeaderAnswer, RefusesChangedSince, watching
from tests.hostile.scripted import Conn, ImapScript
from tests.imap.helpers import tmp_store, until
from tuimail.core.imap.idle import WatchState

pytestmark = pytest.mark.timeout(60)


class _GarbledIdle(ImapScript):
    """A server with IDLE whose update during IDLE is `garbage`; records whether the
    client then closed the connection (rather than sending DONE)."""

    def __init__(self, garbage: bytes, later: bool, serve_on: bool = False) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE] ready\r\n")
        self.garbage = garbage
        self.later = later  # in a packet of its own, else with the "+ idling"
        self.serve_on = serve_on  # after DONE, answer the next commands too
        self.closed_on_garbage = 0
        self.idles = 0

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        extra = b" ENABLE CONDSTORE QRESYNC" if self.serve_on else b""
        conn.send(
            b"* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE" + extra + b"\r\n" + tag + b" OK done\r\n"
        )

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if self.serve_on:  # CONDSTORE: a HIGHESTMODSEQ, and nothing changed since
            conn.send(b"* OK [HIGHESTMODSEQ 5] ok\r\n")
        super().cmd_examine(conn, tag, args)

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"CHANGEDSINCE" in args.upper():
            conn.send(tag + b" OK done\r\n")
        else:
            super().cmd_uid_fetch(conn, tag, args)

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.idles += 1
        if self.later:
            conn.send(b"+ idling\r\n")
            conn.stop.wait(0.05)
            conn.send(self.garbage)
        else:
            conn.send(b"+ idling\r\n" + self.garbage)
        line = conn.readline()
        if line.upper() == b"DONE":  # read as an update: applying it is refused later
            conn.send(tag + b" OK idle done\r\n")
            if self.serve_on:
                return
            line = conn.readline()
        if line == b"":
            self.closed_on_garbage += 1
        conn.hang()


GARBLED = [
    b"* 1 FETCH (UID banana FLAGS (\\Seen))\r\n",  # read by imapclient, refused by tuimail
    b"* 1 FETCH (FLAGS (\\Seen)\r\n",  # unbalanced: imapclient's parser refuses it
    b"* VANISHED 1:x\r\n",
    b"* 4294967296 EXISTS\r\n",
    # nested 5000 deep: imapclient's parser recursed until RecursionError
    b"* 1 FETCH (FLAGS () X " + b"(" * 5000 + b")" * 5000 + b")\r\n",
]


def test_a_garbled_update_during_idle_drops_the_connection(scripted, tmp_path) -> None:
    for n, garbage in enumerate(GARBLED):
        script = _GarbledIdle(garbage, later=bool(n % 2))
        store = tmp_store(tmp_path / str(n))
        with watching(scripted, script, store) as (watcher, recorder):
            folder_watchers = list(watcher._watchers.values())
            event = recorder.wait_for(
                lambda e: isinstance(e, WatchState) and e.state in ("disconnected", "failed"),
                timeout=15,
            )
            assert event.error is not None, garbage  # typed, for the edge to word
            until(lambda s=script: s.closed_on_garbage >= 1)
        assert not any(w.alive for w in folder_watchers), garbage  # ended, not crashed
        assert recorder.states[-1] in ("failed", "stopped"), garbage
        # what was synced before the garbage is still there
        rows = store.message_rows(store.folder_id("work", "INBOX"))
        assert [r.subject for r in rows] == ["hello"], garbage


IMPOSSIBLE = [
    b"* VANISHED 1:4294967295\r\n",
    b"* VANISHED 1\r\n* VANISHED 1\r\n* 2 EXISTS\r\n",
]


def test_more_messages_said_gone_than_the_folder_held_are_not_forgotten(scripted, tmp_path) -> None:
    """Such a VANISHED is not applied as told (a server with CONDSTORE and QRESYNC): the
    folder is synced from the server's state instead (here it still has its one message,
    which is neither forgotten nor announced again as new mail), and push goes on."""
    for n, garbage in enumerate(IMPOSSIBLE):
        script = _GarbledIdle(garbage, later=True, serve_on=True)
        store = tmp_store(tmp_path / str(n))
        with watching(scripted, script, store) as (_watcher, recorder):
            until(lambda s=script: s.idles >= 3)  # synced again, back in IDLE
            assert "failed" not in recorder.states and "disconnected" not in recorder.states
            rows = store.message_rows(store.folder_id("work", "INBOX"))
            assert [r.subject for r in rows] == ["hello"], garbage
            assert recorder.new == ["hello"], garbage  # the first sync's, only


def test_a_server_refusing_changedsince_still_gets_new_mail_pushed(scripted, tmp_path) -> None:
    """The direct path's CHANGEDSINCE is refused although CONDSTORE is advertised: the
    folder is synced in full instead and push goes on (before: the watcher failed)."""
    script = RefusesChangedSince()
    with watching(scripted, script, tmp_store(tmp_path)) as (_watcher, recorder):
        until(lambda: script.idles >= 2)  # applied, back in IDLE
        assert recorder.new == ["hello", "pushed"]
        assert "failed" not in recorder.states and "disconnected" not in recorder.states


def test_a_flag_update_inside_the_new_mail_answer_is_not_lost(scripted, tmp_path) -> None:
    """Without CONDSTORE nothing can ask for it again later: the folder is synced."""
    script = FlagInHeaderAnswer()
    store = tmp_store(tmp_path)
    with watching(scripted, script, store) as (_watcher, recorder):
        until(lambda: script.idles >= 2)
        assert recorder.new == ["hello", "pushed"]
        folder = store.folder_id("work", "INBOX")
        assert store.uid_flags(folder) == {1: "\\Seen", 2: ""}
