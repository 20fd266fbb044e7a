"""Scripted IMAP servers with IDLE for the runtime tests: a mailbox that can grow during
IDLE, and IDLE answers that break the protocol (once, or every time)."""

from __future__ import annotations

import threading

from tests.hostile.scripted import Conn, ImapScript, imap_fetch_line

GARBAGE = b"+ idling\r\n* FOO (((\r\n"  # not IMAP: a protocol violation during IDLE


class MailboxDuringIdle(ImapScript):
    """INBOX with message 1 ("hello"). IDLE number n (1-based) is answered with garbage
    while n <= `violations` (None: always); the first IDLE after those delivers message 2
    ("pushed") with `* 2 EXISTS`. `idles` counts IDLE commands, `logins` LOGINs."""

    def __init__(self, violations: int | None) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE] ready\r\n")
        self.violations = violations
        self.uids = [1]
        self.idles = 0
        self.logins = 0
        self.lock = threading.Lock()

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n" + tag + b" OK done\r\n")

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        with self.lock:
            self.logins += 1
        super().cmd_login(conn, tag, args)

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            f"* {len(self.uids)} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
            f"* OK [UIDNEXT {self.uids[-1] + 1}] ok\r\n* FLAGS (\\Seen)\r\n".encode()
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

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        with self.lock:
            self.idles += 1
            n = self.idles
        if self.violations is None or n <= self.violations:
            conn.send(GARBAGE)
            while conn.readline():  # until the client drops the connection
                pass
            return
        conn.send(b"+ idling\r\n")
        if n == (self.violations or 0) + 1:
            conn.stop.wait(0.1)
            self.uids.append(2)
            conn.send(b"* 2 EXISTS\r\n")
        if conn.readline().upper() == b"DONE":
            conn.send(tag + b" OK idle done\r\n")
