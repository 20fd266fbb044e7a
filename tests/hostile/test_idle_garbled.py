"""A garbled update during IDLE (the server's untagged response cannot be read, or reads as
something impossible): the watcher drops the connection and reports a typed failure; its
thread never dies of an exception and the store keeps what it had."""

from __future__ import annotations

import time

import pytest

from tests.hostile.scripted import Conn, ImapScript, imap_fetch_line
from tests.imap.helpers import Recorder, tmp_store
from tuimail.core.imap.idle import AccountWatcher, WatchState
from tuimail.core.imap.session import connector

pytestmark = pytest.mark.timeout(60)


def _until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


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
]


def test_a_garbled_update_during_idle_drops_the_connection(scripted, tmp_path) -> None:
    for n, garbage in enumerate(GARBLED):
        script = _GarbledIdle(garbage, later=bool(n % 2))
        with scripted(script) as server:
            store = tmp_store(tmp_path / str(n))
            watcher, recorder = _scripted_watcher(server, store)
            watcher.start()
            folder_watchers = list(watcher._watchers.values())
            try:
                event = recorder.wait_for(
                    lambda e: isinstance(e, WatchState) and e.state in ("disconnected", "failed"),
                    timeout=15,
                )
                assert event.error is not None, garbage  # typed, for the edge to word
                _until(lambda s=script: s.closed_on_garbage >= 1)
            finally:
                watcher.stop()
            assert not any(w.alive for w in folder_watchers), garbage  # ended, not crashed
            assert recorder.states[-1] in ("failed", "stopped"), garbage
            # what was synced before the garbage is still there
            assert [r.subject for r in store.message_rows(store.folder_id("work", "INBOX"))] == [
                "hello"
            ], garbage


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
        with scripted(script) as server:
            store = tmp_store(tmp_path / str(n))
            watcher, recorder = _scripted_watcher(server, store)
            watcher.start()
            try:
                _until(lambda s=script: s.idles >= 3)  # synced again, back in IDLE
                assert "failed" not in recorder.states and "disconnected" not in recorder.states
                rows = store.message_rows(store.folder_id("work", "INBOX"))
                assert [r.subject for r in rows] == ["hello"], garbage
                assert recorder.new == ["hello"], garbage  # the first sync's, only
            finally:
                watcher.stop()


def _scripted_watcher(server, store):
    from tuimail.core.account import Account, ServerSettings

    here = ServerSettings(host=server.host, port=server.port, security="tls")
    account = Account(
        name="work",
        email="bob@example.test",
        username="bob",
        incoming=here,
        outgoing=here,
        ca_file=server.ca_file,
    )
    watcher = AccountWatcher(
        store, account, connector(account, "pw", timeout=5), backoff_start=5, backoff_max=5
    )
    recorder = Recorder()
    watcher.subscribe(recorder)
    return watcher, recorder


class _RefusesChangedSince(ImapScript):
    """Advertises CONDSTORE and QRESYNC but answers BAD to CHANGEDSINCE; during the first
    IDLE a second message arrives (`* 2 EXISTS`)."""

    def __init__(self) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE] ready\r\n")
        self.uids = [1]
        self.idles = 0

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        caps = b"IMAP4rev1 AUTH=PLAIN IDLE ENABLE CONDSTORE QRESYNC"
        conn.send(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n")

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            f"* {len(self.uids)} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
            f"* OK [UIDNEXT {self.uids[-1] + 1}] ok\r\n* OK [HIGHESTMODSEQ 5] ok\r\n"
            "* FLAGS (\\Seen)\r\n".encode()
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    def cmd_uid_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        found = " ".join(str(u) for u in self.uids)
        conn.send(f"* SEARCH {found}\r\n".encode() + tag + b" OK done\r\n")

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"CHANGEDSINCE" in args.upper():
            conn.send(tag + b" BAD CHANGEDSINCE is not supported here\r\n")
            return
        first, _, last = args.split(b" ", 1)[0].partition(b":")
        low = int(first)
        high = self.uids[-1] if last == b"*" else int(last or first)
        wanted = [u for u in self.uids if low <= u <= high] or self.uids[-1:]
        lines = b""
        for seq, uid in enumerate(self.uids, 1):
            if uid not in wanted:
                continue
            if b"BODY.PEEK[HEADER" in args:
                lines += imap_fetch_line(seq, uid, b"hello" if uid == 1 else b"pushed")
            else:
                lines += f"* {seq} FETCH (UID {uid} FLAGS ())\r\n".encode()
        conn.send(lines + tag + b" OK done\r\n")

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.idles += 1
        conn.send(b"+ idling\r\n")
        if self.idles == 1:
            conn.stop.wait(0.2)
            self.uids.append(2)
            conn.send(b"* 2 EXISTS\r\n")
        if conn.readline().upper() == b"DONE":
            conn.send(tag + b" OK idle done\r\n")


def test_a_server_refusing_changedsince_still_gets_new_mail_pushed(scripted, tmp_path) -> None:
    """The direct path's CHANGEDSINCE is refused although CONDSTORE is advertised: the
    folder is synced in full instead and push goes on (before: the watcher failed)."""
    script = _RefusesChangedSince()
    with scripted(script) as server:
        store = tmp_store(tmp_path)
        watcher, recorder = _scripted_watcher(server, store)
        watcher.start()
        try:
            _until(lambda: script.idles >= 2)  # applied, back in IDLE
            assert recorder.new == ["hello", "pushed"]
            assert "failed" not in recorder.states and "disconnected" not in recorder.states
        finally:
            watcher.stop()


class _FlagInHeaderAnswer(_RefusesChangedSince):
    """No CONDSTORE; during the first IDLE a second message arrives, and the answer to the
    header fetch for it also says message 1 is now \\Seen (another client read it)."""

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n" + tag + b" OK done\r\n")

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if len(self.uids) > 1 and b"BODY.PEEK[HEADER" in args:
            self.seen = True
            conn.send(b"* 1 FETCH (FLAGS (\\Seen))\r\n" + imap_fetch_line(2, 2, b"pushed"))
            conn.send(tag + b" OK done\r\n")
        elif getattr(self, "seen", False) and b"BODY" not in args:
            conn.send(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\n")
            conn.send(tag + b" OK done\r\n")
        else:
            super().cmd_uid_fetch(conn, tag, args)


def test_a_flag_update_inside_the_new_mail_answer_is_not_lost(scripted, tmp_path) -> None:
    """Without CONDSTORE nothing can ask for it again later: the folder is synced."""
    script = _FlagInHeaderAnswer()
    with scripted(script) as server:
        store = tmp_store(tmp_path)
        watcher, recorder = _scripted_watcher(server, store)
        watcher.start()
        try:
            _until(lambda: script.idles >= 2)
            assert recorder.new == ["hello", "pushed"]
            folder = store.folder_id("work", "INBOX")
            assert store.uid_flags(folder) == {1: "\\Seen", 2: ""}
        finally:
            watcher.stop()
