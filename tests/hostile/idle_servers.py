"""Scripted IMAP servers with IDLE for the watcher and runtime tests: an INBOX that can
grow during IDLE (`GrowingInbox`), and IDLE answers that break the protocol (once, or
every time)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.hostile.scripted import Conn, ImapScript, account_on, imap_fetch_line
from tests.imap.helpers import Recorder
from tuimail.core.imap.idle import AccountWatcher
from tuimail.core.imap.session import connector

GARBAGE = b"+ idling\r\n* FOO (((\r\n"  # not IMAP: a protocol violation during IDLE
IDLE_CAPS = b"IMAP4rev1 AUTH=PLAIN IDLE"


@contextmanager
def watching(
    scripted, script: ImapScript, store, *, timeout: float = 5, backoff: float = 5
) -> Iterator[tuple[AccountWatcher, Recorder]]:
    """A started watcher (account `work`, read `timeout`, a fixed back-off of `backoff`
    seconds) on a scripted server playing `script`, its events in the Recorder; stopped
    (and the server with it) on leaving."""
    with scripted(script) as server:
        account = account_on(server)
        watcher = AccountWatcher(
            store,
            account,
            connector(account, "pw", timeout=timeout),
            backoff_start=backoff,
            backoff_max=backoff,
        )
        recorder = Recorder()
        watcher.subscribe(recorder)
        watcher.start()
        try:
            yield watcher, recorder
        finally:
            watcher.stop()


class GrowingInbox(ImapScript):
    """INBOX holding the UIDs in `uids` (1 is "hello", any other "pushed"), UIDVALIDITY 7;
    a subclass's IDLE appends to `uids` and says `* n EXISTS`. `capabilities` are the ones
    announced; with `modseq` EXAMINE also says HIGHESTMODSEQ. `idles` counts IDLE commands
    (under `lock`)."""

    def __init__(self, capabilities: bytes = IDLE_CAPS, modseq: int | None = None) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY " + IDLE_CAPS + b"] ready\r\n")
        self.capabilities = capabilities
        self.modseq = modseq
        self.uids = [1]
        self.idles = 0
        self.lock = threading.Lock()

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY " + self.capabilities + b"\r\n" + tag + b" OK done\r\n")

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        modseq = f"* OK [HIGHESTMODSEQ {self.modseq}] ok\r\n" if self.modseq else ""
        conn.send(
            f"* {len(self.uids)} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
            f"* OK [UIDNEXT {self.uids[-1] + 1}] ok\r\n{modseq}* FLAGS (\\Seen)\r\n".encode()
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    cmd_select = cmd_examine

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        name = args.split(b" ")[0]
        conn.send(
            f"* STATUS {name.decode()} (MESSAGES {len(self.uids)} UIDNEXT {self.uids[-1] + 1}"
            " UIDVALIDITY 7)\r\n".encode()
            + tag
            + b" OK done\r\n"
        )

    def cmd_uid_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        found = " ".join(str(u) for u in self.uids)
        conn.send(f"* SEARCH {found}\r\n".encode() + tag + b" OK done\r\n")

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
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

    def idle(self, conn: Conn, tag: bytes, push_after: float | None) -> None:
        """Answer an IDLE: `+ idling`; with `push_after`, that many seconds later a new
        message ("pushed", the next UID) and `* n EXISTS`; then OK to DONE."""
        conn.send(b"+ idling\r\n")
        if push_after is not None:
            conn.stop.wait(push_after)
            self.uids.append(self.uids[-1] + 1)
            conn.send(f"* {len(self.uids)} EXISTS\r\n".encode())
        if conn.readline().upper() == b"DONE":
            conn.send(tag + b" OK idle done\r\n")

    def count_idle(self) -> int:
        """Count an IDLE command; returns its number (1-based)."""
        with self.lock:
            self.idles += 1
            return self.idles


class MailboxDuringIdle(GrowingInbox):
    """INBOX with message 1 ("hello"). IDLE number n (1-based) is answered with garbage
    while n <= `violations` (None: always); the first IDLE after those delivers message 2
    ("pushed") with `* 2 EXISTS`. `idles` counts IDLE commands, `logins` LOGINs."""

    def __init__(self, violations: int | None) -> None:
        super().__init__()
        self.violations = violations
        self.logins = 0

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        with self.lock:
            self.logins += 1
        super().cmd_login(conn, tag, args)

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        n = self.count_idle()
        if self.violations is None or n <= self.violations:
            conn.send(GARBAGE)
            while conn.readline():  # until the client drops the connection
                pass
            return
        self.idle(conn, tag, 0.1 if n == (self.violations or 0) + 1 else None)


class RefusesChangedSince(GrowingInbox):
    """Advertises CONDSTORE and QRESYNC but answers BAD to CHANGEDSINCE; during the first
    IDLE a second message arrives (`* 2 EXISTS`)."""

    def __init__(self, capabilities: bytes = IDLE_CAPS + b" ENABLE CONDSTORE QRESYNC") -> None:
        super().__init__(capabilities, modseq=5)

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"CHANGEDSINCE" in args.upper():
            conn.send(tag + b" BAD CHANGEDSINCE is not supported here\r\n")
            return
        super().cmd_uid_fetch(conn, tag, args)

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.idle(conn, tag, 0.2 if self.count_idle() == 1 else None)


class FlagInHeaderAnswer(RefusesChangedSince):
    """No CONDSTORE; during the first IDLE a second message arrives, and the answer to the
    header fetch for it also says message 1 is now \\Seen (another client read it)."""

    def __init__(self) -> None:
        super().__init__(IDLE_CAPS)
        self.seen = False

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if len(self.uids) > 1 and b"BODY.PEEK[HEADER" in args:
            self.seen = True
            conn.send(b"* 1 FETCH (FLAGS (\\Seen))\r\n" + imap_fetch_line(2, 2, b"pushed"))
            conn.send(tag + b" OK done\r\n")
        elif self.seen and b"BODY" not in args:
            conn.send(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\n")
            conn.send(tag + b" OK done\r\n")
        else:
            super().cmd_uid_fetch(conn, tag, args)
