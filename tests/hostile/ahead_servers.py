"""A scripted IMAP server whose INBOX holds UIDs 1..n, for the header batches tuimail asks
for one ahead (tuimail.core.imap.ahead): `Inbox` answers UID FETCH and UID SEARCH of UID
ranges and sets like a small server; `answer_fetch` is the place a subclass misbehaves.
Every header FETCH command it got is in `fetches` (per connection: `connections`)."""

from __future__ import annotations

from tests.hostile.scripted import Conn, ImapScript, imap_fetch_line


def uids_of(spec: bytes, high: int) -> list[int]:
    """b"1:3,7" -> [1, 2, 3, 7] (at most `high`; "*" is `high`)."""
    out: list[int] = []
    for part in spec.split(b","):
        low, _, top = part.partition(b":")
        a = high if low == b"*" else int(low)
        b = a if not top else (high if top == b"*" else int(top))
        out.extend(range(min(a, b), min(max(a, b), high) + 1))
    return out


class Inbox(ImapScript):
    """INBOX with UIDs 1..n (sequence number = UID), UIDVALIDITY 7."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.connections = 0
        self.fetches: list[bytes] = []  # the header FETCH commands' UID sets, in order

    def __call__(self, conn: Conn) -> None:
        self.connections += 1
        super().__call__(conn)

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT %d] ok\r\n"
            % (self.n, self.n + 1)
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    cmd_select = cmd_examine

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" NO not here\r\n")  # no shortcut: every pass syncs the folder

    def cmd_uid_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        spec = args.split(b" ")[-1]
        found = range(1, self.n + 1) if spec.upper() == b"ALL" else uids_of(spec, self.n)
        conn.send(b"* SEARCH " + b" ".join(b"%d" % u for u in found) + b"\r\n")
        conn.send(tag + b" OK done\r\n")

    def responses(self, spec: bytes) -> list[bytes]:
        """The header FETCH responses for the UIDs in `spec`, one per UID."""
        return [imap_fetch_line(u, u, b"message %d" % u) for u in uids_of(spec, self.n)]

    def lines(self, spec: bytes) -> bytes:
        return b"".join(self.responses(spec))

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" not in args:
            spec = args.split(b" ")[0]
            flags = b"".join(
                b"* %d FETCH (UID %d FLAGS ())\r\n" % (u, u) for u in uids_of(spec, self.n)
            )
            conn.send(flags + tag + b" OK done\r\n")
            return
        spec = args.split(b" ")[0]
        self.fetches.append(spec)
        self.answer_fetch(conn, tag, spec)

    def answer_fetch(self, conn: Conn, tag: bytes, spec: bytes) -> None:
        conn.send(self.lines(spec) + tag + b" OK done\r\n")

    def next_fetch(self, conn: Conn) -> tuple[bytes, bytes]:
        """The next command, which must be a header UID FETCH (asked ahead): (tag, UIDs)."""
        line = conn.readline()
        tag, _, rest = line.partition(b" ")
        assert rest.upper().startswith(b"UID FETCH ") and b"HEADER" in rest, line
        spec = rest.split(b" ")[2]
        self.fetches.append(spec)
        return tag, spec
