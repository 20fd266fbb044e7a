"""A long connection (IDLE in `tuimail watch` and the app, the app's action connection)
does not pile up what the server says unasked: imaplib files every untagged response in
`untagged_responses`, and what nobody reads stayed there for the connection's life. Now
what tuimail read is taken off, and the rest is bounded from one command to the next
(tuimail.core.imap.untagged)."""

from __future__ import annotations

from tests.hostile.scripted import Conn, ImapScript, account_on
from tuimail.core.connect import open_imap
from tuimail.core.imap.idle import _noop
from tuimail.core.imap.idle_read import end_idle, start_idle
from tuimail.core.imap.untagged import KEPT_BYTES, KEPT_ENTRIES, OVERHEAD

LINES = 1000  # untagged lines in each flooded answer
COMMANDS = 100  # flooded answers: 100k lines in all


def _flood(round_: int) -> bytes:
    """LINES untagged responses of many kinds: news, response codes, kinds nobody knows,
    and a long line."""
    out = []
    for i in range(LINES):
        n = round_ * LINES + i + 1
        out.append(
            (
                f"* {n} EXISTS",
                f"* {n} FETCH (UID {n} FLAGS (\\Seen))",
                f"* {n} EXPUNGE",
                f"* OK [HIGHESTMODSEQ {n}] changed",
                f"* X{'ABCDEFGHIJ'[n % 10]}{'ABCDEFGHIJ'[n // 10 % 10]} invented {n}",
            )[i % 5]
        )
    out.append("* FLAGS (" + "\\Seen " * 20000 + ")")  # ~120 KB
    return ("\r\n".join(out) + "\r\n").encode()


class Flooding(ImapScript):
    """NOOP answers with a flood for its first COMMANDS rounds, then quietly; IDLE and
    DONE come with news too."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0

    def cmd_noop(self, conn: Conn, tag: bytes, args: bytes) -> None:
        flood = _flood(self.rounds) if self.rounds < COMMANDS else b""
        self.rounds += 1
        conn.send(flood + tag + b" OK done\r\n")

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* 7 EXISTS\r\n+ idling\r\n")
        if conn.readline() != b"DONE":
            return
        conn.send(b"* 8 EXISTS\r\n* 3 FETCH (UID 3 FLAGS ())\r\n" + tag + b" OK done\r\n")


def _kept(untagged: dict) -> tuple[int, int]:
    """(entries, bytes with OVERHEAD an entry) of imaplib's untagged_responses."""
    entries = sum(len(v) for v in untagged.values())
    size = entries * OVERHEAD + sum(
        sum(len(p) for p in e if p) if isinstance(e, tuple) else len(e or b"")
        for v in untagged.values()
        for e in v
    )
    return entries, size


def test_untagged_responses_nobody_reads_stay_bounded_over_many_commands(scripted) -> None:
    with scripted(Flooding()) as server:
        client = open_imap(account_on(server).incoming, server.ca_file, timeout=10)
        try:
            client.login("bob", "pw")
            for _ in range(COMMANDS):
                client._imap.noop()  # imaplib's: nobody takes its responses off
            untagged = client._imap.untagged_responses
            assert len(untagged["EXISTS"]) > KEPT_ENTRIES  # the last answer's, all of it
            client._imap.noop()  # (quiet) the next command bounds what was kept
            entries, size = _kept(untagged)
            assert size <= KEPT_BYTES
            assert all(len(v) <= KEPT_ENTRIES for v in untagged.values())
            assert entries <= KEPT_BYTES // OVERHEAD  # of ~100k responses
            # "is there news" stays true, with the newest kept
            assert untagged["EXISTS"][-1] == str(COMMANDS * LINES - 4).encode()
            assert untagged["EXPUNGE"] and untagged["FETCH"]
        finally:
            client.logout()


def test_what_idle_and_noop_read_is_not_kept_again(scripted) -> None:
    """The watcher's own reads (IDLE's start and end, its NOOP) return the news and take
    it off imaplib's store: nothing is left for a later check to take for new news."""
    script = Flooding()
    script.rounds = COMMANDS  # quiet NOOPs
    with scripted(script) as server:
        client = open_imap(account_on(server).incoming, server.ca_file, timeout=10)
        try:
            client.login("bob", "pw")
            client.select_folder("INBOX", readonly=True)
            untagged = client._imap.untagged_responses
            # EXAMINE's (but OK: imaplib forgets it at each command)
            selected = {k: list(v) for k, v in untagged.items() if k != "OK"}
            for _ in range(3):
                early = start_idle(client)
                news = end_idle(client)
                assert early == [(7, b"EXISTS")]
                assert news[0] == (8, b"EXISTS") and news[1][1] == b"FETCH"
                assert _noop(client) == []
                assert {k: v for k, v in untagged.items() if k != "OK"} == selected
        finally:
            client.logout()
